/**
 * Ablation-CAM (Desai & Ramaswamy 2020, "Ablation-CAM: Visual Explanation for
 * Deep Convolutional Network via Gradient-free Localization", eq. 2–3): the
 * weight of channel k is the relative drop of the target score when that
 * channel is zeroed, w_k = (y − y_k) / y. Map = Σ_k w_k A_k.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { runNet } from "../net/executor.ts";
import { forwardCam } from "./_forward.ts";
import { expandRows, oneHot, rowScores, scoreRows } from "./_expand.ts";
import { weightedSum } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/** |y| below this counts as zero when dividing by the unablated score. */
const TINY = 1e-7;

/**
 * Ablation-CAM maps of one batch (Desai & Ramaswamy 2020, eq. 2–3): w_k = (y − y with A_k = 0) / y.
 *
 * All n·K ablations run as batches of `batchSize`: each row reuses the
 * image's captured activations (`replace`), zeroes one channel with a
 * per-row channel mask [m, K], and only the layers after the CAM layer run
 * again (plus any branch that bypasses it). y is the target's score in its
 * own space (the logit by default, as in the paper). A score with |y| < 1e-7
 * is replaced by ±1e-7 (sign kept) rather than dividing by zero.
 *
 * @param input one validated batch, the layer and the target (see `CamInput`)
 * @returns raw maps Σ_k w_k A_k [n, h, w] before the ReLU, classes and scores
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: "ablationCam", batchSize: 3 });
 * if (!(m.method === "ablationCam" && m.rawShape.join() === "2,2,2")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function ablationCam(input: CamInput): CamOutput {
  const { net, layer, images, target, batchSize } = input;
  const f = forwardCam(input);
  try {
    const [n, , , k] = f.activations.shape;
    // The same space scoreOf used for y, so that y and y_k are comparable.
    const space = target.kind === "class" && target.space === "probability" &&
        net.head.activation !== "linear"
      ? "probability"
      : "logit";
    const ablated = scoreRows(n, k, batchSize, (rows) => {
      const mask = tf.sub(1, oneHot(rows.channel, k));
      const capture = target.kind === "neuron" ? [target.layer] : [];
      const run = runNet(net, expandRows(images, rows), {
        capture,
        output: "logits",
        replace: { [layer]: expandRows(f.activations, rows) },
        channelMask: { [layer]: mask },
      });
      return rowScores(net, target, space, run, rows, f.classes);
    });
    const maps = tf.tidy(() => {
      const y = tf.reshape(f.scores, [n, 1]);
      const tiny = tf.where(tf.less(y, 0), tf.fill([n, 1], -TINY), tf.fill([n, 1], TINY));
      const safe = tf.where(tf.less(tf.abs(y), TINY), tiny, y);
      return weightedSum(f.activations, tf.div(tf.sub(y, ablated), safe));
    });
    ablated.dispose();
    return { maps, classes: f.classes, scores: f.scores };
  } catch (e) {
    tf.dispose([f.classes, f.scores]);
    throw e;
  } finally {
    f.activations.dispose();
  }
}
