/**
 * Grad-CAM++ (Chattopadhay et al. 2018, "Grad-CAM++: Generalized
 * Gradient-based Visual Explanations for Deep Convolutional Networks",
 * eq. 19 with eq. 7).
 *
 * The paper explains Y = exp(S) for the target score S. For a network that
 * is piecewise linear in A, ∂Y/∂A = Y·g, ∂²Y/∂A² = Y·g² and ∂³Y/∂A³ = Y·g³
 * with g = ∂S/∂A, so the closed-form weights of eq. 19 need only g:
 *
 *   α_k,ij = g² / (2g² + Σ_ab A_k,ab · g³),   w_k = Σ_ij α_k,ij · ReLU(g_k,ij)
 *
 * (the factor exp(S) > 0 of ReLU(∂Y/∂A) is the same for every channel of an
 * image and only scales its map). This is also what pytorch-grad-cam
 * computes. Where g = 0, α = 0; where the denominator is exactly zero, α = 0
 * too (pytorch-grad-cam adds 1e-6 to it instead).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { gradientCam, weightedSum } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Grad-CAM++ maps of one batch (Chattopadhay et al. 2018, eq. 19): w_k = Σ α ReLU(∂y/∂A_k).
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps Σ_k w_k A_k [n, h, w] before the ReLU, classes and scores
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * import { gradCamPlusPlus } from "./grad_cam_plus_plus.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: gradCamPlusPlus });
 * if (!(m.method === "gradCamPlusPlus" && m.shape.join() === "1,4,4")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function gradCamPlusPlus(input: CamInput): CamOutput {
  return gradientCam(input, (a, g) => {
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(a, [1, 2], true);
    const denom = tf.add(tf.mul(g2, 2), tf.mul(sumA, g3));
    const ok = tf.logicalAnd(tf.notEqual(g, 0), tf.notEqual(denom, 0));
    const alpha = tf.where(
      ok,
      tf.div(g2, tf.where(ok, denom, tf.onesLike(denom))),
      tf.zerosLike(g),
    );
    return weightedSum(a, tf.sum(tf.mul(alpha, tf.relu(g)), [1, 2]));
  });
}
