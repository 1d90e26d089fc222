/**
 * Score-CAM (Wang et al. 2020, "Score-CAM: Score-Weighted Visual Explanations
 * for Convolutional Neural Networks", eq. 3–5 and Algorithm 1): no gradients;
 * each channel A_k, upsampled to the input size and min–max normalised to
 * [0, 1], masks the input, and its weight is the target's softmax score on
 * the masked input, w_k = softmax(f(X ⊙ H_k))_c. Map = Σ_k w_k A_k.
 *
 * Choices: the weight is the class probability as in the paper's code
 * (softmax over classes even for a linear head; a sigmoid head uses its
 * sigmoid); a class target with `space: "logit"` uses the logit instead.
 * pytorch-grad-cam instead softmaxes the logits over the K channels; that is
 * not done here. No baseline image is subtracted (the paper's code does not
 * either). A constant channel gives an all-zero mask. Upsampling is bilinear
 * with half-pixel centres like every map of the library.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { runNet } from "../net/executor.ts";
import { forwardCam } from "./_forward.ts";
import { expandRows, rowScores, scoreRows } from "./_expand.ts";
import { weightedSum } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Score-CAM maps of one batch (Wang et al. 2020, eq. 3–5): w_k = softmax score of X ⊙ norm(up(A_k)).
 *
 * All n·K masked inputs of the batch go through the net in chunks of
 * `batchSize` (⌈n·K / batchSize⌉ forward passes); a chunk's masks are built
 * when it runs, so memory is bounded by one chunk.
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps Σ_k w_k A_k [n, h, w] before the ReLU, classes and scores
 *   (the target's score on the unmasked images)
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2, activation: "softmax" }),
 * ] });
 * const x = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: "scoreCam", batchSize: 3 });
 * if (!(m.method === "scoreCam" && m.shape.join() === "2,4,4")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function scoreCam(input: CamInput): CamOutput {
  const { net, images, target, batchSize } = input;
  const f = forwardCam(input);
  let channels: tf.Tensor | null = null;
  try {
    const [n, h, w, k] = f.activations.shape;
    const size: [number, number] = [images.shape[1], images.shape[2]];
    const space = target.kind === "class" && target.space === "logit" ? "logit" : "probability";
    // One single-channel map per (image, channel) row, in row order, so a
    // chunk's maps are one contiguous slice.
    channels = tf.tidy(() =>
      tf.reshape(tf.transpose(f.activations, [0, 3, 1, 2]), [n * k, h, w, 1])
    );
    const all = channels;
    const weights = scoreRows(n, k, batchSize, (rows) => {
      const channel = tf.slice(all, [rows.start], [rows.end - rows.start]);
      const up = tf.image.resizeBilinear(channel as tf.Tensor4D, size, false, true);
      const lo = tf.min(up, [1, 2, 3], true);
      const span = tf.sub(tf.max(up, [1, 2, 3], true), lo);
      // Constancy is decided at the layer's resolution: interpolating a
      // constant map may leave rounding-level differences that min–max
      // scaling would blow up into a random mask. The selects act on [m,1,1,1]
      // tensors only; full-size work is one subtraction and one product.
      const flat = tf.equal(tf.max(channel, [1, 2, 3], true), tf.min(channel, [1, 2, 3], true));
      const scale = tf.where(
        tf.logicalOr(flat, tf.equal(span, 0)),
        tf.zerosLike(span),
        tf.div(1, tf.where(tf.equal(span, 0), tf.onesLike(span), span)),
      );
      const mask = tf.mul(tf.sub(up, lo), scale);
      const x = tf.mul(expandRows(images, rows), mask);
      const capture = target.kind === "neuron" ? [target.layer] : [];
      const run = runNet(net, x, { capture, output: "logits" });
      return rowScores(net, target, space, run, rows, f.classes);
    });
    const maps = tf.tidy(() => weightedSum(f.activations, weights));
    weights.dispose();
    return { maps, classes: f.classes, scores: f.scores };
  } catch (e) {
    tf.dispose([f.classes, f.scores]);
    throw e;
  } finally {
    f.activations.dispose();
    if (channels) channels.dispose();
  }
}
