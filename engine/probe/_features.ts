/**
 * Pooled features of several layers in one pass: every batch of images goes
 * through the net once (`skipOutput`), and each captured layer is reduced
 * to one value per channel (global average pooling; dense layers as they
 * are). Shared by the probes and the feature correlation.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import { convLayers, getLayer, type Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";

/** Images the probe functions read (labels only where a function needs them). */
export type ProbeImages = Pick<ImageSet, "images" | "shape" | "name">;

/** The layers to use: the given ones (checked), else every conv layer. */
export function probeLayers(net: Net, layers: readonly string[] | undefined): string[] {
  const names = layers ? [...layers] : convLayers(net).map((l) => l.name);
  if (names.length === 0) {
    throw new RangeError(`${net.name} has no conv layers; pass the layers to probe`);
  }
  for (const name of names) {
    const info = getLayer(net, name);
    if (info.outputShape.length !== 3 && info.outputShape.length !== 1) {
      throw new TypeError(
        `Layer "${name}" has output shape [${
          info.outputShape.join(", ")
        }]; expected [H, W, C] or [units]`,
      );
    }
  }
  return names;
}

/** How a conv channel's map becomes one value per image (METHODS.md conventions). */
export type Pooling = "mean" | "max";

/** Global pooling of a captured activation: [n, C] (dense: as is). Call inside tidy. */
export function pool(a: tf.Tensor, pooling: Pooling = "mean"): tf.Tensor2D {
  if (a.rank !== 4) return a as tf.Tensor2D;
  return (pooling === "max" ? tf.max(a, [1, 2]) : tf.mean(a, [1, 2])) as tf.Tensor2D;
}

/** Checks a pooling option. */
export function checkPooling(pooling: string): Pooling {
  if (pooling !== "mean" && pooling !== "max") {
    throw new TypeError(`pooling is "${pooling}"; expected "mean" or "max"`);
  }
  return pooling;
}

/**
 * Calls `fn` with the pooled features of each batch (layer → [m, C]); the
 * tensors are disposed after `fn` resolves.
 *
 * @param net the network
 * @param set the images (checked)
 * @param layers checked layer names
 * @param batchSize images per pass
 * @param fn receives the features, the batch's first image and its size
 * @param pooling spatial mean (default) or max
 */
export async function forEachPooledBatch(
  net: Net,
  set: ProbeImages,
  layers: readonly string[],
  batchSize: number,
  fn: (pooled: Record<string, tf.Tensor2D>, start: number, m: number) => Promise<void>,
  pooling: Pooling = "mean",
): Promise<void> {
  checkPooling(pooling);
  checkImageSet(net, set);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RangeError(`batchSize is ${batchSize}; expected a positive integer`);
  }
  const [n, h, w, c] = set.shape;
  if (n === 0) throw new RangeError(`Image set ${set.name} is empty`);
  const per = h * w * c;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const pooled = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
      const r = runNet(net, x, { capture: layers, skipOutput: true });
      tf.dispose(r.output);
      return Object.fromEntries(layers.map((l) => [l, pool(r.captured[l]!, pooling)]));
    });
    try {
      await fn(pooled, start, m);
    } finally {
      tf.dispose(Object.values(pooled));
    }
  }
}
