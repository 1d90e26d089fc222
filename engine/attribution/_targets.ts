/**
 * Targets for batches whose rows are derived from the explained images
 * (noisy copies, path points, occluded copies): the class explained for each
 * row is fixed by the original image, never by the row's own top-1, so that
 * every row of an image explains the same score (private to
 * `engine/attribution`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ReluBackward, runNet } from "../net/executor.ts";
import type { Net } from "../net/net.ts";
import { scoreOf, type Target } from "../net/targets.ts";

/**
 * The forward pass a target needs: the logits, or for a neuron target only
 * the neuron's layer (the rest of the net is skipped) with a zero placeholder
 * for the logits, since `scoreOf` reads nothing but the batch size from them
 * then. Differentiable and synchronous: call it inside `tf.tidy` or a
 * gradient function.
 *
 * @param reluBackward the executor's ReLU backward rule (default: standard)
 */
export function targetForward(
  net: Net,
  x: tf.Tensor,
  target: Target,
  reluBackward: ReluBackward = "standard",
): { logits: tf.Tensor; captured: Record<string, tf.Tensor> } {
  const neuron = target.kind === "neuron";
  const r = runNet(net, x, {
    capture: neuron ? [target.layer] : [],
    output: "logits",
    skipOutput: neuron,
    reluBackward,
  });
  const logits = neuron ? tf.zeros([x.shape[0]!, net.numClasses]) : r.output;
  return { logits, captured: r.captured };
}

/**
 * The target's score (and explained class) on one batch. Differentiable and
 * synchronous: call it inside `tf.tidy` or a gradient function.
 *
 * @param reluBackward the executor's ReLU backward rule (default: standard)
 */
export function scoreBatch(
  net: Net,
  x: tf.Tensor,
  target: Target,
  reluBackward: ReluBackward = "standard",
): { scores: tf.Tensor1D; classes: tf.Tensor1D } {
  const f = targetForward(net, x, target, reluBackward);
  return scoreOf(net, target, f.logits, f.captured);
}

/**
 * Each image's explained class and score: forward passes only, `batchSize`
 * images at a time, read back once per batch.
 *
 * @returns classes (top-1 unless the target fixes them; labels for a loss
 *   target; -1 for a neuron) and scores, one per image
 */
export async function resolveTargets(
  net: Net,
  x: tf.Tensor,
  target: Target,
  batchSize: number,
): Promise<{ classes: Int32Array; scores: Float32Array }> {
  const n = x.shape[0]!;
  const classes = new Int32Array(n);
  const scores = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const out = tf.tidy(() => {
      const xb = tf.slice(x, [start], [end - start]);
      return scoreBatch(net, xb, sliceTarget(target, start, end));
    });
    try {
      const [c, s] = await Promise.all([out.classes.data(), out.scores.data()]);
      classes.set(c, start);
      scores.set(s, start);
    } finally {
      tf.dispose([out.classes, out.scores]);
    }
  }
  return { classes, scores };
}

/**
 * The target restricted to images [start, end) of a batch (per-image class
 * lists and labels are sliced; everything else applies to every image).
 */
export function sliceTarget(target: Target, start: number, end: number): Target {
  if (target.kind === "class" && target.index !== undefined && typeof target.index !== "number") {
    return { ...target, index: target.index.slice(start, end) };
  }
  if (target.kind === "loss") {
    return { kind: "loss", labels: Array.from(target.labels).slice(start, end) };
  }
  return target;
}

/**
 * The target for rows that each belong to an image: row j explains the class
 * (or label) that image `images[j]` explains.
 *
 * @param classes the resolved class of every image (see {@link resolveTargets})
 * @param images the image index of every row
 */
export function rowTarget(target: Target, classes: Int32Array, images: ArrayLike<number>): Target {
  const rows = Array.from(images);
  if (target.kind === "class") {
    return { ...target, index: rows.map((i) => classes[i]!) };
  }
  if (target.kind === "loss") {
    return { kind: "loss", labels: rows.map((i) => target.labels[i]!) };
  }
  return target;
}
