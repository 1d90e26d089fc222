/**
 * A streaming, mergeable histogram with a fixed number of bins whose range
 * grows by doubling the bin width.
 *
 * Bins are aligned to multiples of the width, and widths are
 * `baseWidth · 2^e`, so a bin of width w lies inside exactly one bin of
 * width 2w: doubling merges bins pairwise without moving a single count.
 * The width is always the smallest such width for which every value seen
 * spans at most `bins` bins, and the first bin is the one holding the
 * minimum. Both depend only on the values, not on their order, so adding
 * values in any order, or merging partial histograms in any order, gives
 * identical histograms.
 *
 * Error: a value is known to within its bin, so any statistic read from the
 * histogram (a quantile, a fraction below a threshold) is off by at most one
 * bin width (`width`). Count, sum, min and max are exact.
 *
 * @example
 * ```ts
 * import { addValues, createHistogram, histogramQuantile, mergeHistograms } from "./histogram.ts";
 * const a = createHistogram({ bins: 8 });
 * const b = createHistogram({ bins: 8 });
 * addValues(a, [0, 1, 2]);
 * addValues(b, [3, 4]);
 * const m = mergeHistograms(a, b);
 * const median = histogramQuantile(m, 0.5);
 * if (!(m.count === 5 && Math.abs(median - 2) <= m.width)) throw new Error("example failed");
 * ```
 *
 * @module
 */

/** A histogram (plain data: structured-clone and JSON friendly except the typed array). */
export interface Histogram {
  /** Number of bins (even). */
  bins: number;
  /** The finest bin width, a power of two. */
  baseWidth: number;
  /** Current bin width, `baseWidth · 2^e`. */
  width: number;
  /** Absolute index of the first bin: it covers [lo·width, (lo+1)·width). */
  lo: number;
  /** Count per bin. */
  counts: Float64Array;
  /** Number of values. */
  count: number;
  /** Sum of the values. */
  sum: number;
  /** Smallest value (+Infinity when empty). */
  min: number;
  /** Largest value (−Infinity when empty). */
  max: number;
}

/** Options of {@link createHistogram}. */
export interface HistogramOptions {
  /** Number of bins, an even integer ≥ 2. Default: 64. */
  bins?: number;
  /**
   * The finest bin width, a power of two (so that widths nest exactly).
   * Histograms merge only with the same `bins` and `baseWidth`.
   * Default: 2^-10.
   */
  baseWidth?: number;
}

/**
 * An empty histogram.
 *
 * @param options see {@link HistogramOptions}
 * @returns the histogram
 * @throws {RangeError} for an odd or too small bin count, or a base width
 *   that is not a positive power of two
 *
 * @example
 * ```ts
 * import { createHistogram } from "./histogram.ts";
 * if (createHistogram({ bins: 4 }).counts.length !== 4) throw new Error("example failed");
 * ```
 */
export function createHistogram(options: HistogramOptions = {}): Histogram {
  const bins = options.bins ?? 64;
  const baseWidth = options.baseWidth ?? 2 ** -10;
  if (!(Number.isInteger(bins) && bins >= 2 && bins % 2 === 0)) {
    throw new RangeError(`bins is ${bins}; expected an even integer ≥ 2`);
  }
  if (!(baseWidth > 0 && Number.isInteger(Math.log2(baseWidth)))) {
    throw new RangeError(`baseWidth is ${baseWidth}; expected a positive power of two`);
  }
  return {
    bins,
    baseWidth,
    width: baseWidth,
    lo: 0,
    counts: new Float64Array(bins),
    count: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
  };
}

/** The smallest width ≥ `width` (doubling) at which [min, max] spans ≤ bins bins. */
function fitWidth(width: number, bins: number, min: number, max: number): number {
  while (Math.floor(max / width) - Math.floor(min / width) + 1 > bins) width *= 2;
  return width;
}

/** Moves `h`'s counts to the grid (width ≥ h.width, first bin lo) in `out`. */
function addCounts(out: Histogram, h: Histogram): void {
  const factor = out.width / h.width;
  for (let i = 0; i < h.bins; i++) {
    const c = h.counts[i]!;
    if (c === 0) continue;
    out.counts[Math.floor((h.lo + i) / factor) - out.lo]! += c;
  }
}

/** Regrids `h` in place so that [min, max] fits. */
function refit(h: Histogram, min: number, max: number): void {
  const width = fitWidth(h.width, h.bins, min, max);
  const lo = Math.floor(min / width);
  if (width === h.width && lo === h.lo) return;
  const old = { ...h, counts: h.counts };
  h.width = width;
  h.lo = lo;
  h.counts = new Float64Array(h.bins);
  if (old.count > 0) addCounts(h, old);
}

/**
 * Adds one value.
 *
 * @param h the histogram (modified)
 * @param value a finite number
 * @throws {TypeError} for NaN or an infinite value
 *
 * @example
 * ```ts
 * import { addValue, createHistogram } from "./histogram.ts";
 * const h = createHistogram({ bins: 2, baseWidth: 1 });
 * addValue(h, 0.5);
 * addValue(h, 3);
 * // 0.5 and 3 span bins 0..3 at width 1, too many for 2 bins: width 2, bins [0, 2) and [2, 4).
 * if (!(h.width === 2 && h.counts.join() === "1,1")) throw new Error("example failed");
 * ```
 */
export function addValue(h: Histogram, value: number): void {
  if (!Number.isFinite(value)) {
    throw new TypeError(`Histogram value ${value} is not finite`);
  }
  const min = Math.min(h.min, value);
  const max = Math.max(h.max, value);
  if (h.count === 0) {
    h.width = fitWidth(h.baseWidth, h.bins, value, value);
    h.lo = Math.floor(value / h.width);
  } else if (min < h.min || max > h.max) {
    refit(h, min, max);
  }
  h.counts[Math.floor(value / h.width) - h.lo]! += 1;
  h.count++;
  h.sum += value;
  h.min = min;
  h.max = max;
}

/**
 * Adds many values.
 *
 * @param h the histogram (modified)
 * @param values finite numbers
 * @throws {TypeError} naming the first non-finite value
 *
 * @example
 * ```ts
 * import { addValues, createHistogram } from "./histogram.ts";
 * const h = createHistogram();
 * addValues(h, [1, 2, 3]);
 * if (h.sum !== 6) throw new Error("example failed");
 * ```
 */
export function addValues(h: Histogram, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) addValue(h, values[i]!);
}

/**
 * Merges two histograms (the "merge" step); neither input changes. The result
 * is the histogram of all their values, identical for any merge order.
 *
 * @param a one histogram
 * @param b another, with the same `bins` and `baseWidth`
 * @returns the merged histogram
 * @throws {RangeError} when bins or base widths differ
 *
 * @example
 * ```ts
 * import { addValue, createHistogram, mergeHistograms } from "./histogram.ts";
 * const a = createHistogram();
 * const b = createHistogram();
 * addValue(a, -1);
 * addValue(b, 100);
 * const m = mergeHistograms(a, b);
 * if (!(m.count === 2 && m.min === -1 && m.max === 100)) throw new Error("example failed");
 * ```
 */
export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  if (a.bins !== b.bins || a.baseWidth !== b.baseWidth) {
    throw new RangeError(
      `Cannot merge a histogram of ${a.bins} bins (base width ${a.baseWidth}) with one of ` +
        `${b.bins} bins (base width ${b.baseWidth})`,
    );
  }
  if (b.count === 0) return { ...a, counts: a.counts.slice() };
  if (a.count === 0) return { ...b, counts: b.counts.slice() };
  const min = Math.min(a.min, b.min);
  const max = Math.max(a.max, b.max);
  const width = fitWidth(Math.max(a.width, b.width), a.bins, min, max);
  const out: Histogram = {
    bins: a.bins,
    baseWidth: a.baseWidth,
    width,
    lo: Math.floor(min / width),
    counts: new Float64Array(a.bins),
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min,
    max,
  };
  addCounts(out, a);
  addCounts(out, b);
  return out;
}

/**
 * Bin edges: `bins + 1` values, edge i = (lo + i)·width.
 *
 * @param h the histogram
 * @returns the edges
 *
 * @example
 * ```ts
 * import { addValue, createHistogram, histogramEdges } from "./histogram.ts";
 * const h = createHistogram({ bins: 2, baseWidth: 1 });
 * addValue(h, 1.5);
 * if (histogramEdges(h).join() !== "1,2,3") throw new Error("example failed");
 * ```
 */
export function histogramEdges(h: Histogram): Float64Array {
  return Float64Array.from({ length: h.bins + 1 }, (_, i) => (h.lo + i) * h.width);
}

/**
 * The q-quantile, interpolating linearly inside the bin that holds it and
 * clamped to [min, max]; within one bin width of the exact quantile.
 *
 * @param h a non-empty histogram
 * @param q in [0, 1]
 * @returns the estimated quantile
 * @throws {RangeError} for an empty histogram or q outside [0, 1]
 *
 * @example
 * ```ts
 * import { addValues, createHistogram, histogramQuantile } from "./histogram.ts";
 * const h = createHistogram();
 * addValues(h, [0, 0, 1]);
 * if (histogramQuantile(h, 1) !== 1) throw new Error("example failed");
 * ```
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count === 0) throw new RangeError("Cannot take a quantile of an empty histogram");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Quantile ${q} is outside [0, 1]`);
  const rank = q * h.count;
  let below = 0;
  for (let i = 0; i < h.bins; i++) {
    const c = h.counts[i]!;
    if (c > 0 && below + c >= rank) {
      const x = (h.lo + i + (rank - below) / c) * h.width;
      return Math.min(h.max, Math.max(h.min, x));
    }
    below += c;
  }
  return h.max;
}
