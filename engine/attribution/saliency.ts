/**
 * Saliency (sensitivity) maps: the magnitude of the input gradient.
 *
 * @module
 */
import { type ChannelReduce, oneOf, reduceChannels } from "./_options.ts";
import { gradientMaps } from "./_gradients.ts";
import type { MapOptions, MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";

/** Options of {@link saliency}. */
export interface SaliencyOptions extends MapOptions {
  /**
   * Reduction over colour channels: `max` = max_c |∂y/∂x_c| (Simonyan et al.
   * 2014), `l2` = sqrt(Σ_c (∂y/∂x_c)²). Default: `max`.
   */
  reduce?: ChannelReduce;
}

/**
 * Saliency map |∂y/∂x| reduced over colour channels (Simonyan, Vedaldi &
 * Zisserman 2014, §3.1), one forward and one backward pass per batch.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link SaliencyOptions} (target, batchSize, normalize, reduce)
 * @returns maps [N, H, W]; `raw` holds the non-negative reduced gradient
 * @throws {RangeError} for a wrong image shape or a target out of range;
 *   {@link TypeError} for NaN pixels or an unknown `reduce`
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { saliency } from "./saliency.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await saliency(wrapModel(model), x, { reduce: "l2" });
 * if (!(map.shape.join() === "2,6,6" && map.raw.every((v) => v >= 0))) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function saliency(
  net: Net,
  images: ImagesInput,
  options: SaliencyOptions = {},
): Promise<MapResult> {
  const how = oneOf(options.reduce, ["max", "l2"], "reduce", "max");
  return await gradientMaps(net, images, options, "saliency", (g) => reduceChannels(g, how));
}
