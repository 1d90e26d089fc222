/**
 * Batched inference over image sets: logits, predictions, accuracy and loss.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet, type RunOptions } from "./executor.ts";
import type { Net } from "./net.ts";

/** Options of {@link predict} and {@link evaluate}. */
export interface PredictOptions {
  /** Images per forward pass. Default: 256. */
  batchSize?: number;
  /** Channel masks applied during the pass (e.g. pruning). Default: none. */
  channelMask?: RunOptions["channelMask"];
}

/**
 * Checks images of an ImageSet against a net: shape and finite values.
 *
 * @throws {RangeError} for a shape mismatch or a length that does not match
 *   the shape; {@link TypeError} for a NaN or infinite pixel, naming its index
 */
export function checkImageSet(net: Net, set: Pick<ImageSet, "images" | "shape" | "name">): void {
  const [n, h, w, c] = set.shape;
  const [eh, ew, ec] = net.inputShape;
  if (h !== eh || w !== ew || c !== ec) {
    throw new RangeError(
      `Images of ${set.name} are [${
        set.shape.join(", ")
      }]; ${net.name} expects [N, ${eh}, ${ew}, ${ec}]`,
    );
  }
  if (set.images.length !== n * h * w * c) {
    throw new RangeError(
      `${set.name} holds ${set.images.length} values; its shape [${set.shape.join(", ")}] needs ${
        n * h * w * c
      }`,
    );
  }
  checkFinite(set.images, set.name);
}

/**
 * Throws on the first NaN or infinite value.
 *
 * @throws {TypeError} naming the array and the index
 */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new TypeError(`${what} contains ${values[i]} at index ${i}; expected finite values`);
    }
  }
}

/**
 * Logits of every image, computed in batches and read back once per batch.
 *
 * @param net the network
 * @param set the images
 * @param options see {@link PredictOptions}
 * @returns logits, row-major [N, classes]
 */
export async function predict(
  net: Net,
  set: Pick<ImageSet, "images" | "shape" | "name">,
  options: PredictOptions = {},
): Promise<Float32Array> {
  checkImageSet(net, set);
  const batchSize = options.batchSize ?? 256;
  const [n, h, w, c] = set.shape;
  const per = h * w * c;
  const out = new Float32Array(n * net.numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
      const run: RunOptions = { output: "logits" };
      if (options.channelMask) run.channelMask = options.channelMask;
      return runNet(net, x, run).output;
    });
    try {
      out.set(await logits.data() as Float32Array, start * net.numClasses);
    } finally {
      logits.dispose();
    }
  }
  return out;
}

/** Accuracy and mean cross-entropy of a net on a labelled set. */
export interface Evaluation {
  /** Fraction of images whose top-1 class is the label. */
  accuracy: number;
  /** Mean cross-entropy of the softmax of the logits (natural log). */
  loss: number;
  /** Number of images. */
  count: number;
}

/**
 * Accuracy and loss of a net on a labelled image set.
 *
 * @param net the network
 * @param set images and labels
 * @param options see {@link PredictOptions}
 * @returns accuracy, loss and count
 */
export async function evaluate(
  net: Net,
  set: ImageSet,
  options: PredictOptions = {},
): Promise<Evaluation> {
  const logits = await predict(net, set, options);
  return scoreLogits(logits, set.labels, net.numClasses);
}

/** Accuracy and cross-entropy from logits [N, K] and labels [N]. */
export function scoreLogits(logits: Float32Array, labels: Int32Array, k: number): Evaluation {
  const n = labels.length;
  if (n === 0) throw new RangeError("Cannot score an empty set of images");
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * k, (i + 1) * k);
    let best = 0;
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      if (row[j]! > max) {
        max = row[j]!;
        best = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(row[j]! - max);
    const label = labels[i]!;
    loss += Math.log(sum) + max - row[label]!;
    if (best === label) correct++;
  }
  return { accuracy: correct / n, loss: loss / n, count: n };
}
