/**
 * The input attribution methods by name, and `attribute`, which runs one by
 * name or as a function.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { MapOptions, MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import type { ChannelReduce } from "./_options.ts";
import { deconvolution } from "./deconvolution.ts";
import { expectedGradients } from "./expected_gradients.ts";
import { gradientTimesInput } from "./gradient_times_input.ts";
import { guidedBackprop } from "./guided_backprop.ts";
import { integratedGradients } from "./integrated_gradients.ts";
import { occlusion } from "./occlusion.ts";
import { saliency } from "./saliency.ts";
import { smoothGrad, type SmoothGradVariant } from "./smooth_grad.ts";

/**
 * Every option any attribution method takes (each method reads its own and
 * ignores the rest); see each method's options for meanings and defaults.
 */
export interface AttributionOptions extends MapOptions {
  /** saliency, smoothGrad, deconvolution, guidedBackprop: `max` (default) or `l2`. */
  reduce?: ChannelReduce;
  /** smoothGrad: noisy copies (default 50); expectedGradients: samples (default 50). */
  n?: number;
  /** smoothGrad: σ / (max − min). Default: 0.15. */
  sigmaFraction?: number;
  /** smoothGrad: `mean` (default), `meanAbs` or `squared`. */
  variant?: SmoothGradVariant;
  /** integratedGradients: path intervals. Default: 50. */
  steps?: number;
  /**
   * integratedGradients: a number, an image or one image per input (default
   * 0); occlusion: the occluding value, a number (default 0).
   */
  baseline?: number | tf.Tensor | Float32Array;
  /** expectedGradients: the background images (required there). */
  background?: ImagesInput;
  /** occlusion: patch size (default max(1, round(side/8))). */
  patch?: number | readonly [number, number];
  /** occlusion: patch step (default ceil(patch/2)). */
  stride?: number | readonly [number, number];
}

/**
 * An attribution method: images in, maps out. Declared with method syntax so
 * that each method, which takes its own narrower options, fits the registry.
 */
export type AttributionMethod = {
  method(net: Net, images: ImagesInput, options?: AttributionOptions): Promise<MapResult>;
}["method"];

/** The name of a registered method. */
export type AttributionName =
  | "saliency"
  | "gradientTimesInput"
  | "smoothGrad"
  | "integratedGradients"
  | "expectedGradients"
  | "occlusion"
  | "deconvolution"
  | "guidedBackprop";

/**
 * Every input attribution method by name (METHODS.md §1), each callable with
 * the shared {@link AttributionOptions}.
 */
export const ATTRIBUTION_METHODS: Readonly<Record<AttributionName, AttributionMethod>> = {
  saliency,
  gradientTimesInput,
  smoothGrad,
  integratedGradients,
  expectedGradients,
  occlusion,
  deconvolution,
  guidedBackprop,
};

/** Options of {@link attribute}: the method plus its options. */
export interface AttributeOptions extends AttributionOptions {
  /** A registered name (see {@link ATTRIBUTION_METHODS}) or a method function. */
  method: AttributionName | AttributionMethod;
}

/**
 * Runs an input attribution method chosen by name or given as a function
 * (METHODS.md §1: saliency, gradient × input, SmoothGrad, Integrated
 * Gradients, Expected Gradients, occlusion, deconvolution, guided backprop).
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options `method` (required) plus that method's options, see
 *   {@link AttributionOptions}
 * @returns the method's maps
 * @throws {TypeError} for an unknown method name (listing the known ones) or
 *   a method that is neither a name nor a function; otherwise what the
 *   method throws
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { attribute } from "./registry.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([1, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await attribute(wrapModel(model), x, { method: "integratedGradients", steps: 8 });
 * if (!(map.method === "integratedGradients")) throw new Error("unexpected result");
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function attribute(
  net: Net,
  images: ImagesInput,
  options: AttributeOptions,
): Promise<MapResult> {
  const { method, ...rest } = options ?? ({} as Partial<AttributeOptions>);
  if (typeof method === "function") return await method(net, images, rest);
  if (typeof method === "string" && Object.hasOwn(ATTRIBUTION_METHODS, method)) {
    return await ATTRIBUTION_METHODS[method](net, images, rest);
  }
  throw new TypeError(
    `Unknown attribution method ${JSON.stringify(method)}; known methods: ${
      Object.keys(ATTRIBUTION_METHODS).join(", ")
    }, or a function (net, images, options) => Promise<MapResult>`,
  );
}
