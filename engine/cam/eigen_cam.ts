/**
 * Eigen-CAM (Muhammad & Yeasin 2020, "Eigen-CAM: Class Activation Map using
 * Principal Components", eq. 6–7): no gradients and no class; the map is the
 * projection of the activations, as a matrix A of shape (h·w) × K, on their
 * first right singular vector v₁: map = A v₁.
 *
 * Choices (the paper leaves them open): A is not centred by default, as in
 * the paper's equations (pytorch-grad-cam centres the columns; option
 * `center: true`). The sign of a singular vector is arbitrary, so it is
 * chosen to make the map correlate positively with the channel-mean
 * activation (or, for a one-position map, to agree with it in sign).
 *
 * v₁ is found per image in float64 on the CPU, after one read-back of the
 * activations (small: h·w × K per image): the top eigenvector of the Gram
 * matrix G = AᵀA by power iteration started from G's largest column (never
 * orthogonal to v₁), until the direction changes by less than 1e-10. Doing
 * this with tensor ops meant dozens of tiny K×K kernels per batch, several
 * times the cost of the forward pass. When λ₁ = λ₂ any unit vector of
 * their plane is an answer.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { forwardCam } from "./_forward.ts";
import type { CamInput, CamOutput } from "./types.ts";

/** Method-specific options of {@link eigenCam}. */
export interface EigenCamOptions {
  /** Subtract each channel's spatial mean before the decomposition. Default: false. */
  center?: boolean;
}

/** Power-iteration stopping rule: direction change below this, or the step cap. */
const TOLERANCE = 1e-10;
const MAX_STEPS = 2000;

/**
 * Eigen-CAM maps of one batch (Muhammad & Yeasin 2020, eq. 6–7): A v₁, the first principal direction.
 *
 * @param input one validated batch and the layer; `options`: {@link EigenCamOptions}.
 *   The target only decides the reported classes and scores.
 * @returns raw maps [n, h, w] before the ReLU, classes and scores
 * @throws {TypeError} for a non-boolean `center`
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * // A 1×1 conv without bias makes A = x·wᵀ of rank one, so the map is x·|w| = x·√5.
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 2, kernelSize: 1, useBias: false,
 *     name: "conv", weights: [tf.tensor4d([1, 2], [1, 1, 1, 2])] }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.tensor4d([0, 0.25, 0.5, 1], [1, 2, 2, 1]);
 * const m = await cam(wrapModel(model), x, { method: "eigenCam", normalize: false });
 * if (!(Math.abs(m.raw[3]! - Math.sqrt(5)) < 1e-5)) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function eigenCam(input: CamInput): Promise<CamOutput> {
  const center = input.options.center ?? false;
  if (typeof center !== "boolean") {
    throw new TypeError(`eigenCam option center is ${center}; expected a boolean`);
  }
  const f = forwardCam(input);
  try {
    const [n, h, w, k] = f.activations.shape;
    const values = await f.activations.data() as Float32Array;
    const maps = new Float32Array(n * h * w);
    for (let i = 0; i < n; i++) {
      const a = values.subarray(i * h * w * k, (i + 1) * h * w * k);
      maps.set(eigenMap(a, h * w, k, center), i * h * w);
    }
    return { maps: tf.tensor3d(maps, [n, h, w]), classes: f.classes, scores: f.scores };
  } catch (e) {
    tf.dispose([f.classes, f.scores]);
    throw e;
  } finally {
    f.activations.dispose();
  }
}

/**
 * A·v₁ for one image's activations (row-major p × k), sign-fixed so the map
 * correlates positively with the channel-mean activation (or agrees with it
 * in sign when the correlation is zero).
 */
function eigenMap(act: Float32Array, p: number, k: number, center: boolean): Float64Array {
  const a = Float64Array.from(act);
  if (center) {
    for (let c = 0; c < k; c++) {
      let mean = 0;
      for (let r = 0; r < p; r++) mean += a[r * k + c]!;
      mean /= p;
      for (let r = 0; r < p; r++) a[r * k + c]! -= mean;
    }
  }
  const gram = new Float64Array(k * k);
  // Upper triangle only (G is symmetric); ReLU zeros are skipped.
  for (let r = 0; r < p; r++) {
    const row = r * k;
    for (let c1 = 0; c1 < k; c1++) {
      const x = a[row + c1]!;
      if (x === 0) continue;
      for (let c2 = c1; c2 < k; c2++) gram[c1 * k + c2]! += x * a[row + c2]!;
    }
  }
  for (let c1 = 0; c1 < k; c1++) {
    for (let c2 = 0; c2 < c1; c2++) gram[c1 * k + c2] = gram[c2 * k + c1]!;
  }
  const v = topEigenvector(gram, k);
  const map = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += a[r * k + c]! * v[c]!;
    map[r] = s;
  }
  // Fix the arbitrary sign of v₁ against the mean activation of each position.
  const meanAct = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += act[r * k + c]!;
    meanAct[r] = s / k;
  }
  const mu = (x: Float64Array) => {
    let sum = 0;
    for (let r = 0; r < p; r++) sum += x[r]!;
    return sum / p;
  };
  const [mm, ma] = [mu(map), mu(meanAct)];
  let corr = 0;
  let dot = 0;
  for (let r = 0; r < p; r++) {
    corr += (map[r]! - mm) * (meanAct[r]! - ma);
    dot += map[r]! * meanAct[r]!;
  }
  if ((corr !== 0 ? corr : dot) < 0) { for (let r = 0; r < p; r++) map[r] = -map[r]!; }
  return map;
}

/** Unit top eigenvector of a symmetric PSD k × k matrix (zeros for a zero matrix). */
function topEigenvector(g: Float64Array, k: number): Float64Array {
  // Start from the column with the largest diagonal entry: for a PSD matrix
  // it cannot be orthogonal to v₁ unless G is zero.
  let best = 0;
  for (let c = 1; c < k; c++) if (g[c * k + c]! > g[best * k + best]!) best = c;
  // Two buffers swapped each step: no allocation inside the loop.
  let v = normalise(Float64Array.from(g.subarray(best * k, (best + 1) * k)));
  let next = new Float64Array(k);
  for (let step = 0; step < MAX_STEPS; step++) {
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += g[r * k + c]! * v[c]!;
      next[r] = s;
    }
    normalise(next);
    let change = 0;
    for (let c = 0; c < k; c++) change = Math.max(change, Math.abs(next[c]! - v[c]!));
    [v, next] = [next, v];
    if (change < TOLERANCE) break;
  }
  return v;
}

/** Scales x to unit length in place (a zero vector stays zero); returns x. */
function normalise<T extends Float64Array>(x: T): T {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  const len = Math.sqrt(sum);
  if (len > 0) { for (let i = 0; i < x.length; i++) x[i] = x[i]! / len; }
  return x;
}
