/**
 * Pruning reports: text tables of the curves and the comparison the paper's
 * claim needs (METHODS.md §5): does pruning low-NeuronIM neurons first cost
 * less accuracy than pruning high-NeuronIM neurons first, and how do both
 * compare with L1 and random? Rankings are compared by the normalised area
 * under the accuracy curve (trapezoids over the ratios divided by their span,
 * i.e. the mean accuracy over the pruning range): higher = pruning in that
 * order costs less accuracy.
 *
 * @example
 * ```ts
 * import { areaUnderCurve } from "./report.ts";
 * if (areaUnderCurve([0, 0.5, 1], [1, 1, 0]) !== 0.75) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { type Cell, fixed, formatTable } from "../report/table.ts";
import type { PruningCurve, PruningReport } from "./curves.ts";

/**
 * Normalised area under a curve (trapezoid rule over x sorted ascending,
 * divided by the x span; the single y for one point).
 *
 * @param x abscissae (e.g. ratios)
 * @param y ordinates, same length
 * @returns the mean height of the curve over its x range
 * @throws {RangeError} for empty or unequal inputs
 *
 * @example
 * ```ts
 * import { areaUnderCurve } from "./report.ts";
 * if (areaUnderCurve([0, 1], [1, 0]) !== 0.5) throw new Error("example failed");
 * ```
 */
export function areaUnderCurve(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || x.length !== y.length) {
    throw new RangeError(`Need equal, non-empty x and y; got ${x.length} and ${y.length} values`);
  }
  const idx = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const span = x[idx.at(-1)!]! - x[idx[0]!]!;
  if (span === 0) return idx.reduce((s, i) => s + y[i]!, 0) / idx.length;
  let area = 0;
  for (let i = 1; i < idx.length; i++) {
    const a = idx[i - 1]!;
    const b = idx[i]!;
    area += (x[b]! - x[a]!) * (y[a]! + y[b]!) / 2;
  }
  return area / span;
}

/** Area under the accuracy curve of one ranking. */
export interface RankingArea {
  /** Ranking name. */
  ranking: string;
  /** Normalised area under the (mean) accuracy curve. */
  accuracyArea: number;
  /** Standard deviation of the area over repeats; null for one repeat. */
  accuracyAreaStd: number | null;
  /** Normalised area under the (mean) loss curve. */
  lossArea: number;
  /** Whether the ranking was repeated with several seeds (a random ranking). */
  random: boolean;
}

/** The answer to the paper's question for one report. */
export interface PruningComparison {
  /** Model name. */
  model: string;
  /** Pruned layers. */
  layers: string[];
  /** Areas of every ranking, in report order. */
  areas: RankingArea[];
  /**
   * Area(neuronImAscending) − area(neuronImDescending): positive when pruning
   * low-NeuronIM neurons first cost less accuracy; null when either is missing.
   */
  lowFirstAdvantage: number | null;
  /**
   * Per random repeat r: area(random_r) − area(randomReversed_r), the gap
   * between an uninformative order and its own reverse; null unless both
   * rankings ran with the same repeats.
   */
  nullGaps: number[] | null;
  /**
   * The gap the NeuronIM advantage must exceed to be called clear: the 95 %
   * bound of a chance gap, t(0.975, n) × RMS of the n `nullGaps` (Student
   * t); without them t(0.975, n − 1)·√2·σ (σ = spread of the random area
   * over its n repeats; two independent random orders differ by σ·√2),
   * which underestimates the noise of an order against its reverse. Null
   * without random repeats. Few repeats give a wide bound: use ≥ 10.
   */
  noiseBar: number | null;
  /** One plain-English sentence with the numbers, for a README. */
  verdict: string;
}

/**
 * Compares the rankings of a report by the area under their accuracy curves.
 *
 * @param report a pruning report
 * @returns areas, the NeuronIM low-first advantage and a sentence
 *
 * @example
 * ```ts
 * import { comparePruning } from "./report.ts";
 * const curve = (ranking: string, accuracy: number[]) => ({ ranking, ratios: [0, 1], accuracy,
 *   loss: [0, 1], accuracyStd: null, lossStd: null, accuracyByRepeat: [accuracy], lossByRepeat: [[0, 1]],
 *   repeats: 1, orders: {} });
 * const c = comparePruning({ model: "m", layers: ["c"], units: [4], images: 10, ratios: [0, 1],
 *   baseline: { accuracy: 1, loss: 0 }, seconds: 1,
 *   curves: [curve("neuronImAscending", [1, 0.8]), curve("neuronImDescending", [1, 0.4])] });
 * if (!(Math.abs(c.lowFirstAdvantage! - 0.2) < 1e-12)) throw new Error("example failed");
 * ```
 */
export function comparePruning(report: PruningReport): PruningComparison {
  const areas = report.curves.map((c): RankingArea => {
    const perRepeat = c.accuracyByRepeat.map((acc) => areaUnderCurve(c.ratios, acc));
    const mean = perRepeat.reduce((s, v) => s + v, 0) / perRepeat.length;
    const std = perRepeat.length > 1
      ? Math.sqrt(perRepeat.reduce((s, v) => s + (v - mean) ** 2, 0) / (perRepeat.length - 1))
      : null;
    return {
      ranking: c.ranking,
      accuracyArea: areaUnderCurve(c.ratios, c.accuracy),
      accuracyAreaStd: std,
      lossArea: areaUnderCurve(c.ratios, c.loss),
      random: c.repeats > 1,
    };
  });
  const area = (name: string) => areas.find((a) => a.ranking === name);
  const low = area("neuronImAscending");
  const high = area("neuronImDescending");
  const lowFirstAdvantage = low && high ? low.accuracyArea - high.accuracyArea : null;
  // The null model of "an order vs its reverse": random repeat r vs its reversal.
  const rnd = report.curves.find((c) => c.ranking === "random");
  const rev = report.curves.find((c) => c.ranking === "randomReversed");
  const nullGaps = rnd && rev && rnd.repeats === rev.repeats
    ? rnd.accuracyByRepeat.map((acc, r) =>
      areaUnderCurve(rnd.ratios, acc) - areaUnderCurve(rev.ratios, rev.accuracyByRepeat[r]!)
    )
    : null;
  const randomArea = areas.find((a) => a.random && a.accuracyAreaStd !== null);
  const sigma = randomArea?.accuracyAreaStd;
  const randomRepeats = report.curves.find((c) => c.ranking === randomArea?.ranking)?.repeats ?? 2;
  // A new null gap over the RMS of n null gaps (mean 0) is Student-t with n
  // degrees of freedom: t(0.975) · RMS bounds 95 % of chance gaps.
  const bar = nullGaps
    ? tQuantile975(nullGaps.length) *
      Math.sqrt(nullGaps.reduce((s, g) => s + g * g, 0) / nullGaps.length)
    : sigma === undefined || sigma === null
    ? null
    // Without reversals: two independent random orders differ by σ·√2.
    : tQuantile975(Math.max(1, randomRepeats - 1)) * Math.SQRT2 * sigma;
  const pct = (a: RankingArea) =>
    `${fixed(100 * a.accuracyArea, 2)} %` +
    (a.accuracyAreaStd === null ? "" : ` ± ${fixed(100 * a.accuracyAreaStd, 2)}`);
  const lo = Math.min(...report.ratios);
  const hi = Math.max(...report.ratios);
  const range = `${fixed(100 * lo, 0)}–${fixed(100 * hi, 0)} % pruned`;
  const others = areas.filter((a) => !a.ranking.startsWith("neuronIm")).map((a) =>
    `${a.ranking} ${pct(a)}`
  ).join(", ");
  let verdict = `${report.model} [${report.layers.join(", ")}], ${report.images} test images, ` +
    `mean accuracy over ${range} (baseline ${fixed(100 * report.baseline.accuracy, 2)} %): `;
  if (low && high && lowFirstAdvantage !== null) {
    const sign = lowFirstAdvantage >= 0 ? "+" : "−";
    verdict += `low-NeuronIM first ${pct(low)}, high-NeuronIM first ${pct(high)} ` +
      `(${sign}${fixed(Math.abs(100 * lowFirstAdvantage), 2)} points); ${others}. ` +
      (lowFirstAdvantage > 0
        ? "Pruning low-NeuronIM neurons first cost less accuracy than pruning high-NeuronIM neurons first"
        : lowFirstAdvantage < 0
        ? "Pruning low-NeuronIM neurons first cost MORE accuracy than pruning high-NeuronIM neurons first"
        : "Both NeuronIM orders cost the same accuracy");
    verdict += bar === null
      ? " (no random repeats to judge the noise)."
      : (Math.abs(lowFirstAdvantage) <= bar
        ? ", but the gap is within the noise"
        : ", a gap beyond the noise") +
        (nullGaps
          ? ` of random orders against their own reversals (95 % of such chance gaps are below ` +
            `${fixed(100 * bar, 2)} points, from ${nullGaps.length} random repeats)`
          : ` between two independent random orders (95 % bound ${fixed(100 * bar, 2)} points; ` +
            "run randomReversed too for the right yardstick)") +
        (Math.abs(lowFirstAdvantage) <= bar ? ", so it is not a clear effect." : ".");
  } else {
    verdict += `${others}. NeuronIM rankings were not run, so the claim is not tested here.`;
  }
  return {
    model: report.model,
    layers: [...report.layers],
    areas,
    lowFirstAdvantage,
    nullGaps,
    noiseBar: bar,
    verdict,
  };
}

function cell(curve: PruningCurve, j: number, metric: "accuracy" | "loss"): Cell {
  const digits = metric === "accuracy" ? 2 : 4;
  const scale = metric === "accuracy" ? 100 : 1;
  const v = fixed(scale * curve[metric][j]!, digits);
  const std = metric === "accuracy" ? curve.accuracyStd : curve.lossStd;
  return std ? `${v} ±${fixed(scale * std[j]!, digits)}` : v;
}

/**
 * Text tables of a pruning report: accuracy (%) and loss per ratio and
 * ranking (± the standard deviation over repeats for random rankings),
 * followed by the areas under the accuracy curves and the verdict.
 *
 * @param report a pruning report
 * @returns the text
 *
 * @example
 * ```ts
 * import { formatPruning } from "./report.ts";
 * const curve = { ranking: "l1", ratios: [0, 0.5], accuracy: [1, 0.5], loss: [0.1, 0.9],
 *   accuracyStd: null, lossStd: null, accuracyByRepeat: [[1, 0.5]], lossByRepeat: [[0.1, 0.9]],
 *   repeats: 1, orders: {} };
 * const text = formatPruning({ model: "m", layers: ["c"], units: [2], images: 2, ratios: [0, 0.5],
 *   baseline: { accuracy: 1, loss: 0.1 }, curves: [curve], seconds: 0.5 });
 * if (!text.includes("50.00")) throw new Error("example failed");
 * ```
 */
export function formatPruning(report: PruningReport): string {
  const names = report.curves.map((c) => c.ranking);
  const table = (metric: "accuracy" | "loss") =>
    formatTable(
      ["pruned", ...names],
      report.ratios.map((r, j) => [
        `${fixed(100 * r, 0)} %`,
        ...report.curves.map((c) => cell(c, j, metric)),
      ]),
    );
  const cmp = comparePruning(report);
  const areas = formatTable(
    ["ranking", "accuracy area %", "loss area"],
    cmp.areas.map((a) => [
      a.ranking,
      fixed(100 * a.accuracyArea, 2) +
      (a.accuracyAreaStd === null ? "" : ` ±${fixed(100 * a.accuracyAreaStd, 2)}`),
      fixed(a.lossArea, 4),
    ]),
  );
  return [
    `Pruning ${report.model} [${
      report.layers.map((l, i) => `${l} (${report.units[i]} units)`).join(", ")
    }] on ${report.images} images in ${fixed(report.seconds, 1)} s; baseline accuracy ${
      fixed(100 * report.baseline.accuracy, 2)
    } %, loss ${fixed(report.baseline.loss, 4)}`,
    "",
    "Accuracy (%)",
    table("accuracy"),
    "",
    "Loss (cross-entropy)",
    table("loss"),
    "",
    "Area under the accuracy curve (higher = pruning costs less)",
    areas,
    "",
    cmp.verdict,
  ].join("\n");
}

/** Two-sided 95 % quantile of Student's t with `df` degrees of freedom (1.96 beyond 30). */
function tQuantile975(df: number): number {
  const table = [
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
  ];
  return table[df - 1] ?? 1.96;
}
