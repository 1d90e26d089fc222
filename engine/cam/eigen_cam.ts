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
 * v₁ is the top eigenvector of the Gram matrix AᵀA (K × K), found on the
 * device for all images of a batch at once by repeated squaring of the
 * normalised Gram matrix (after s squarings it is G^(2^s), whose columns
 * all point along v₁ when λ₁ > λ₂) followed by a few power iterations with
 * G itself. When λ₁ = λ₂ any unit vector of their plane is an answer.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { forwardCam } from "./_forward.ts";
import { oneHot } from "./_expand.ts";
import type { CamInput, CamOutput } from "./types.ts";

/** Method-specific options of {@link eigenCam}. */
export interface EigenCamOptions {
  /** Subtract each channel's spatial mean before the decomposition. Default: false. */
  center?: boolean;
}

/**
 * G^(2^10) shrinks the other components by (λ₂/λ₁)^1024; the power steps
 * (cheap matrix–vector products, unlike the K×K squarings) add 20 more
 * factors and wash out the rounding of the squarings.
 */
const SQUARINGS = 10;
const POWER_STEPS = 20;

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
export function eigenCam(input: CamInput): CamOutput {
  const center = input.options.center ?? false;
  if (typeof center !== "boolean") {
    throw new TypeError(`eigenCam option center is ${center}; expected a boolean`);
  }
  const f = forwardCam(input);
  try {
    const maps = tf.tidy(() => {
      const [n, h, w, k] = f.activations.shape;
      let a = tf.reshape(f.activations, [n, h * w, k]);
      if (center) a = tf.sub(a, tf.mean(a, 1, true));
      const v = topEigenvector(tf.matMul(tf.transpose(a, [0, 2, 1]), a));
      const projection = tf.reshape(tf.matMul(a, v), [n, h * w]);
      // Fix the arbitrary sign of v₁ against the mean activation of each position.
      const meanAct = tf.reshape(tf.mean(f.activations, 3), [n, h * w]);
      const centred = (t: tf.Tensor) => tf.sub(t, tf.mean(t, 1, true));
      const corr = tf.sum(tf.mul(centred(projection), centred(meanAct)), 1);
      const dot = tf.sum(tf.mul(projection, meanAct), 1);
      const key = tf.where(tf.notEqual(corr, 0), corr, dot);
      const sign = tf.where(tf.less(key, 0), tf.fill([n], -1), tf.fill([n], 1));
      return tf.reshape(tf.mul(projection, tf.reshape(sign, [n, 1])), [n, h, w]) as tf.Tensor3D;
    });
    return { maps, classes: f.classes, scores: f.scores };
  } catch (e) {
    tf.dispose([f.classes, f.scores]);
    throw e;
  } finally {
    f.activations.dispose();
  }
}

/** Unit top eigenvectors [n, K, 1] of symmetric PSD matrices [n, K, K] (zero for zero matrices). */
function topEigenvector(gram: tf.Tensor): tf.Tensor {
  const [n, k] = [gram.shape[0]!, gram.shape[1]!];
  const unitScale = (t: tf.Tensor, axes: number[]) => {
    const top = tf.max(tf.abs(t), axes, true);
    return tf.div(t, tf.where(tf.greater(top, 0), top, tf.onesLike(top)));
  };
  let m = unitScale(gram, [1, 2]);
  for (let i = 0; i < SQUARINGS; i++) m = unitScale(tf.matMul(m, m), [1, 2]);
  // m ≈ c·v₁v₁ᵀ: its column with the largest diagonal entry is the one
  // surely not orthogonal to v₁ (an all-ones start could be).
  const diag = tf.sum(tf.mul(m, tf.expandDims(tf.eye(k), 0)), 2);
  const pick = tf.reshape(oneHot(tf.argMax(diag, 1) as tf.Tensor1D, k), [n, k, 1]);
  let v = tf.matMul(m, pick);
  const normalise = (t: tf.Tensor) => {
    const len = tf.sqrt(tf.sum(tf.square(t), 1, true));
    return tf.div(t, tf.where(tf.greater(len, 0), len, tf.onesLike(len)));
  };
  v = normalise(v);
  const g = unitScale(gram, [1, 2]);
  for (let i = 0; i < POWER_STEPS; i++) v = normalise(tf.matMul(g, v));
  return v;
}
