/**
 * The batching driver of the methods that average gradients over many
 * derived inputs per image (SmoothGrad's noisy copies, Integrated Gradients'
 * path points, Expected Gradients' samples). Private to `engine/attribution`.
 *
 * The rows of all images are laid out image-major (row = image · k + j) and
 * sent through the net `batchSize` rows at a time, whatever the image
 * boundaries, so a chunk can hold the end of one image and the start of the
 * next. Each chunk is folded into per-image sums right away with one matrix
 * product (weights [images in chunk, rows] × contributions [rows, H·W·C]);
 * the image cut by the chunk's end is carried into the next chunk. Memory is
 * one chunk plus the N sums.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Net } from "../net/net.ts";
import type { Target } from "../net/targets.ts";
import { inputGradient } from "./_gradients.ts";
import { rowTarget } from "./_targets.ts";

/** How the rows of each image are made and weighted. */
export interface RowPlan {
  /** Rows per image (k). */
  perImage: number;
  /**
   * Inputs of rows [start, end) as [end − start, H, W, C], and optionally how
   * a row's gradient becomes its contribution (default: the gradient itself).
   * Called inside `tf.tidy`.
   *
   * @param images the image index of each row
   */
  rows(
    start: number,
    end: number,
    images: Int32Array,
  ): { inputs: tf.Tensor; contribution?: (grad: tf.Tensor) => tf.Tensor };
  /** The weight of row `row`'s contribution in its image's sum. */
  weight(row: number): number;
}

/**
 * Σ_rows weight · contribution for every image, and every row's score.
 *
 * @param classes each image's resolved class (fixes the class of its rows)
 * @returns sums [N, H, W, C] (caller disposes) and the score of each row
 */
export async function sumOverRows(
  net: Net,
  x: tf.Tensor,
  target: Target,
  classes: Int32Array,
  plan: RowPlan,
  batchSize: number,
): Promise<{ sums: tf.Tensor4D; rowScores: Float32Array }> {
  const n = x.shape[0]!;
  const k = plan.perImage;
  const total = n * k;
  const size = net.inputShape[0] * net.inputShape[1] * net.inputShape[2];
  const rowScores = new Float32Array(total);
  const done: tf.Tensor[] = [];
  let carry: tf.Tensor | null = null;
  try {
    for (let start = 0; start < total; start += batchSize) {
      const end = Math.min(total, start + batchSize);
      const r = end - start;
      const images = Int32Array.from({ length: r }, (_, j) => Math.floor((start + j) / k));
      const lo = images[0]!;
      const m = images[r - 1]! - lo + 1;
      const weights = new Float32Array(m * r);
      for (let j = 0; j < r; j++) weights[(images[j]! - lo) * r + j] = plan.weight(start + j);
      const previous: tf.Tensor | null = carry;
      const out = tf.tidy(() => {
        const { inputs, contribution } = plan.rows(start, end, images);
        const g = inputGradient(net, inputs, rowTarget(target, classes, images));
        const c = contribution ? contribution(g.grad) : g.grad;
        let partial = tf.matMul(tf.tensor2d(weights, [m, r]), tf.reshape(c, [r, size]));
        if (previous) partial = tf.add(partial, tf.pad(previous, [[0, m - 1], [0, 0]]));
        return { partial, scores: g.scores };
      });
      if (previous) previous.dispose();
      carry = null;
      if (end % k === 0) {
        done.push(out.partial);
      } else if (m === 1) {
        carry = out.partial;
      } else {
        done.push(tf.slice(out.partial, [0, 0], [m - 1, size]));
        carry = tf.slice(out.partial, [m - 1, 0], [1, size]);
        out.partial.dispose();
      }
      try {
        rowScores.set(await out.scores.data(), start);
      } finally {
        out.scores.dispose();
      }
    }
    const sums = tf.tidy(() => tf.reshape(tf.concat(done), [n, ...net.inputShape]) as tf.Tensor4D);
    return { sums, rowScores };
  } finally {
    tf.dispose(done);
    if (carry) (carry as tf.Tensor).dispose();
  }
}
