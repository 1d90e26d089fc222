/**
 * XGrad-CAM (Fu et al. 2020, "Axiom-based Grad-CAM: Towards Accurate
 * Visualization and Explanation of CNNs", eq. 13): channel weights chosen to
 * satisfy the sensitivity and conservation axioms,
 * w_k = Σ_ij (A_k,ij · ∂y/∂A_k,ij) / Σ_ij A_k,ij.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { gradientCam, weightedSum } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * XGrad-CAM maps of one batch (Fu et al. 2020, eq. 13): w_k = Σ(A_k ⊙ G_k) / Σ A_k.
 *
 * A channel whose activations sum to exactly zero gets w_k = 0 instead of a
 * division by zero (pytorch-grad-cam adds 1e-7 to the sum instead): with
 * non-negative activations such a channel is all zeros and adds nothing to
 * the map either way; for signed activations a zero weight is the safe
 * choice, never an infinite one.
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps Σ_k w_k A_k [n, h, w] before the ReLU, classes and scores
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * import { xGradCam } from "./xgrad_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: xGradCam });
 * if (!(m.method === "xGradCam" && m.shape.join() === "1,4,4")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function xGradCam(input: CamInput): CamOutput {
  return gradientCam(input, (a, g) => {
    const total = tf.sum(a, [1, 2]);
    const zero = tf.equal(total, 0);
    const safe = tf.where(zero, tf.onesLike(total), total);
    const w = tf.where(zero, tf.zerosLike(total), tf.div(tf.sum(tf.mul(a, g), [1, 2]), safe));
    return weightedSum(a, w);
  });
}
