/**
 * Pruning curves, pure part: test accuracy (and loss) against the fraction
 * of channels zeroed, one line per ranking, random with a ±1 std band
 * (METHODS.md §5, pruning experiment).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { checkArray, checkFinite, checkString } from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";

/** One ranking's curve. */
export interface PruningSeries {
  /** Ranking name (user text), e.g. "NeuronIM ascending", "random". */
  ranking: string;
  /** Accuracy at each ratio. */
  accuracy: Float32Array;
  /** Loss at each ratio. */
  loss?: Float32Array;
  /** Std of the accuracy over repeats (random): drawn as a band. */
  accuracyStd?: Float32Array;
  /** Std of the loss over repeats. */
  lossStd?: Float32Array;
}

/** State of the pruning view (traits = these keys). */
export interface PruningState {
  /** Title line (user text). */
  title: string;
  /** Fractions of channels pruned, ascending, e.g. 0, 0.1, …, 0.9. */
  ratios: Float32Array;
  /** One series per ranking; arrays of the length of `ratios`. */
  series: PruningSeries[];
  /** What was pruned (user text, e.g. the layer names). Default: none. */
  pruned?: string;
}

/** The state keys the front end reads. */
export const PRUNING_TRAITS = ["title", "ratios", "series", "pruned"] as const;

/** One point of a series. */
export interface PruningPoint {
  ranking: string;
  ratio: number;
  value: number;
  lo: number | null;
  hi: number | null;
}

/** The class of the line marks' group. */
export const PRUNING_LINE_CLASS = "nl-pruning-lines";
/** The class of the band marks' group. */
export const PRUNING_BAND_CLASS = "nl-pruning-bands";

/**
 * Checks a pruning state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError}/{@link RangeError} for a bad field or a length that is not the number of ratios
 */
export function checkPruningState(state: PruningState): PruningState {
  const v = "pruning";
  checkString(v, "title", state.title);
  const ratios = checkArray(v, "ratios", state.ratios);
  checkFinite(v, "ratios", ratios);
  const n = ratios.length;
  if (n === 0) throw new RangeError("pruning: state.ratios is empty");
  if (!Array.isArray(state.series) || state.series.length === 0) {
    throw new TypeError("pruning: state.series must be a non-empty array of { ranking, accuracy }");
  }
  state.series.forEach((s, i) => {
    checkString(v, `series[${i}].ranking`, s.ranking);
    checkFinite(v, `series[${i}].accuracy`, checkArray(v, `series[${i}].accuracy`, s.accuracy, n));
    for (const k of ["loss", "accuracyStd", "lossStd"] as const) {
      if (s[k] !== undefined) {
        checkFinite(v, `series[${i}].${k}`, checkArray(v, `series[${i}].${k}`, s[k], n));
      }
    }
  });
  if (state.pruned !== undefined) checkString(v, "pruned", state.pruned);
  return state;
}

/**
 * The points of one quantity for every series.
 *
 * @param state a checked state
 * @param quantity "accuracy" or "loss" (series without loss are skipped)
 * @returns points with the ±std band where a std is given
 * @example
 * ```ts
 * import { pruningPoints } from "./spec.ts";
 * const p = pruningPoints({ title: "", ratios: Float32Array.from([0, 0.5]), series: [{ ranking: "random",
 *   accuracy: Float32Array.from([1, 0.5]), accuracyStd: Float32Array.from([0, 0.25]) }] }, "accuracy");
 * if (p[1]!.lo !== 0.25 || p[1]!.hi !== 0.75) throw new Error("example failed");
 * ```
 */
export function pruningPoints(state: PruningState, quantity: "accuracy" | "loss"): PruningPoint[] {
  return state.series.flatMap((s) => {
    const y = quantity === "accuracy" ? s.accuracy : s.loss;
    const sd = quantity === "accuracy" ? s.accuracyStd : s.lossStd;
    if (!y) return [];
    return Array.from(state.ratios, (ratio, i) => ({
      ranking: s.ranking,
      ratio,
      value: y[i]!,
      lo: sd ? y[i]! - sd[i]! : null,
      hi: sd ? y[i]! + sd[i]! : null,
    }));
  });
}

/**
 * Plot options for one quantity: a line and dots per ranking, a band where a std is given.
 *
 * @param state a checked state
 * @param quantity "accuracy" or "loss"
 * @param options `width` (default 420), `height` (default 260)
 * @returns options for `Plot.plot`
 */
export function pruningPlotOptions(
  state: PruningState,
  quantity: "accuracy" | "loss",
  options: { width?: number; height?: number } = {},
): Plot.PlotOptions {
  const points = pruningPoints(state, quantity);
  const banded = points.filter((p) => p.lo !== null);
  return {
    width: options.width ?? 420,
    height: options.height ?? 260,
    marginLeft: 50,
    x: { label: "fraction of channels pruned", percent: true },
    y: { label: `test ${quantity}`, grid: true },
    color: { legend: true, domain: state.series.map((s) => s.ranking) },
    marks: [
      Plot.areaY(banded, {
        x: "ratio",
        y1: "lo",
        y2: "hi",
        fill: "ranking",
        fillOpacity: 0.2,
        className: PRUNING_BAND_CLASS,
      }),
      Plot.line(points, {
        x: "ratio",
        y: "value",
        stroke: "ranking",
        className: PRUNING_LINE_CLASS,
      }),
      Plot.dot(points, { x: "ratio", y: "value", fill: "ranking", r: 2.5 }),
      Plot.tip(
        points,
        Plot.pointer({
          x: "ratio",
          y: "value",
          title: (d: PruningPoint) =>
            `${d.ranking}\n${Math.round(d.ratio * 100)} % pruned: ${formatNumber(d.value)}` +
            (d.lo === null ? "" : ` ± ${formatNumber((d.hi! - d.lo) / 2)}`),
        }),
      ),
    ],
  };
}
