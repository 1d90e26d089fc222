/**
 * Deconvolution (Zeiler & Fergus) maps.
 *
 * @module
 */
import { gradientMaps } from "./_gradients.ts";
import { oneOf, reduceChannels } from "./_options.ts";
import type { SaliencyOptions } from "./saliency.ts";
import type { MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";

/** Options of {@link deconvolution}: those of saliency (`reduce` default `max`). */
export type DeconvolutionOptions = SaliencyOptions;

/**
 * Deconvolution (Zeiler & Fergus 2014, §2.1): the backward pass with every
 * ReLU replaced by a ReLU of the incoming signal (positive part only, the
 * forward mask ignored), then the saliency reduction over colour channels,
 * max_c |·| by default (`reduce: "l2"` for the L2 norm), as Samek et al.
 * (2017) do before comparing it with sensitivity and LRP. Clipped ReLUs
 * (ReLU6) and other activations keep their standard gradient.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link SaliencyOptions} (target, batchSize, normalize, reduce)
 * @returns maps [N, H, W]; `raw` holds the non-negative reduced signal
 * @throws {RangeError} for a wrong image shape or a target out of range;
 *   {@link TypeError} for NaN pixels or an unknown `reduce`
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { deconvolution } from "./deconvolution.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await deconvolution(wrapModel(model), x);
 * if (!(map.method === "deconvolution" && map.values.length === 72)) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function deconvolution(
  net: Net,
  images: ImagesInput,
  options: DeconvolutionOptions = {},
): Promise<MapResult> {
  const how = oneOf(options.reduce, ["max", "l2"], "reduce", "max");
  return await gradientMaps(
    net,
    images,
    options,
    "deconvolution",
    (g) => reduceChannels(g, how),
    "deconv",
  );
}
