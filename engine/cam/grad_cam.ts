/**
 * Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep
 * Networks via Gradient-based Localization", eq. 1–2): channel weights are
 * the spatially averaged gradients of the target, w_k = 1/Z Σ_ij ∂y/∂A_k,ij,
 * and the map is Σ_k w_k A_k (the final ReLU is applied by `cam()`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { gradientCam, weightedSum } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Grad-CAM maps of one batch (Selvaraju et al. 2017, eq. 1–2): w_k = mean_ij ∂y/∂A_k,ij.
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps Σ_k w_k A_k [n, h, w] before the ReLU, classes and scores
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * import { gradCam } from "./grad_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: gradCam });
 * if (!(m.method === "gradCam" && m.rawShape.join() === "1,2,2")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function gradCam(input: CamInput): CamOutput {
  return gradientCam(input, (a, g) => weightedSum(a, tf.mean(g, [1, 2])));
}
