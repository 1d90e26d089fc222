/**
 * Training monitor, pure part (METHODS.md §7): probe accuracy per layer over
 * epochs, the channel correlation matrix in cluster order, filter importance.
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import {
  checkArray,
  checkFinite,
  checkNumber,
  checkString,
  checkStrings,
} from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";

/** Correlation of one layer at one epoch. */
export interface MonitorCorrelation {
  epoch: number;
  /** Layer name (user text). */
  layer: string;
  /** Channels C. */
  channels: number;
  /** Row-major C×C Pearson r in [−1, 1]. */
  matrix: Float32Array;
  /** Channels in cluster order (a permutation of 0..C−1). Default: 0..C−1. */
  order?: Int32Array;
}

/** Filter importance of one layer at one epoch. */
export interface MonitorImportance {
  epoch: number;
  /** Layer name (user text). */
  layer: string;
  /** Per channel: loss increase when zeroed (the exact importance). */
  lossIncrease: Float32Array;
  /** Per channel: accuracy drop when zeroed. */
  accuracyDrop?: Float32Array;
  /** Per channel L1 norm of the filter (proxy). */
  l1?: Float32Array;
  /** Per channel Taylor importance (proxy). */
  taylor?: Float32Array;
}

/** State of the training monitor (traits = these keys). */
export interface TrainingMonitorState {
  /** Title line (user text). */
  title: string;
  /** Probed layers (user text). */
  layers: string[];
  /** Epochs, ascending (E). */
  epochs: Int32Array;
  /** Row-major [E, layers] probe test accuracy; NaN = not measured. */
  testAccuracy: Float32Array;
  /** Row-major [E, layers] probe training accuracy, drawn dashed. */
  trainAccuracy?: Float32Array;
  /** Correlation matrices (any epochs and layers). */
  correlations?: MonitorCorrelation[];
  /** Filter importance (any epochs and layers). */
  importance?: MonitorImportance[];
}

/** The state keys the front end reads. */
export const TRAINING_MONITOR_TRAITS = [
  "title",
  "layers",
  "epochs",
  "testAccuracy",
  "trainAccuracy",
  "correlations",
  "importance",
] as const;

/** The class of the accuracy lines' group. */
export const ACCURACY_LINE_CLASS = "nl-monitor-lines";
/** The class of the correlation cells' group. */
export const CORRELATION_CELL_CLASS = "nl-monitor-cells";
/** The class of the importance bars' group. */
export const IMPORTANCE_BAR_CLASS = "nl-monitor-bars";

/**
 * Checks a monitor state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError}/{@link RangeError} for a bad field or mismatched sizes
 */
export function checkMonitorState(state: TrainingMonitorState): TrainingMonitorState {
  const v = "training_monitor";
  checkString(v, "title", state.title);
  const layers = checkStrings(v, "layers", state.layers);
  const epochs = checkArray(v, "epochs", state.epochs);
  checkArray(v, "testAccuracy", state.testAccuracy, epochs.length * layers.length);
  if (state.trainAccuracy !== undefined) {
    checkArray(v, "trainAccuracy", state.trainAccuracy, epochs.length * layers.length);
  }
  (state.correlations ?? []).forEach((c, i) => {
    checkNumber(v, `correlations[${i}].epoch`, c.epoch);
    checkString(v, `correlations[${i}].layer`, c.layer);
    const n = checkNumber(v, `correlations[${i}].channels`, c.channels);
    checkArray(v, `correlations[${i}].matrix`, c.matrix, n * n);
    if (c.order !== undefined) {
      const o = checkArray(v, `correlations[${i}].order`, c.order, n);
      const seen = new Set(Array.from(o));
      if (seen.size !== n || [...seen].some((k) => !(k >= 0 && k < n))) {
        throw new RangeError(
          `training_monitor: state.correlations[${i}].order is not a permutation of 0..${n - 1}`,
        );
      }
    }
  });
  (state.importance ?? []).forEach((m, i) => {
    checkNumber(v, `importance[${i}].epoch`, m.epoch);
    checkString(v, `importance[${i}].layer`, m.layer);
    const n = checkArray(v, `importance[${i}].lossIncrease`, m.lossIncrease).length;
    checkFinite(v, `importance[${i}].lossIncrease`, m.lossIncrease);
    for (const k of ["accuracyDrop", "l1", "taylor"] as const) {
      if (m[k] !== undefined) checkArray(v, `importance[${i}].${k}`, m[k], n);
    }
  });
  return state;
}

/** One accuracy point. */
export interface AccuracyPoint {
  epoch: number;
  layer: string;
  split: "test" | "train";
  accuracy: number;
}

/** Accuracy points (NaN entries dropped), test then train. */
export function accuracyPoints(state: TrainingMonitorState): AccuracyPoint[] {
  const out: AccuracyPoint[] = [];
  const L = state.layers.length;
  const add = (a: ArrayLike<number> | undefined, split: "test" | "train") => {
    if (!a) return;
    state.epochs.forEach((epoch, e) => {
      state.layers.forEach((layer, l) => {
        const v = a[e * L + l]!;
        if (Number.isFinite(v)) out.push({ epoch, layer, split, accuracy: v });
      });
    });
  };
  add(state.testAccuracy, "test");
  add(state.trainAccuracy, "train");
  return out;
}

/** Plot options: one line per layer and split (train dashed). */
export function accuracyPlotOptions(
  state: TrainingMonitorState,
  options: { width?: number } = {},
): Plot.PlotOptions {
  const points = accuracyPoints(state);
  const test = points.filter((p) => p.split === "test");
  const train = points.filter((p) => p.split === "train");
  return {
    width: options.width ?? 520,
    height: 240,
    marginLeft: 50,
    x: { label: "epoch", ticks: Math.min(10, state.epochs.length) },
    y: { label: "probe accuracy", grid: true, domain: [0, 1], percent: false },
    color: { legend: true, domain: state.layers },
    marks: [
      Plot.line(test, {
        x: "epoch",
        y: "accuracy",
        stroke: "layer",
        marker: "circle",
        className: ACCURACY_LINE_CLASS,
      }),
      Plot.line(train, {
        x: "epoch",
        y: "accuracy",
        stroke: "layer",
        strokeDasharray: "4,3",
        strokeOpacity: 0.6,
      }),
      Plot.tip(
        points,
        Plot.pointer({
          x: "epoch",
          y: "accuracy",
          title: (d: AccuracyPoint) =>
            `${d.layer} (${d.split})\nepoch ${d.epoch}: ${formatNumber(d.accuracy)}`,
        }),
      ),
    ],
  };
}

/** One cell of the correlation matrix, in display order. */
export interface CorrelationCell {
  /** Display row/column positions. */
  i: number;
  j: number;
  /** Channels. */
  a: number;
  b: number;
  r: number;
}

/**
 * The matrix's cells with rows and columns permuted into cluster order.
 *
 * @param c one correlation entry
 * @returns C² cells; cell (i, j) holds r of channels order[i], order[j]
 * @example
 * ```ts
 * import { correlationCells } from "./spec.ts";
 * const cells = correlationCells({ epoch: 1, layer: "a", channels: 2,
 *   matrix: Float32Array.from([1, 0.5, 0.5, 1]), order: Int32Array.from([1, 0]) });
 * if (cells[0]!.a !== 1 || cells[1]!.r !== 0.5) throw new Error("example failed");
 * ```
 */
export function correlationCells(c: MonitorCorrelation): CorrelationCell[] {
  const n = c.channels;
  const order = c.order ?? Int32Array.from({ length: n }, (_, k) => k);
  const out: CorrelationCell[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = order[i]!, b = order[j]!;
      out.push({ i, j, a, b, r: c.matrix[a * n + b]! });
    }
  }
  return out;
}

/** Plot options of the correlation heatmap (RdBu over [−1, 1]). */
export function correlationPlotOptions(
  c: MonitorCorrelation,
  options: { size?: number } = {},
): Plot.PlotOptions {
  const size = options.size ?? 300;
  return {
    width: size,
    height: size,
    marginLeft: 30,
    marginBottom: 30,
    x: { axis: null, type: "band" },
    y: { axis: null, type: "band" },
    color: { type: "linear", scheme: "RdBu", domain: [-1, 1], reverse: true },
    marks: [
      Plot.cell(correlationCells(c), {
        x: "j",
        y: "i",
        fill: "r",
        className: CORRELATION_CELL_CLASS,
      }),
      Plot.tip(
        correlationCells(c),
        Plot.pointer({
          x: "j",
          y: "i",
          title: (d: CorrelationCell) => `channels ${d.a} × ${d.b}\nr = ${formatNumber(d.r)}`,
        }),
      ),
    ],
  };
}

/** One importance bar. */
export interface ImportanceRow {
  rank: number;
  channel: number;
  lossIncrease: number;
  accuracyDrop: number | null;
  l1: number | null;
  taylor: number | null;
}

/** Channels sorted by loss increase, most important first (ties: lower channel first). */
export function importanceRows(m: MonitorImportance): ImportanceRow[] {
  const idx = Array.from(m.lossIncrease, (_, k) => k);
  idx.sort((a, b) => m.lossIncrease[b]! - m.lossIncrease[a]! || a - b);
  return idx.map((k, rank) => ({
    rank,
    channel: k,
    lossIncrease: m.lossIncrease[k]!,
    accuracyDrop: m.accuracyDrop?.[k] ?? null,
    l1: m.l1?.[k] ?? null,
    taylor: m.taylor?.[k] ?? null,
  }));
}

/** Plot options of the importance bars. */
export function importancePlotOptions(
  m: MonitorImportance,
  options: { width?: number } = {},
): Plot.PlotOptions {
  const rows = importanceRows(m);
  return {
    width: options.width ?? 420,
    height: 220,
    marginLeft: 50,
    x: { label: `channels by importance (${rows.length})`, domain: [0, Math.max(1, rows.length)] },
    y: { label: "loss increase when zeroed", grid: true },
    marks: [
      Plot.rectY(rows, {
        x1: "rank",
        x2: (d: ImportanceRow) => d.rank + 1,
        y: "lossIncrease",
        fill: "#4269d0",
        inset: rows.length > 100 ? 0 : 0.5,
        className: IMPORTANCE_BAR_CLASS,
      }),
      Plot.ruleY([0]),
      Plot.tip(
        rows,
        Plot.pointerX({
          x: (d: ImportanceRow) => d.rank + 0.5,
          y: "lossIncrease",
          title: (d: ImportanceRow) =>
            [
              `channel ${d.channel}`,
              `loss +${formatNumber(d.lossIncrease)}`,
              d.accuracyDrop === null ? "" : `accuracy −${formatNumber(d.accuracyDrop)}`,
              d.l1 === null ? "" : `L1 ${formatNumber(d.l1)}`,
              d.taylor === null ? "" : `Taylor ${formatNumber(d.taylor)}`,
            ].filter(Boolean).join("\n"),
        }),
      ),
    ],
  };
}

/**
 * The entry for a layer at an epoch: the exact epoch, else the latest one before it, else the first.
 *
 * @param entries correlation or importance entries
 * @param layer layer name
 * @param epoch wanted epoch
 * @returns the entry, or undefined when the layer has none
 */
export function entryAt<T extends { epoch: number; layer: string }>(
  entries: readonly T[],
  layer: string,
  epoch: number,
): T | undefined {
  const of = entries.filter((e) => e.layer === layer).sort((a, b) => a.epoch - b.epoch);
  let best = of[0];
  for (const e of of) if (e.epoch <= epoch) best = e;
  return best;
}
