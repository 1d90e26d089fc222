/**
 * Input attributions (METHODS.md §1): saliency, gradient × input,
 * SmoothGrad, Integrated Gradients, Expected Gradients (GradientSHAP),
 * occlusion, deconvolution and guided backprop. Each returns a
 * {@link MapResult} of [N, H, W] maps at the input resolution.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { ATTRIBUTION_METHODS, saliency } from "./mod.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [2, 2, 1] }),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.ones([1, 2, 2, 1]);
 * const map = await saliency(wrapModel(model), x);
 * if (!(map.shape.join() === "1,2,2" && "occlusion" in ATTRIBUTION_METHODS)) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 *
 * @module
 */
export type { MapOptions, MapResult } from "../maps/map.ts";
export type { ImagesInput } from "../maps/input.ts";
export type { ChannelReduce } from "./_options.ts";
export { saliency, type SaliencyOptions } from "./saliency.ts";
export { gradientTimesInput, type GradientTimesInputOptions } from "./gradient_times_input.ts";
export { smoothGrad, type SmoothGradOptions, type SmoothGradVariant } from "./smooth_grad.ts";
export {
  type Baseline,
  integratedGradients,
  type IntegratedGradientsOptions,
} from "./integrated_gradients.ts";
export { expectedGradients, type ExpectedGradientsOptions } from "./expected_gradients.ts";
export { occlusion, type OcclusionOptions } from "./occlusion.ts";
export { deconvolution, type DeconvolutionOptions } from "./deconvolution.ts";
export { guidedBackprop, type GuidedBackpropOptions } from "./guided_backprop.ts";
export {
  attribute,
  type AttributeOptions,
  ATTRIBUTION_METHODS,
  type AttributionMethod,
  type AttributionName,
  type AttributionOptions,
} from "./registry.ts";
