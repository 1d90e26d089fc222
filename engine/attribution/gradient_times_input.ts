/**
 * Gradient × input attributions.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { gradientMaps } from "./_gradients.ts";
import type { MapOptions, MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";

/** Options of {@link gradientTimesInput}: the common map options only. */
export type GradientTimesInputOptions = MapOptions;

/**
 * Gradient × input, Σ_c x_c · ∂y/∂x_c per pixel (Shrikumar et al. 2016; for
 * a linear model y = Σ w·x + b it is exactly each pixel's term w·x).
 *
 * The raw map is signed (negative where a pixel lowers the score); `values`
 * are min–max normalised as usual, so 0 there is the most negative pixel.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link MapOptions} (target, batchSize, normalize)
 * @returns maps [N, H, W]; `raw` is the signed channel sum
 * @throws {RangeError} for a wrong image shape or a target out of range;
 *   {@link TypeError} for NaN pixels
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { gradientTimesInput } from "./gradient_times_input.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const target = { kind: "class", index: 0 } as const;
 * const map = await gradientTimesInput(wrapModel(model), x, { target });
 * if (!(map.rawShape.join() === "2,6,6" && map.classes[0] === 0)) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function gradientTimesInput(
  net: Net,
  images: ImagesInput,
  options: GradientTimesInputOptions = {},
): Promise<MapResult> {
  return await gradientMaps(
    net,
    images,
    options,
    "gradientTimesInput",
    (g, x) => tf.sum(tf.mul(g, x), 3) as tf.Tensor3D,
  );
}
