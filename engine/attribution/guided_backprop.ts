/**
 * Guided backpropagation maps.
 *
 * @module
 */
import { gradientMaps } from "./_gradients.ts";
import { oneOf, reduceChannels } from "./_options.ts";
import type { SaliencyOptions } from "./saliency.ts";
import type { MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";

/** Options of {@link guidedBackprop}: those of saliency (`reduce` default `max`). */
export type GuidedBackpropOptions = SaliencyOptions;

/**
 * Guided backpropagation (Springenberg et al. 2015, §3.4 and Fig. 1):
 * the backward pass through every ReLU keeps a signal only where both the
 * forward input and the incoming gradient are positive; then the saliency
 * reduction over colour channels, max_c |·| by default (`reduce: "l2"` for
 * the L2 norm). Clipped ReLUs (ReLU6) and other activations keep their
 * standard gradient.
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
 * import { guidedBackprop } from "./guided_backprop.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await guidedBackprop(wrapModel(model), x);
 * if (!(map.method === "guidedBackprop" && map.raw.every((v) => v >= 0))) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function guidedBackprop(
  net: Net,
  images: ImagesInput,
  options: GuidedBackpropOptions = {},
): Promise<MapResult> {
  const how = oneOf(options.reduce, ["max", "l2"], "reduce", "max");
  return await gradientMaps(
    net,
    images,
    options,
    "guidedBackprop",
    (g) => reduceChannels(g, how),
    "guided",
  );
}
