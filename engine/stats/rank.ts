/**
 * Rank statistics: fractional ranks (ties share their mean rank) and
 * Spearman's rank correlation (Spearman 1904), i.e. Pearson's r of the
 * ranks, which stays exact in the presence of ties.
 *
 * @example
 * ```ts
 * import { spearman } from "./rank.ts";
 * if (!(spearman([1, 2, 3, 4], [10, 20, 30, 40]) === 1)) throw new Error("example failed");
 * ```
 *
 * @module
 */

/**
 * Fractional ranks, 1-based, ties sharing the mean of the ranks they span.
 *
 * @param values the values (finite)
 * @returns rank of each value, same order
 * @throws {TypeError} for a NaN or infinite value, naming its index
 *
 * @example
 * ```ts
 * import { ranks } from "./rank.ts";
 * if (!(ranks([30, 10, 30]).join() === "2.5,1,2.5")) throw new Error("example failed");
 * ```
 */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new TypeError(`Cannot rank ${values[i]} at index ${i}; expected finite values`);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]!] = mean;
    i = j + 1;
  }
  return out;
}

/**
 * Pearson's correlation coefficient of two equally long samples.
 *
 * @param a first sample
 * @param b second sample
 * @returns r in [−1, 1]
 * @throws {RangeError} for different lengths, fewer than 2 values, or a
 *   constant sample (r is undefined then; never a silent NaN)
 *
 * @example
 * ```ts
 * import { pearson } from "./rank.ts";
 * if (!(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12)) throw new Error("example failed");
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) {
    throw new RangeError(`Samples have ${n} and ${b.length} values; expected equal lengths`);
  }
  if (n < 2) throw new RangeError(`A correlation needs at least 2 values, got ${n}`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) {
    throw new RangeError(
      `The ${saa === 0 ? "first" : "second"} sample is constant; its correlation is undefined`,
    );
  }
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Spearman's rank correlation ρ (Spearman 1904): Pearson's r of the
 * fractional ranks, exact with ties (not the 1 − 6Σd²/(n(n²−1)) shortcut,
 * which is only exact without ties).
 *
 * @param a first sample (finite values)
 * @param b second sample, same length
 * @returns ρ in [−1, 1]
 * @throws {RangeError} for different lengths, fewer than 2 values or a
 *   constant sample; {@link TypeError} for NaN or infinite values
 *
 * @example
 * ```ts
 * import { spearman } from "./rank.ts";
 * // Ranks (1, 2, 3, 4, 5) vs (1, 2, 4, 3, 5): 1 − 6·2 / (5·24) = 0.9.
 * if (!(Math.abs(spearman([1, 2, 3, 4, 5], [10, 20, 40, 30, 50]) - 0.9) < 1e-12)) throw new Error("example failed");
 * ```
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`Samples have ${a.length} and ${b.length} values; expected equal lengths`);
  }
  return pearson(ranks(a), ranks(b));
}

/**
 * Quantile q ∈ [0, 1] of sorted values, linear interpolation (numpy's
 * default `np.quantile(..., method="linear")`).
 *
 * @param sorted values in ascending order
 * @param q the quantile, 0 … 1
 * @returns the interpolated quantile
 * @throws {RangeError} for an empty array
 * @example
 * ```ts
 * import { quantileSorted } from "./rank.ts";
 * if (quantileSorted([1, 2, 3, 4], 0.5) !== 2.5) throw new Error("example failed");
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantile of an empty array");
  const pos = q * (n - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}
