/**
 * The images a map method explains, as users give them: an {@link ImageSet}
 * (or any `{ images, shape }`), a tensor, or a Float32Array with a shape.
 * Checked once at the boundary (shape against the net, finite values), so
 * methods can assume a valid [N, H, W, C] batch.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { toImageTensor } from "./input.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 3 }),
 * ] }));
 * const x = await toImageTensor(net, { images: new Float32Array(32), shape: [2, 4, 4, 1] });
 * if (!(x.shape.join() === "2,4,4,1")) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Net } from "../net/net.ts";
import { checkImageBatch } from "../net/executor.ts";
import { checkFinite } from "../net/predict.ts";

/** Images in any of the accepted forms. */
export type ImagesInput =
  | tf.Tensor
  | { images: Float32Array; shape: readonly [number, number, number, number] | number[] };

/**
 * A new [N, H, W, C] tensor holding the images (the caller disposes it).
 *
 * @throws {RangeError} for a shape that does not fit the net or the data
 * @throws {TypeError} for NaN or infinite pixels (naming the index)
 */
export async function toImageTensor(net: Net, input: ImagesInput): Promise<tf.Tensor4D> {
  if (input instanceof tf.Tensor) {
    checkImageBatch(net, input);
    // Reading back is the only way to check for NaN (async: WebGPU forbids dataSync).
    checkFinite(await input.data(), "images");
    return tf.clone(input) as tf.Tensor4D;
  }
  const shape = [...input.shape];
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length !== 4 || input.images.length !== count) {
    throw new RangeError(
      `Images hold ${input.images.length} values with shape [${shape.join(", ")}]; ` +
        `expected [N, ${net.inputShape.join(", ")}] with N·H·W·C values`,
    );
  }
  checkFinite(input.images, "images");
  const x = tf.tensor4d(input.images, shape as [number, number, number, number]);
  try {
    checkImageBatch(net, x);
  } catch (e) {
    x.dispose();
    throw e;
  }
  return x;
}
