/**
 * Input gradients of a target, one batch at a time, and the driver of the
 * methods that need one gradient per image (saliency, gradient × input,
 * deconvolution, guided backprop). Private to `engine/attribution`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ReluBackward } from "../net/executor.ts";
import type { Net } from "../net/net.ts";
import { checkTarget, type Target } from "../net/targets.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import { commonOptions, loadImages } from "./_options.ts";
import { scoreBatch, sliceTarget } from "./_targets.ts";

/** ∂score/∂x of one batch with the target's scores and classes (caller owns all). */
export interface InputGradient {
  grad: tf.Tensor4D;
  scores: tf.Tensor1D;
  classes: tf.Tensor1D;
}

/**
 * One forward and one backward pass: the gradient of each row's score with
 * respect to its own input (rows are independent in inference mode, so the
 * gradient of the summed score is each row's gradient). Synchronous.
 *
 * @param reluBackward the executor's ReLU backward rule (default: standard)
 */
export function inputGradient(
  net: Net,
  x: tf.Tensor,
  target: Target,
  reluBackward: ReluBackward = "standard",
): InputGradient {
  return tf.tidy(() => {
    let kept: { scores: tf.Tensor1D; classes: tf.Tensor1D } | null = null;
    const f = (input: tf.Tensor) => {
      const s = scoreBatch(net, input, target, reluBackward);
      kept = { scores: tf.keep(s.scores), classes: tf.keep(s.classes) };
      return tf.sum(s.scores) as tf.Scalar;
    };
    const grad = tf.grad(f)(x) as tf.Tensor4D;
    const k = kept as unknown as { scores: tf.Tensor1D; classes: tf.Tensor1D };
    // Kept tensors escape every tidy, also the caller's: hand back clones that
    // the caller's tidy tracks, so an unused `classes` cannot leak.
    const out = { grad, scores: tf.clone(k.scores), classes: tf.clone(k.classes) };
    tf.dispose([k.scores, k.classes]);
    return out;
  });
}

/**
 * Runs a one-gradient-per-image method: validates the images and target,
 * takes gradients `batchSize` images at a time, reduces each batch to
 * per-pixel maps with `reduce`, and packages the result.
 *
 * @param reduce (gradient, images) of one batch → [n, H, W]; synchronous
 */
export async function gradientMaps(
  net: Net,
  images: ImagesInput,
  options: MapOptions,
  method: string,
  reduce: (grad: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor3D,
  reluBackward: ReluBackward = "standard",
): Promise<MapResult> {
  const { target, batchSize, normalize } = commonOptions(options);
  const x = await loadImages(net, images);
  const parts: { map: tf.Tensor; scores: tf.Tensor; classes: tf.Tensor }[] = [];
  let raw: tf.Tensor | null = null;
  let scores: tf.Tensor | null = null;
  let classes: tf.Tensor | null = null;
  try {
    const n = x.shape[0];
    checkTarget(net, target, n);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      parts.push(tf.tidy(() => {
        const xb = tf.slice(x, [start], [end - start]);
        const g = inputGradient(net, xb, sliceTarget(target, start, end), reluBackward);
        return { map: reduce(g.grad, xb), scores: g.scores, classes: g.classes };
      }));
    }
    raw = tf.concat(parts.map((p) => p.map));
    scores = tf.concat(parts.map((p) => p.scores));
    classes = tf.concat(parts.map((p) => p.classes));
    const [s, c] = await Promise.all([scores.data(), classes.data()]);
    return await finishMaps(raw, [net.inputShape[0], net.inputShape[1]], {
      method,
      layer: null,
      normalize,
      scores: Float32Array.from(s),
      classes: Int32Array.from(c),
    });
  } finally {
    tf.dispose([x, ...parts.flatMap((p) => [p.map, p.scores, p.classes])]);
    if (raw) raw.dispose();
    if (scores) scores.dispose();
    if (classes) classes.dispose();
  }
}
