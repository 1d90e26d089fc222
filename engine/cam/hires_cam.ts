/**
 * HiResCAM (Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for
 * faithful explanations of convolutional neural networks", eq. 4): the
 * gradient multiplies the activations element-wise instead of being averaged
 * first, map = Σ_k G_k ⊙ A_k. For a GAP + dense head it equals Grad-CAM.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { gradientCam } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * HiResCAM maps of one batch (Draelos & Carin 2020, eq. 4): Σ_k ∂y/∂A_k ⊙ A_k.
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps [n, h, w] before the ReLU, classes and scores
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * import { hiResCam } from "./hires_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: hiResCam, relu: false });
 * if (!(m.method === "hiResCam" && m.rawShape.join() === "1,2,2")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function hiResCam(input: CamInput): CamOutput {
  return gradientCam(input, (a, g) => tf.sum(tf.mul(g, a), 3));
}
