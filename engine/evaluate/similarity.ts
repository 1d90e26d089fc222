/**
 * Similarity of two maps, as used by the sanity checks of Adebayo et al.
 * 2018: Spearman rank correlation and SSIM (Wang et al. 2004).
 *
 * @example
 * ```ts
 * import { spearman, ssim } from "./similarity.ts";
 * const a = { values: [0, 1, 2, 3], shape: [2, 2] as [number, number] };
 * if (spearman(a.values, [10, 20, 30, 40]) !== 1 || Math.abs(ssim(a, a) - 1) > 1e-9) {
 *   throw new Error("example failed");
 * }
 * ```
 *
 * @module
 */
import { pearson, ranks } from "../stats/rank.ts";

/** A 2-D map: row-major values and [H, W]. */
export interface Map2D {
  values: ArrayLike<number>;
  shape: readonly [number, number];
}

/** Options of {@link ssim}. */
export interface SsimOptions {
  /**
   * Side of the Gaussian window. Default: 11 (Wang et al.). Maps smaller than
   * the window use the largest odd side that fits.
   */
  window?: number;
  /** σ of the window. Default: 1.5. */
  sigma?: number;
  /** Data range L of C1 = (0.01 L)², C2 = (0.03 L)². Default: 1. */
  dataRange?: number;
  /** Min–max normalise each map to [0, 1] first (a constant map → zeros). Default: true. */
  normalize?: boolean;
}

/**
 * Spearman rank correlation: the Pearson correlation of the ranks (ties get
 * their average rank), ρ = 1 − 6Σd²/(n(n²−1)) when there are no ties.
 *
 * @param a values
 * @param b values of the same length
 * @returns ρ in [−1, 1]; 0 when either has no variation (no ranking to compare)
 * @throws {RangeError} for different lengths or fewer than two values
 * @throws {TypeError} for NaN or infinite values
 *
 * @example
 * ```ts
 * import { spearman } from "./similarity.ts";
 * if (spearman([1, 2, 3], [3, 2, 1]) !== -1) throw new Error("example failed");
 * ```
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, "spearman");
  const [ra, rb] = [ranks(a), ranks(b)];
  // A constant map has no ranking to compare: report no correlation.
  if (ra.every((r) => r === ra[0]) || rb.every((r) => r === rb[0])) return 0;
  return pearson(ra, rb);
}

/**
 * Mean structural similarity (Wang et al. 2004, eq. 13) of two maps with a
 * Gaussian window (11, σ = 1.5), C1 = (0.01 L)², C2 = (0.03 L)², L = 1, on
 * min–max normalised maps. Local statistics are Gaussian-weighted over every
 * window that fits inside the map ("valid", as Wang et al.'s reference code),
 * and the SSIM map is averaged.
 *
 * @param a a map
 * @param b a map of the same shape
 * @param options see {@link SsimOptions}
 * @returns the mean SSIM, 1 for identical maps
 * @throws {RangeError} for shapes that differ or do not fit the values
 * @throws {TypeError} for NaN or infinite values
 *
 * @example
 * ```ts
 * import { ssim } from "./similarity.ts";
 * const a = { values: [0, 1, 1, 0], shape: [2, 2] as [number, number] };
 * const b = { values: [1, 0, 0, 1], shape: [2, 2] as [number, number] };
 * // 2×2 maps fit only a 1×1 window: SSIM = C1 / (1 + C1) per pixel, near 0.
 * if (!(ssim(a, b) < 1e-3)) throw new Error("example failed");
 * ```
 */
export function ssim(a: Map2D, b: Map2D, options: SsimOptions = {}): number {
  const [h, w] = a.shape;
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new RangeError(`SSIM of maps [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  }
  if (a.values.length !== h * w || b.values.length !== h * w) {
    throw new RangeError(
      `SSIM maps hold ${a.values.length} and ${b.values.length} values; [${h}, ${w}] needs ${
        h * w
      }`,
    );
  }
  checkPair(a.values, b.values, "ssim");
  const sigma = options.sigma ?? 1.5;
  const range = options.dataRange ?? 1;
  let win = options.window ?? 11;
  if (!Number.isInteger(win) || win < 1 || win % 2 === 0) {
    throw new RangeError(`window is ${win}; expected an odd positive integer`);
  }
  if (!(sigma > 0) || !(range > 0)) {
    throw new RangeError(`sigma ${sigma} and dataRange ${range} must be positive`);
  }
  const fit = Math.min(h, w);
  if (win > fit) win = fit % 2 === 1 ? fit : fit - 1;
  const x = options.normalize === false ? Float64Array.from(a.values) : minMax(a.values);
  const y = options.normalize === false ? Float64Array.from(b.values) : minMax(b.values);
  const half = (win - 1) / 2;
  const g1 = Array.from({ length: win }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma ** 2)));
  const s1 = g1.reduce((p, q) => p + q, 0);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  let count = 0;
  for (let i0 = 0; i0 + win <= h; i0++) {
    for (let j0 = 0; j0 + win <= w; j0++) {
      let mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
      for (let i = 0; i < win; i++) {
        for (let j = 0; j < win; j++) {
          const g = (g1[i]! * g1[j]!) / (s1 * s1);
          const u = x[(i0 + i) * w + j0 + j]!;
          const v = y[(i0 + i) * w + j0 + j]!;
          mx += g * u;
          my += g * v;
          xx += g * u * u;
          yy += g * v * v;
          xy += g * u * v;
        }
      }
      const vx = xx - mx * mx;
      const vy = yy - my * my;
      const cxy = xy - mx * my;
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) /
        ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

/**
 * Min–max normalisation to [0, 1] in float64; a constant input becomes zeros.
 *
 * @param a values
 * @returns the normalised copy
 * @example
 * ```ts
 * import { minMax } from "./similarity.ts";
 * if (minMax([2, 4, 3]).join() !== "0,1,0.5") throw new Error("example failed");
 * ```
 */
export function minMax(a: ArrayLike<number>): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i]!);
    hi = Math.max(hi, a[i]!);
  }
  const span = hi - lo;
  return Float64Array.from(a, (v) => (span > 0 ? (v - lo) / span : 0));
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${what} of ${a.length} and ${b.length} values; expected equal lengths`);
  }
  if (a.length < 2) throw new RangeError(`${what} needs at least 2 values; got ${a.length}`);
  for (const [name, v] of [["first", a], ["second", b]] as const) {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!)) {
        throw new TypeError(`${what}: the ${name} map holds ${v[i]} at index ${i}`);
      }
    }
  }
}
