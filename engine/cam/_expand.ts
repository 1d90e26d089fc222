/**
 * Batched per-channel expansion for Score-CAM and Ablation-CAM: every image
 * of a batch becomes K inputs (one per channel of the CAM layer). The n·K
 * (image, channel) rows are walked in chunks of `batchSize`, so the number
 * of forward passes is ⌈n·K / batchSize⌉ and memory stays bounded by one
 * chunk, however many channels the layer has.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Net } from "../net/net.ts";
import { scoreOf, type Target } from "../net/targets.ts";

/** One chunk of (image, channel) rows, row r = image ⌊r/K⌋, channel r mod K. */
export interface RowChunk {
  /** First row (inclusive). */
  start: number;
  /** Last row (exclusive). */
  end: number;
  /** Image index of each row, int32 [m]. */
  image: tf.Tensor1D;
  /** Channel index of each row, int32 [m]. */
  channel: tf.Tensor1D;
  /** Image index of each row, as numbers (for targets given per image). */
  imageIndex: number[];
}

/**
 * Calls `score` on each chunk (inside its own `tf.tidy`, so a chunk's
 * intermediates are freed before the next) and gathers the scores as [n, K].
 *
 * @param n images in the batch
 * @param k channels of the layer
 * @param batchSize rows per chunk
 * @param score one chunk → its scores [m]
 */
export function scoreRows(
  n: number,
  k: number,
  batchSize: number,
  score: (rows: RowChunk) => tf.Tensor,
): tf.Tensor2D {
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < n * k; start += batchSize) {
      const end = Math.min(start + batchSize, n * k);
      const imageIndex = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / k));
      parts.push(tf.tidy(() => {
        const image = tf.tensor1d(imageIndex, "int32");
        const channel = tf.tensor1d(
          Array.from({ length: end - start }, (_, i) => (start + i) % k),
          "int32",
        );
        return tf.reshape(score({ start, end, image, channel, imageIndex }), [end - start]);
      }));
    }
    return tf.tidy(() => tf.reshape(tf.concat(parts), [n, k]) as tf.Tensor2D);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Each row's slice of a per-image tensor t [n, ...]: [m, ...] with row r =
 * t[image of r]. A chunk's rows cover a contiguous run of images, so this is
 * a slice plus a one-hot selection matmul: exact (each output is 1·t + 0·…),
 * and several times faster than `tf.gather` on WASM. Call inside `tf.tidy`.
 */
export function expandRows(t: tf.Tensor, rows: RowChunk): tf.Tensor {
  const first = rows.imageIndex[0]!;
  const count = rows.imageIndex[rows.imageIndex.length - 1]! - first + 1;
  const rest = t.shape.slice(1);
  const part = tf.reshape(tf.slice(t, [first], [count]), [count, -1]);
  const local = tf.tensor1d(rows.imageIndex.map((i) => i - first), "int32");
  const select = oneHot(local, count);
  return tf.reshape(tf.matMul(select, part), [rows.end - rows.start, ...rest]);
}

/**
 * The target score of each row's input, for rows that belong to the images
 * `imageIndex` of a batch whose explained classes are `classes`. Class
 * targets are read in `space`: logits, or the head's probabilities (softmax
 * when the head is linear or softmax, sigmoid for a sigmoid head).
 * Differentiable tensor code; call inside `tf.tidy`.
 */
export function rowScores(
  net: Net,
  target: Target,
  space: "logit" | "probability",
  run: { output: tf.Tensor; captured: Record<string, tf.Tensor> },
  rows: RowChunk,
  classes: tf.Tensor1D,
): tf.Tensor1D {
  if (target.kind === "class") {
    const logits = run.output;
    const values = space === "logit"
      ? logits
      : net.head.activation === "sigmoid"
      ? tf.sigmoid(logits)
      : tf.softmax(logits);
    const pick = oneHot(tf.gather(classes, rows.image), net.numClasses);
    return tf.sum(tf.mul(values, pick), 1) as tf.Tensor1D;
  }
  const rowTarget: Target = target.kind === "loss"
    ? { kind: "loss", labels: rows.imageIndex.map((i) => target.labels[i]!) }
    : target;
  return scoreOf(net, rowTarget, run.output, run.captured).scores;
}

/**
 * float32 one-hot rows that also work for depth 1 (a single channel or
 * class), where `tf.oneHot` refuses. Call inside `tf.tidy`.
 */
export function oneHot(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  if (depth === 1) return tf.ones([indices.shape[0], 1]);
  // Not oneHot(..., "float32"): the WASM kernel ignores that dtype and writes int32 bits.
  return tf.cast(tf.oneHot(indices, depth), "float32") as tf.Tensor2D;
}
