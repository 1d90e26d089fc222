/**
 * The image similarities NeuronIM compares a neuron's feature visualisation
 * and its SHAP image with: SSIM (Wang et al. 2004, the default), Pearson
 * correlation and cosine similarity, plus the grey-level conversion that
 * turns a visualisation into a map.
 *
 * @example
 * ```ts
 * import { greyLevel, mapSimilarity } from "./similarity.ts";
 * // A 2×2 RGB image whose grey level equals the map: similarity 1.
 * const rgb = Float32Array.from([0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
 * const grey = greyLevel(rgb, [2, 2, 3]);
 * const map = { values: [0, 1, 1, 0], shape: [2, 2] as [number, number] };
 * if (Math.abs(mapSimilarity({ values: grey, shape: [2, 2] }, map) - 1) > 1e-9) {
 *   throw new Error("example failed");
 * }
 * ```
 *
 * @module
 */
import { type Map2D, minMax, ssim } from "../evaluate/similarity.ts";
import { pearson } from "../stats/rank.ts";

/** The similarity measures NeuronIM offers. */
export const SIMILARITY_MEASURES = ["ssim", "pearson", "cosine"] as const;

/** One of {@link SIMILARITY_MEASURES}. */
export type SimilarityMeasure = typeof SIMILARITY_MEASURES[number];

/** Options of {@link mapSimilarity}. */
export interface MapSimilarityOptions {
  /** `ssim` (default), `pearson` or `cosine`. */
  measure?: SimilarityMeasure;
  /** SSIM's Gaussian window side. Default: 11. */
  window?: number;
  /** SSIM's window σ. Default: 1.5. */
  sigma?: number;
  /** SSIM's data range L (C1 = (0.01 L)², C2 = (0.03 L)²). Default: 1. */
  dataRange?: number;
  /**
   * Min–max normalise both maps to [0, 1] first (a constant map becomes
   * zeros). Default: true. Pearson does not depend on it; cosine and SSIM do.
   */
  normalize?: boolean;
}

/**
 * Similarity of two maps of the same shape, as NeuronIM uses it
 * (METHODS.md §5): SSIM (Wang et al. 2004, eq. 13; Gaussian window 11,
 * σ = 1.5), Pearson's r, or the cosine of the angle between the maps as
 * vectors. Maps are min–max normalised first unless `normalize` is false.
 *
 * A map without variation has no pattern to compare: Pearson then returns 0
 * (instead of an undefined r), cosine returns 0 when either map is all zeros.
 *
 * @param a a map ({ values, shape: [H, W] })
 * @param b a map of the same shape
 * @param options see {@link MapSimilarityOptions}
 * @returns SSIM in (−1, 1], r in [−1, 1], or cosine in [−1, 1]; 1 for identical maps
 * @throws {RangeError} for shapes that differ or do not fit the values, fewer
 *   than 2 values, or an unknown measure; {@link TypeError} for NaN or infinite values
 * @example
 * ```ts
 * import { mapSimilarity } from "./similarity.ts";
 * const a = { values: [0, 1, 2, 3], shape: [2, 2] as [number, number] };
 * const b = { values: [3, 2, 1, 0], shape: [2, 2] as [number, number] };
 * if (mapSimilarity(a, b, { measure: "pearson" }) !== -1) throw new Error("example failed");
 * ```
 */
export function mapSimilarity(a: Map2D, b: Map2D, options: MapSimilarityOptions = {}): number {
  const measure = options.measure ?? "ssim";
  if (!SIMILARITY_MEASURES.includes(measure)) {
    throw new RangeError(
      `Unknown similarity "${String(measure)}"; expected one of ${SIMILARITY_MEASURES.join(", ")}`,
    );
  }
  const normalize = options.normalize ?? true;
  if (measure === "ssim") {
    const ssimOptions: Parameters<typeof ssim>[2] = { normalize };
    if (options.window !== undefined) ssimOptions.window = options.window;
    if (options.sigma !== undefined) ssimOptions.sigma = options.sigma;
    if (options.dataRange !== undefined) ssimOptions.dataRange = options.dataRange;
    return ssim(a, b, ssimOptions);
  }
  checkMaps(a, b);
  const x = normalize ? minMax(a.values) : Float64Array.from(a.values);
  const y = normalize ? minMax(b.values) : Float64Array.from(b.values);
  if (measure === "pearson") {
    // Pearson's r is undefined for a constant map; no correlation is the honest answer.
    if (isConstant(x) || isConstant(y)) return 0;
    return pearson(x, y);
  }
  return cosine(x, y);
}

/**
 * Cosine similarity Σ a·b / (‖a‖ ‖b‖) of two vectors.
 *
 * @param a values
 * @param b values of the same length
 * @returns cosine in [−1, 1]; 0 when either vector is all zeros
 * @throws {RangeError} for different lengths
 * @example
 * ```ts
 * import { cosine } from "./similarity.ts";
 * if (Math.abs(cosine([1, 0], [1, 1]) - Math.SQRT1_2) > 1e-12) throw new Error("example failed");
 * ```
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`cosine of ${a.length} and ${b.length} values; expected equal lengths`);
  }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  if (aa === 0 || bb === 0) return 0;
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}

/**
 * A grey-level map of an image: the mean over colour channels, min–max
 * normalised to [0, 1] (a constant image gives zeros). How NeuronIM turns a
 * feature visualisation into a map (METHODS.md §5).
 *
 * @param image H·W·C values, HWC order
 * @param shape [H, W, C]
 * @returns H·W values in [0, 1]
 * @throws {RangeError} when the image does not hold H·W·C values
 * @example
 * ```ts
 * import { greyLevel } from "./similarity.ts";
 * const g = greyLevel(Float32Array.from([0, 0.2, 0.4, 0.6]), [2, 1, 2]);
 * if (g.join() !== "0,1") throw new Error("example failed");
 * ```
 */
export function greyLevel(
  image: ArrayLike<number>,
  shape: readonly [number, number, number],
): Float32Array {
  const [h, w, c] = shape;
  if (image.length !== h * w * c || !(c > 0)) {
    throw new RangeError(
      `Image holds ${image.length} values; shape [${shape.join(", ")}] needs ${h * w * c}`,
    );
  }
  const grey = new Float64Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += image[p * c + k]!;
    grey[p] = s / c;
  }
  return Float32Array.from(minMax(grey));
}

function checkMaps(a: Map2D, b: Map2D): void {
  const [h, w] = a.shape;
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new RangeError(`Maps [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
  }
  if (a.values.length !== h * w || b.values.length !== h * w) {
    throw new RangeError(
      `Maps hold ${a.values.length} and ${b.values.length} values; [${h}, ${w}] needs ${h * w}`,
    );
  }
  if (h * w < 2) throw new RangeError(`Maps need at least 2 values; got ${h * w}`);
  for (const [name, m] of [["first", a], ["second", b]] as const) {
    for (let i = 0; i < m.values.length; i++) {
      if (!Number.isFinite(m.values[i]!)) {
        throw new TypeError(`The ${name} map holds ${m.values[i]} at index ${i}`);
      }
    }
  }
}

function isConstant(v: Float64Array): boolean {
  return v.every((x) => x === v[0]);
}
