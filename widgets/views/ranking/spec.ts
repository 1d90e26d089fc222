/**
 * Neuron ranking, pure part: the state, its validation, the sorted rows, the
 * threshold count and the Plot options. No DOM here (tested in Deno).
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

/**
 * State of the ranking view (traits = these keys). One entry per neuron in
 * `layerOf`, `unit` and `score` (same length N); neurons of several layers
 * can be ranked together.
 */
export interface RankingState {
  /** Title line (user text, shown as text). */
  title: string;
  /** Name of the per-neuron metric, e.g. "NeuronIM", "mean activation". */
  metric: string;
  /** Layer names (user text); `layerOf` indexes into it. */
  layers: string[];
  /** Per neuron: index into `layers`. */
  layerOf: Int32Array;
  /** Per neuron: channel index inside its layer. */
  unit: Int32Array;
  /** Per neuron: the metric (finite). */
  score: Float32Array;
  /** Initial threshold. Default: the median score. */
  threshold?: number;
  /** True when high scores are good (pass = score ≥ threshold); false: pass = score ≤ threshold. Default: true. */
  higherIsBetter?: boolean;
  /** Optional per-neuron label (e.g. its dissection concept), shown in tips and the selection. */
  labels?: string[];
}

/** The state keys the front end reads from the model. */
export const RANKING_TRAITS = [
  "title",
  "metric",
  "layers",
  "layerOf",
  "unit",
  "score",
  "threshold",
  "higherIsBetter",
  "labels",
] as const;

/** One bar of the ranking. */
export interface RankingRow {
  /** Position after sorting, 0 = best. */
  rank: number;
  /** Neuron index into the state's arrays. */
  index: number;
  /** Layer name. */
  layer: string;
  /** Unit (channel) inside its layer. */
  unit: number;
  /** The metric value. */
  score: number;
  /** Label, or "" when none. */
  label: string;
  /** Whether the neuron passes the threshold. */
  pass: boolean;
}

/**
 * Checks a ranking state, naming the bad field.
 *
 * @param state the candidate state
 * @returns the state, typed
 * @throws {TypeError} for a missing or wrongly typed field
 * @throws {RangeError} for mismatched lengths, a layer index out of range or a non-finite score
 */
export function checkRankingState(state: RankingState): RankingState {
  const v = "ranking";
  checkString(v, "title", state.title);
  checkString(v, "metric", state.metric);
  const layers = checkStrings(v, "layers", state.layers);
  const score = checkArray(v, "score", state.score);
  const n = score.length;
  checkFinite(v, "score", score);
  const layerOf = checkArray(v, "layerOf", state.layerOf, n);
  checkArray(v, "unit", state.unit, n);
  for (let i = 0; i < n; i++) {
    const l = layerOf[i]!;
    if (!(l >= 0 && l < layers.length)) {
      throw new RangeError(
        `ranking: state.layerOf[${i}] is ${l}; expected 0..${layers.length - 1}`,
      );
    }
  }
  if (state.threshold !== undefined) checkNumber(v, "threshold", state.threshold);
  if (state.labels !== undefined) {
    const labels = checkStrings(v, "labels", state.labels);
    if (labels.length !== n) {
      throw new RangeError(`ranking: state.labels has length ${labels.length}, expected ${n}`);
    }
  }
  return state;
}

/**
 * The neurons as rows sorted best first (ties: lower index first), with
 * `pass` set against the threshold.
 *
 * @param state a ranking state
 * @param options `layer`: only this layer index (default: all);
 *   `threshold`: default the state's threshold, else the median
 * @returns the sorted rows, ranks 0..n-1 after filtering
 * @example
 * ```ts
 * import { rankRows } from "./spec.ts";
 * const state = { title: "", metric: "m", layers: ["a"], layerOf: new Int32Array(3),
 *   unit: Int32Array.from([0, 1, 2]), score: Float32Array.from([0.25, 0.75, 0.5]) };
 * const rows = rankRows(state, { threshold: 0.5 });
 * if (rows.map((r) => r.unit).join() !== "1,2,0" || rows[2]!.pass) throw new Error("example failed");
 * ```
 */
export function rankRows(
  state: RankingState,
  options: { layer?: number | null; threshold?: number } = {},
): RankingRow[] {
  const higher = state.higherIsBetter ?? true;
  const threshold = options.threshold ?? defaultThreshold(state);
  const idx: number[] = [];
  for (let i = 0; i < state.score.length; i++) {
    if (options.layer == null || state.layerOf[i] === options.layer) idx.push(i);
  }
  idx.sort((a, b) => {
    const d = higher ? state.score[b]! - state.score[a]! : state.score[a]! - state.score[b]!;
    return d !== 0 ? d : a - b;
  });
  return idx.map((i, rank) => {
    const score = state.score[i]!;
    return {
      rank,
      index: i,
      layer: state.layers[state.layerOf[i]!]!,
      unit: state.unit[i]!,
      score,
      label: state.labels?.[i] ?? "",
      pass: passes(score, threshold, higher),
    };
  });
}

/** Whether a score passes a threshold (≥ when higher is better, else ≤). */
export function passes(score: number, threshold: number, higherIsBetter = true): boolean {
  // Scores are float32: compare at that precision so a threshold typed as 0.2 matches a score of 0.2.
  const t = Math.fround(threshold);
  return higherIsBetter ? score >= t : score <= t;
}

/**
 * Counts the neurons passing a threshold, overall and per layer.
 *
 * @param state a ranking state
 * @param threshold the threshold
 * @returns `{ total, passing, perLayer: passing count per layer, sizes: neurons per layer }`
 * @example
 * ```ts
 * import { countPassing } from "./spec.ts";
 * const state = { title: "", metric: "m", layers: ["a", "b"], layerOf: Int32Array.from([0, 0, 1]),
 *   unit: Int32Array.from([0, 1, 0]), score: Float32Array.from([0.25, 0.75, 0.5]) };
 * if (countPassing(state, 0.5).perLayer.join() !== "1,1") throw new Error("example failed");
 * ```
 */
export function countPassing(
  state: RankingState,
  threshold: number,
): { total: number; passing: number; perLayer: number[]; sizes: number[] } {
  const higher = state.higherIsBetter ?? true;
  const perLayer = state.layers.map(() => 0);
  const sizes = state.layers.map(() => 0);
  let passing = 0;
  for (let i = 0; i < state.score.length; i++) {
    const l = state.layerOf[i]!;
    sizes[l]!++;
    if (passes(state.score[i]!, threshold, higher)) {
      passing++;
      perLayer[l]!++;
    }
  }
  return { total: state.score.length, passing, perLayer, sizes };
}

/** The median score: the default threshold. */
export function defaultThreshold(state: RankingState): number {
  if (state.threshold !== undefined) return state.threshold;
  const s = Array.from(state.score).sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Slider range over the scores: `{ min, max, step }` (200 steps). */
export function thresholdRange(
  score: ArrayLike<number>,
): { min: number; max: number; step: number } {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < score.length; i++) {
    min = Math.min(min, score[i]!);
    max = Math.max(max, score[i]!);
  }
  if (!(max > min)) {
    return {
      min: (min === Infinity ? 0 : min) - 1,
      max: (max === -Infinity ? 0 : max) + 1,
      step: 0.01,
    };
  }
  return { min, max, step: (max - min) / 200 };
}

/** Colours of passing, failing and selected bars. */
export const RANKING_COLORS = { pass: "#4269d0", fail: "#c8c8c8", selected: "#ff725c" } as const;

/** The class of the bar mark's group (the view tags its rects). */
export const BAR_CLASS = "nl-ranking-bars";

/**
 * Plot options for the ranking: one bar per row (x = rank, y = score), a
 * threshold rule, a pointer tip.
 *
 * @param rows sorted rows from {@link rankRows}
 * @param options `metric` (y label), `threshold`, `selected` neuron index or
 *   null, `width` (default 640), `height` (default 240)
 * @returns options for `Plot.plot` (add `document` to draw)
 */
export function rankingPlotOptions(
  rows: RankingRow[],
  options: {
    metric: string;
    threshold: number;
    selected?: number | null;
    width?: number;
    height?: number;
  },
): Plot.PlotOptions {
  const sel = options.selected ?? null;
  const fill = (d: RankingRow) =>
    d.index === sel ? RANKING_COLORS.selected : d.pass ? RANKING_COLORS.pass : RANKING_COLORS.fail;
  return {
    width: options.width ?? 640,
    height: options.height ?? 240,
    marginLeft: 50,
    x: { label: `rank (${rows.length} neurons)`, domain: [0, Math.max(1, rows.length)] },
    y: { label: options.metric, grid: true },
    marks: [
      Plot.rectY(rows, {
        x1: "rank",
        x2: (d: RankingRow) => d.rank + 1,
        y: "score",
        fill,
        inset: rows.length > 200 ? 0 : 0.5,
        className: BAR_CLASS,
      }),
      Plot.ruleY([options.threshold], { stroke: "#d62728", strokeDasharray: "4,3" }),
      Plot.ruleY([0]),
      Plot.tip(
        rows,
        Plot.pointerX({
          x: (d: RankingRow) => d.rank + 0.5,
          y: "score",
          title: (d: RankingRow) => tipText(d, options.metric),
        }),
      ),
    ],
  };
}

/** The text of a neuron's tip and selection line. */
export function tipText(d: RankingRow, metric: string): string {
  const lines = [
    `${d.layer} · unit ${d.unit}`,
    `${metric}: ${formatNumber(d.score)}`,
    `rank ${d.rank + 1}`,
  ];
  if (d.label) lines.push(d.label);
  return lines.join("\n");
}
