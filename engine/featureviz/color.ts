/**
 * The colour statistics behind decorrelated feature visualisation.
 *
 * Lucid mixes the three colour channels of a parameterised image through
 * the square root of ImageNet's colour covariance
 * (`color_correlation_svd_sqrt`: eigenvectors scaled by the square roots
 * of their eigenvalues), so that the optimiser's independent coordinates
 * become colours with natural-image correlations. A model trained on other
 * images may see other colours; {@link colorCorrelationSqrt} computes the
 * same matrix from any RGB image set, to pass as `decorrelate`.
 *
 * @example
 * ```ts
 * import { colorCorrelationSqrt } from "./color.ts";
 * // Pure grey pixels: all the variance lies along (1, 1, 1).
 * const images = Float32Array.from({ length: 4 * 3 }, (_, i) => Math.floor(i / 3) / 3);
 * const m = colorCorrelationSqrt({ images, shape: [1, 2, 2, 3] });
 * const first = [m[0]![0]!, m[1]![0]!, m[2]![0]!];
 * if (!first.every((v) => Math.abs(v - first[0]!) < 1e-9) || !(first[0]! > 0)) throw new Error("example failed");
 * ```
 *
 * @module
 */

/** A 3×3 matrix, rows = output colour (Lucid's layout of `color_correlation_svd_sqrt`). */
export type ColorMatrix = readonly (readonly number[])[];

/**
 * Checks a colour matrix for `decorrelate`: 3×3, finite, not all zeros.
 *
 * @param m the matrix
 * @throws {RangeError} naming what is wrong
 */
export function checkColorMatrix(m: ColorMatrix): void {
  if (
    !Array.isArray(m) || m.length !== 3 ||
    !m.every((row) => Array.isArray(row) && row.length === 3 && row.every(Number.isFinite))
  ) {
    throw new RangeError(
      `decorrelate must be true, false or a 3×3 matrix of finite numbers, got ${JSON.stringify(m)}`,
    );
  }
  if (m.every((row) => row.every((v: number) => v === 0))) {
    throw new RangeError("decorrelate: the colour matrix is all zeros");
  }
}

/**
 * The square root of an RGB image set's colour covariance, in Lucid's
 * layout: column k is the k-th eigenvector of the covariance (largest
 * eigenvalue first, signs chosen so each column sums to ≥ 0) times the
 * square root of its eigenvalue. The covariance is over every pixel of
 * every image, in doubles.
 *
 * @param data RGB images, NHWC in [0, 1] (only `images` and `shape` are read)
 * @returns the 3×3 matrix, for `decorrelate` of createImageParam and featureVisualization
 * @throws {RangeError} for images that are not RGB, an empty set, or values that are not finite
 */
export function colorCorrelationSqrt(
  data: { images: Float32Array; shape: readonly [number, number, number, number] },
): number[][] {
  const [n, h, w, c] = data.shape;
  if (c !== 3) throw new RangeError(`colour statistics need RGB images (C = 3), got C = ${c}`);
  const pixels = n * h * w;
  if (pixels === 0 || data.images.length !== pixels * 3) {
    throw new RangeError(
      `colour statistics need a non-empty NHWC image set of ${
        pixels * 3
      } values, got ${data.images.length}`,
    );
  }
  const sum = [0, 0, 0];
  const cross = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const x = data.images;
  for (let p = 0; p < pixels; p++) {
    const r = x[3 * p]!, g = x[3 * p + 1]!, b = x[3 * p + 2]!;
    if (!Number.isFinite(r + g + b)) {
      throw new RangeError(`colour statistics: pixel ${p} has a value that is not finite`);
    }
    const v = [r, g, b];
    for (let i = 0; i < 3; i++) {
      sum[i]! += v[i]!;
      for (let j = 0; j < 3; j++) cross[i * 3 + j]! += v[i]! * v[j]!;
    }
  }
  const cov = cross.map((s, k) =>
    s / pixels - (sum[Math.floor(k / 3)]! / pixels) * (sum[k % 3]! / pixels)
  );
  const { values, vectors } = symmetricEigen3(cov);
  const order = [0, 1, 2].sort((a, b) => values[b]! - values[a]!);
  const out = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  order.forEach((k, col) => {
    const v = [vectors[k]!, vectors[3 + k]!, vectors[6 + k]!];
    const sign = v[0]! + v[1]! + v[2]! < 0 ? -1 : 1;
    const scale = Math.sqrt(Math.max(0, values[k]!));
    for (let row = 0; row < 3; row++) out[row]![col] = sign * v[row]! * scale;
  });
  return out;
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`, row-major) of a
 * symmetric 3×3 matrix, by cyclic Jacobi rotations.
 */
function symmetricEigen3(m: number[]): { values: number[]; vectors: number[] } {
  const a = [...m];
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1]! ** 2 + a[2]! ** 2 + a[5]! ** 2;
    if (off < 1e-30 * (a[0]! ** 2 + a[4]! ** 2 + a[8]! ** 2 + 1e-300)) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p * 3 + q]!;
      if (apq === 0) continue;
      const theta = (a[q * 3 + q]! - a[p * 3 + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const cos = 1 / Math.sqrt(t * t + 1), sin = t * cos;
      // a ← Jᵀ a J, v ← v J, with J the rotation in the (p, q) plane.
      for (let k = 0; k < 3; k++) {
        const akp = a[k * 3 + p]!, akq = a[k * 3 + q]!;
        a[k * 3 + p] = cos * akp - sin * akq;
        a[k * 3 + q] = sin * akp + cos * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k]!, aqk = a[q * 3 + k]!;
        a[p * 3 + k] = cos * apk - sin * aqk;
        a[q * 3 + k] = sin * apk + cos * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!, vkq = v[k * 3 + q]!;
        v[k * 3 + p] = cos * vkp - sin * vkq;
        v[k * 3 + q] = sin * vkp + cos * vkq;
      }
    }
  }
  return { values: [a[0]!, a[4]!, a[8]!], vectors: v };
}
