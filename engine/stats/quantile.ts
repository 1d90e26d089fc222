/**
 * Per-unit quantiles over a stream of activations: a mergeable fixed-bin
 * histogram sketch (built on the device per batch, merged in plain JS) and an
 * exact full-sort reference.
 *
 * The sketch of unit k has `bins` (B) bins of width w_k = 2^e_k on a grid
 * anchored at 0: bin j covers [(o_k + j)·w_k, (o_k + j + 1)·w_k). Because every
 * width is a power of two, the bins of two sketches nest, so coarsening (e → e+1
 * merges bins pairwise) and merging are exact; e_k is the smallest exponent
 * whose window of B − 1 bins covers [min_k, max_k] of everything seen (one
 * spare bin absorbs float32 rounding on the device), so
 * w_k < 2·(max_k − min_k)/(B − 2), unless the unit's values are so far from 0
 * that float32 cannot resolve that (|value|/w_k is kept below 2^22).
 *
 * **Error bound.** With n values sorted v_0 ≤ … ≤ v_{n−1} and r = q·(n − 1)
 * (numpy's default "linear" definition), the estimate lies in
 * [v_⌊r⌋ − w_k, v_⌈r⌉ + w_k], an interval that contains the exact quantile:
 * the error is at most one bin width w_k (returned per unit), up to the float32
 * rounding of bucketing on the device. Memory is K·B counts, whatever the
 * number of values.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { sketchBatch, sketchQuantiles } from "./quantile.ts";
 * const x = tf.tensor2d([[0, 10], [1, 20], [2, 30], [3, 40]]); // 4 values of 2 units
 * const s = await sketchBatch(x, { bins: 64 });
 * x.dispose();
 * const { values, binWidth } = sketchQuantiles(s, 0.5);
 * // Rank 1.5 lies between the values 1 and 2: the estimate is within one bin of [1, 2].
 * const w = binWidth[0]!;
 * if (!(values[0]! >= 1 - w && values[0]! <= 2 + w)) throw new Error("unit 0 median is off");
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { quantileSorted } from "./rank.ts";
import { simdBucket, simdMinMax } from "../kernels/_simd_dissect_sketch.ts";
import { wasmHeap } from "../kernels/_simd_runtime.ts";

/** A mergeable per-unit histogram (see the module doc). Plain data: it can cross workers. */
export interface QuantileSketch {
  /** Number of units K. */
  units: number;
  /** Bins per unit B. */
  bins: number;
  /** Values folded in per unit. */
  count: number;
  /** Bin width exponent per unit: w_k = 2^exponent[k]. */
  exponent: Int32Array;
  /** Absolute grid index of each unit's first bin (an integer). */
  offset: Float64Array;
  /** Counts, [K, B] row-major. */
  counts: Float64Array;
  /** Smallest value seen per unit (+∞ when empty). */
  min: Float64Array;
  /** Largest value seen per unit (−∞ when empty). */
  max: Float64Array;
}

/** Options of {@link sketchBatch}. */
export interface SketchOptions {
  /** Bins per unit. Default 2048. */
  bins?: number;
  /**
   * On the WASM backend, run the batch step as the project's SIMD kernels
   * (engine/kernels/_simd_dissect_sketch.ts) when the values are float32
   * and K is a multiple of 4; the counts are the same. Default true.
   */
  simd?: boolean;
}

/** Default number of bins: error ≤ 2·range/2046 ≈ 0.1 % of each unit's range. */
export const DEFAULT_BINS = 2048;

/** Exponent used for a unit whose values are all equal (any window holds them; estimates are clamped to [min, max]). */
const FLAT_EXPONENT = -40;

/**
 * An empty sketch of `units` units (the identity of {@link mergeSketches}).
 *
 * @param units number of units K
 * @param options see {@link SketchOptions}
 * @returns a sketch with no values
 * @example
 * ```ts
 * import { emptySketch } from "./quantile.ts";
 * if (emptySketch(3).count !== 0) throw new Error("not empty");
 * ```
 */
export function emptySketch(units: number, options: SketchOptions = {}): QuantileSketch {
  const bins = checkBins(options.bins ?? DEFAULT_BINS);
  if (!Number.isInteger(units) || units < 1) {
    throw new RangeError(`units must be a positive integer, got ${units}`);
  }
  return {
    units,
    bins,
    count: 0,
    exponent: new Int32Array(units).fill(FLAT_EXPONENT),
    offset: new Float64Array(units),
    counts: new Float64Array(units * bins),
    min: new Float64Array(units).fill(Infinity),
    max: new Float64Array(units).fill(-Infinity),
  };
}

/**
 * Sketches one batch on the device (the "map" step): values [..., K] (the
 * last axis is the unit) are bucketed per unit with `tf.bincount` after one
 * small read of the per-unit min and max; only [K, B] counts come back.
 *
 * The values are viewed as one image [1, 1, n, K] with a channel per unit, so
 * the per-unit min/max are one max-pooling window and the per-unit maps to
 * a bin, ⌊x·2^−e_k − o_k⌋, and to a count index are 1×1 depthwise
 * convolutions with bias: XNNPACK kernels, with no transpose (about 3×
 * faster on WASM than transposing to units-first and bucketing there). The
 * product with a power of two is exact, so the bin is rounded once. On WASM
 * (float32 values, K a multiple of 4) the same arithmetic runs as two SIMD
 * kernels of the project's own on the heap, a min/max pass and a bucketing
 * pass (engine/kernels/_simd_dissect_sketch.ts): no read-back through tfjs,
 * about half the time, the same counts.
 *
 * @param values activations, any rank ≥ 1, last axis = units; not disposed
 * @param options see {@link SketchOptions}
 * @returns the batch's sketch, to fold in with {@link mergeSketches}
 * @throws {RangeError} for NaN or infinite values (named by unit when infinite)
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { sketchBatch } from "./quantile.ts";
 * const x = tf.tensor1d([1, 2, 3]);
 * const s = await sketchBatch(tf.reshape(x, [3, 1]), { bins: 8 });
 * x.dispose();
 * if (s.count !== 3 || s.max[0] !== 3) throw new Error("bad sketch");
 * ```
 */
export async function sketchBatch(
  values: tf.Tensor,
  options: SketchOptions = {},
): Promise<QuantileSketch> {
  const bins = checkBins(options.bins ?? DEFAULT_BINS);
  const units = values.shape.at(-1) ?? 0;
  const n = units === 0 ? 0 : values.size / units;
  const sketch = emptySketch(Math.max(units, 1), { bins });
  if (n === 0) return sketch;
  // The project's SIMD kernels on WASM (float32, K a multiple of 4); tf ops otherwise.
  const heap = (options.simd ?? true) && values.dtype === "float32" && units % 4 === 0
    ? wasmHeap(tf.backend())
    : null;
  let lohi: Float32Array;
  if (heap) {
    lohi = simdMinMax(heap, values);
    for (let k = 0; k < 2 * units; k++) {
      if (Number.isNaN(lohi[k])) throw new RangeError("the values hold NaN");
    }
  } else {
    const range = tf.tidy(() => {
      const x = tf.reshape(values, [1, 1, n, units]) as tf.Tensor4D;
      const top = (v: tf.Tensor4D) => tf.reshape(tf.maxPool(v, [1, n], [1, n], "valid"), [units]);
      return tf.concat([tf.neg(top(tf.neg(x))), top(x)]);
    });
    try {
      lohi = (await range.data()) as Float32Array;
    } finally {
      range.dispose();
    }
  }
  const inv = new Float32Array(units), shift = new Float32Array(units);
  for (let k = 0; k < units; k++) {
    const mn = lohi[k] as number, mx = lohi[units + k] as number;
    if (!Number.isFinite(mn) || !Number.isFinite(mx)) {
      throw new RangeError(`unit ${k} has a non-finite value (min ${mn}, max ${mx})`);
    }
    sketch.min[k] = mn;
    sketch.max[k] = mx;
    const e = fitExponent(mn, mx, bins);
    sketch.exponent[k] = e;
    sketch.offset[k] = Math.floor(mn / 2 ** e);
    inv[k] = 2 ** -e;
    // x·2^−e − offset: exact in float32 up to a fraction of a bin (|offset| < 2^22).
    shift[k] = -sketch.offset[k]!;
  }
  if (heap) {
    // NaN was caught by min/max above; ±∞ by the finiteness check.
    sketch.counts.set(simdBucket(heap, values, { scale: inv, shift, bins }));
    sketch.count = n;
    return sketch;
  }
  const counts = tf.tidy(() => {
    // Bin j = ⌊x·2^−e − o⌋ (fitExponent keeps a spare top bin, so float32
    // rounding stays in range), then the bin-major index 1 + j·K + k: the
    // units of one position land side by side, which makes bincount twice as
    // fast as unit-major indices (cache). Index 0 is kept free: a NaN (which
    // max pooling skips) casts to 0.
    const x = tf.reshape(values, [1, 1, n, units]) as tf.Tensor4D;
    const perUnit = (v: tf.Tensor4D, scale: Float32Array, bias: Float32Array) =>
      tf.fused.depthwiseConv2d({
        x: v,
        filter: tf.tensor4d(scale, [1, 1, units, 1]),
        strides: 1,
        pad: "valid",
        bias: tf.tensor1d(bias),
      });
    const bin = tf.floor(perUnit(x, inv, shift)) as tf.Tensor4D;
    const global = perUnit(
      bin,
      new Float32Array(units).fill(units),
      Float32Array.from({ length: units }, (_, k) => k + 1),
    );
    const index = tf.reshape(tf.cast(global, "int32"), [-1]) as tf.Tensor1D;
    return tf.bincount(index, tf.tensor1d([], "float32"), units * bins + 1);
  });
  let total = 0;
  try {
    const c = await counts.data();
    for (let k = 0; k < units; k++) {
      for (let j = 0, at = 1 + k; j < bins; j++, at += units) {
        total += sketch.counts[k * bins + j] = c[at] as number;
      }
    }
    // NaN casts to 0 (or, on some devices, to a negative index that is not
    // counted): either way it shows here.
    if (c[0] !== 0 || total !== n * units) throw new RangeError("the values hold NaN");
  } finally {
    counts.dispose();
  }
  sketch.count = n;
  return sketch;
}

/**
 * Merges two sketches of the same units into a new one (the "merge" step):
 * exact, associative and commutative, since both are coarsened to a common
 * power-of-two grid before adding.
 *
 * @param a a sketch
 * @param b a sketch with the same `units` and `bins`
 * @returns a new sketch of both; inputs are unchanged
 * @throws {RangeError} when units or bins differ
 * @example
 * ```ts
 * import { emptySketch, mergeSketches } from "./quantile.ts";
 * const m = mergeSketches(emptySketch(2), emptySketch(2));
 * if (m.count !== 0) throw new Error("bad merge");
 * ```
 */
export function mergeSketches(a: QuantileSketch, b: QuantileSketch): QuantileSketch {
  if (a.units !== b.units || a.bins !== b.bins) {
    throw new RangeError(
      `cannot merge sketches of ${a.units} units × ${a.bins} bins and ${b.units} × ${b.bins}`,
    );
  }
  if (a.count === 0) return cloneSketch(b);
  if (b.count === 0) return cloneSketch(a);
  const { units, bins } = a;
  const out = emptySketch(units, { bins });
  out.count = a.count + b.count;
  for (let k = 0; k < units; k++) {
    const mn = Math.min(a.min[k]!, b.min[k]!), mx = Math.max(a.max[k]!, b.max[k]!);
    let e = Math.max(a.exponent[k]!, b.exponent[k]!, fitExponent(mn, mx, bins));
    // The window must hold both inputs' occupied windows after coarsening.
    for (;;) {
      const first = Math.min(
        coarsen(a.offset[k]!, a.exponent[k]!, e),
        coarsen(b.offset[k]!, b.exponent[k]!, e),
      );
      const last = Math.max(
        coarsen(a.offset[k]! + lastUsed(a, k), a.exponent[k]!, e),
        coarsen(b.offset[k]! + lastUsed(b, k), b.exponent[k]!, e),
      );
      if (last - first < bins) {
        out.exponent[k] = e;
        out.offset[k] = first;
        break;
      }
      e++;
    }
    out.min[k] = mn;
    out.max[k] = mx;
    const row = k * bins;
    for (const s of [a, b]) {
      const step = 2 ** (out.exponent[k]! - s.exponent[k]!), first = s.offset[k]!;
      if (step === 1 && first === out.offset[k]!) {
        // Same grid (the running total, once its range has settled): a copy
        // into the still empty row, or a plain sum.
        if (s === a) out.counts.set(s.counts.subarray(row, row + bins), row);
        else for (let j = row; j < row + bins; j++) out.counts[j] = out.counts[j]! + s.counts[j]!;
        continue;
      }
      for (let j = 0; j < bins; j++) {
        const c = s.counts[row + j]!;
        if (c === 0) continue;
        const at = Math.floor((first + j) / step) - out.offset[k]!;
        out.counts[row + at] = out.counts[row + at]! + c;
      }
    }
  }
  return out;
}

/** Per-unit quantile estimates and their error bounds. */
export interface SketchQuantiles {
  /** Estimated q-quantile per unit. */
  values: Float64Array;
  /** Bin width per unit: the estimate is within this of the exact quantile's bracketing order statistics (module doc). */
  binWidth: Float64Array;
}

/**
 * Reads the q-quantile of every unit from a sketch, interpolating linearly
 * inside the bin that holds rank q·(n − 1), clamped to [min, max].
 *
 * @param sketch a non-empty sketch
 * @param q the quantile in [0, 1]
 * @returns estimates and per-unit error bounds (bin widths)
 * @throws {RangeError} for q outside [0, 1] or an empty sketch
 * @example
 * ```ts
 * import { emptySketch, sketchQuantiles } from "./quantile.ts";
 * try { sketchQuantiles(emptySketch(1), 0.5); throw new Error("no error"); }
 * catch (e) { if (!(e instanceof RangeError)) throw e; }
 * ```
 */
export function sketchQuantiles(sketch: QuantileSketch, q: number): SketchQuantiles {
  checkQuantile(q);
  if (sketch.count === 0) throw new RangeError("cannot take a quantile of an empty sketch");
  const { units, bins } = sketch;
  const values = new Float64Array(units), binWidth = new Float64Array(units);
  const r = q * (sketch.count - 1);
  for (let k = 0; k < units; k++) {
    const w = 2 ** sketch.exponent[k]!;
    binWidth[k] = sketch.max[k]! > sketch.min[k]! ? w : 0;
    let before = 0, j = 0;
    for (; j < bins; j++) {
      const c = sketch.counts[k * bins + j]!;
      if (before + c > r) break;
      before += c;
    }
    if (j === bins) j = bins - 1;
    const c = sketch.counts[k * bins + j]!;
    const within = c > 0 ? Math.min(1, (r - before + 0.5) / c) : 0.5;
    const est = (sketch.offset[k]! + j + within) * w;
    values[k] = Math.min(sketch.max[k]!, Math.max(sketch.min[k]!, est));
  }
  return { values, binWidth };
}

/**
 * Exact q-quantile of each unit by a full sort (numpy's "linear" definition):
 * the reference for tests and for small probe sets. Memory grows with the data.
 *
 * @param columns one array of values per unit
 * @param q the quantile in [0, 1]
 * @returns the quantile per unit
 * @throws {RangeError} for q outside [0, 1] or an empty column
 * @example
 * ```ts
 * import { exactQuantiles } from "./quantile.ts";
 * const [m] = exactQuantiles([Float32Array.from([3, 1, 2, 4])], 0.5);
 * if (m !== 2.5) throw new Error("bad median");
 * ```
 */
export function exactQuantiles(columns: readonly ArrayLike<number>[], q: number): Float64Array {
  checkQuantile(q);
  return Float64Array.from(columns, (col, k) => {
    if (col.length === 0) throw new RangeError(`unit ${k} has no values`);
    return quantileSorted(Float64Array.from(col).sort(), q);
  });
}

/** Smallest exponent e such that [mn, mx] fits in `bins` bins of width 2^e on the 0-anchored grid. */
function fitExponent(mn: number, mx: number, bins: number): number {
  if (!(mx > mn)) {
    // All equal: any window holds them; keep the grid index small for float32.
    let e = FLAT_EXPONENT;
    while (Math.abs(mx) / 2 ** e + bins > GRID_LIMIT) e++;
    return e;
  }
  let e = Math.floor(Math.log2((mx - mn) / (bins - 2)));
  // One spare bin at the top (device rounding), and grid indices below 2^22 so
  // that x·2^−e is exact to a fraction of a bin in float32.
  while (
    Math.floor(mx / 2 ** e) - Math.floor(mn / 2 ** e) >= bins - 1 ||
    Math.max(Math.abs(mn), Math.abs(mx)) / 2 ** e + bins > GRID_LIMIT
  ) e++;
  return e;
}

/** Largest |grid index| allowed (float32 keeps 2 fractional bits of a bin there). */
const GRID_LIMIT = 2 ** 22;

/** Absolute bin index at exponent `from` → the index of the bin holding it at exponent `to` ≥ from. */
function coarsen(index: number, from: number, to: number): number {
  return Math.floor(index / 2 ** (to - from));
}

/** Index (within the window) of the last non-empty bin of unit k, or 0. */
function lastUsed(s: QuantileSketch, k: number): number {
  for (let j = s.bins - 1; j > 0; j--) if (s.counts[k * s.bins + j]! > 0) return j;
  return 0;
}

function cloneSketch(s: QuantileSketch): QuantileSketch {
  return {
    ...s,
    exponent: s.exponent.slice(),
    offset: s.offset.slice(),
    counts: s.counts.slice(),
    min: s.min.slice(),
    max: s.max.slice(),
  };
}

function checkBins(bins: number): number {
  if (!Number.isInteger(bins) || bins < 2) {
    throw new RangeError(`bins must be an integer ≥ 2, got ${bins}`);
  }
  return bins;
}

function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
}
