/**
 * Proof that a channel rotation leaves the network's function unchanged (Bau
 * et al. 2017, §3.2: "the next layer can absorb the inverse rotation"): the
 * representation at a layer is replaced by A' = A·Q and the next linear layer's
 * input channels are counter-rotated, W' = Qᵀ·W, so logits are computed from
 * the rotated representation with no explicit inverse.
 *
 * The link must be linear in the channels: the layer's output may pass through
 * GlobalAveragePooling2D, AveragePooling2D or Dropout (they commute with a
 * channel rotation) before reaching a Conv2D or Dense layer, which absorbs Qᵀ.
 * Max pooling and ReLU do not commute with a rotation: rotate after them (e.g.
 * at the pooling layer's output, whose channels are the conv layer's units).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import { getLayer, type Net } from "../net/net.ts";
import { checkImageSet, type Evaluation, scoreLogits } from "../net/predict.ts";

const COMMUTING = new Set(["GlobalAveragePooling2D", "AveragePooling2D", "Dropout"]);
const ABSORBING = new Set(["Conv2D", "Dense"]);

/**
 * The layer that can absorb Qᵀ for a rotation at `layer`, or why none can.
 *
 * @param net the network
 * @param layer where the representation is rotated
 * @returns `{ absorber }` or `{ reason }`
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { rotationAbsorber } from "./rotate_net.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: "c" }),
 *   tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 2, name: "d" }) ] }));
 * if (rotationAbsorber(net, "c").absorber !== "d") throw new Error("bad");
 * net.model.dispose();
 * ```
 */
export function rotationAbsorber(net: Net, layer: string): { absorber?: string; reason?: string } {
  getLayer(net, layer);
  let name = layer;
  for (;;) {
    const outs = net.graph.byName.get(name)!.outputs;
    const users = net.graph.steps.filter((s) => s.inputs.some((i) => outs.includes(i)));
    if (users.length !== 1) return { reason: `${name} feeds ${users.length} layers, not one` };
    const next = users[0]!;
    // Conv2D and Dense (on the last axis) are linear in their input channels.
    if (ABSORBING.has(next.className)) return { absorber: next.name };
    if (!COMMUTING.has(next.className)) {
      return { reason: `${next.className} ${next.name} does not commute with a channel rotation` };
    }
    name = next.name;
  }
}

/** Options of {@link rotatedEvaluation}. */
export interface RotatedEvaluationOptions {
  /** Images per forward pass. Default 64. */
  batchSize?: number;
}

/** Accuracy before and after a rotation folded into the network. */
export interface RotatedEvaluation {
  layer: string;
  /** The layer whose input channels absorbed Qᵀ. */
  absorber: string;
  before: Evaluation;
  after: Evaluation;
  /** Largest |logit difference| over the set. */
  maxLogitDifference: number;
}

/**
 * Accuracy of the network as is, and with the representation at `layer`
 * rotated by Q and Qᵀ folded into the next linear layer (module doc).
 *
 * @param net the network (its weights are restored afterwards)
 * @param set labelled images
 * @param rotation `{ layer, q }`: the layer and Q (K×K row-major)
 * @param options see {@link RotatedEvaluationOptions}
 * @returns before/after accuracy and the largest logit difference
 * @throws {TypeError} when no layer can absorb the rotation (the reason is given)
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { randomRotation } from "./rotation.ts";
 * import { rotatedEvaluation } from "./rotate_net.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 1, name: "c", activation: "relu" }),
 *   tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 2, name: "d" }) ] }));
 * const set = { name: "t", images: new Float32Array(32).fill(0.5), shape: [2, 4, 4, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1]), classNames: ["a", "b"] };
 * const r = await rotatedEvaluation(net, set, { layer: "c", q: randomRotation(3) });
 * if (r.maxLogitDifference > 1e-4) throw new Error("rotation changed the function");
 * net.model.dispose();
 * ```
 */
export async function rotatedEvaluation(
  net: Net,
  set: ImageSet,
  rotation: { layer: string; q: Float64Array },
  options: RotatedEvaluationOptions = {},
): Promise<RotatedEvaluation> {
  checkImageSet(net, set);
  const { layer, q } = rotation;
  const found = rotationAbsorber(net, layer);
  if (!found.absorber) {
    throw new TypeError(`cannot fold a rotation at ${layer} into the network: ${found.reason}`);
  }
  const k = getLayer(net, layer).units;
  if (q.length !== k * k) throw new RangeError(`Q has ${q.length} entries, expected ${k}·${k}`);
  const absorber = net.graph.byName.get(found.absorber)!.layer!;
  // getWeights returns the variables themselves: clone, or restoring would be a no-op.
  const original = absorber.getWeights().map((t) => tf.clone(t));
  const batchSize = options.batchSize ?? 64;
  const [n, h, w, c] = set.shape;
  const classes = net.numClasses;
  const before = new Float32Array(n * classes), after = new Float32Array(n * classes);
  const qm = tf.tensor2d(Float32Array.from(q), [k, k]);
  const rotatedWeights = tf.tidy(() => {
    const kernel = original[0]!;
    // W' = Qᵀ·W along the input-channel axis (axis −2 of a conv or dense kernel).
    const shape = kernel.shape;
    const out = shape.at(-1)!;
    const spatial = kernel.size / (k * out);
    const channelsFirst = tf.reshape(
      tf.transpose(tf.reshape(kernel, [spatial, k, out]), [1, 0, 2]),
      [k, -1],
    );
    const turned = tf.reshape(tf.matMul(qm, channelsFirst, true, false), [k, spatial, out]);
    return [
      tf.reshape(tf.transpose(turned, [1, 0, 2]), shape),
      ...original.slice(1).map((t) => tf.clone(t)),
    ];
  });
  try {
    for (let start = 0; start < n; start += batchSize) {
      const m = Math.min(batchSize, n - start);
      const x = tf.tensor4d(set.images.subarray(start * h * w * c, (start + m) * h * w * c), [
        m,
        h,
        w,
        c,
      ]);
      try {
        const base = runNet(net, x, { capture: [layer] });
        const turned = tf.tidy(() => {
          const a = base.captured[layer]!;
          return tf.reshape(tf.matMul(tf.reshape(a, [-1, k]), qm), a.shape);
        });
        let rotated: tf.Tensor;
        absorber.setWeights(rotatedWeights);
        try {
          rotated = runNet(net, null, { replace: { [layer]: turned } }).output;
        } finally {
          absorber.setWeights(original);
          turned.dispose();
        }
        try {
          before.set(await base.output.data(), start * classes);
          after.set(await rotated.data(), start * classes);
        } finally {
          tf.dispose([base.output, rotated, ...Object.values(base.captured)]);
        }
      } finally {
        x.dispose();
      }
    }
  } finally {
    tf.dispose([qm, ...rotatedWeights, ...original]);
  }
  let maxDiff = 0;
  for (let i = 0; i < before.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(before[i]! - after[i]!));
  }
  return {
    layer,
    absorber: found.absorber,
    before: scoreLogits(before, set.labels, classes),
    after: scoreLogits(after, set.labels, classes),
    maxLogitDifference: maxDiff,
  };
}
