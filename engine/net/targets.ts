/**
 * Targets (what a method explains) and their gradients, from one forward and
 * one backward pass, with respect to the input and any inner activations.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "./net.ts";
 * import { disposeGradients, targetGradients } from "./targets.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({ name: "flat" }),
 *   tfl.layers.dense({ units: 3, name: "logits" }),
 * ] });
 * const net = wrapModel(model);
 * const x = tf.randomUniform([2, 5, 5, 1], 0, 1, "float32", 1);
 * const g = targetGradients(net, x, { kind: "class", index: 1 }, { wrtLayers: ["conv"] });
 * if (!(g.inputGrad!.shape.join() === "2,5,5,1")) throw new Error("example failed");
 * if (!(g.layerGrads.conv!.shape.join() === "2,3,3,2")) throw new Error("example failed");
 * disposeGradients(g);
 * tf.dispose(x);
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { runNet, type RunOptions } from "./executor.ts";
import { ancestorsOf } from "./graph.ts";
import { getLayer, type Net } from "./net.ts";

/**
 * A class score. `index` defaults to each image's top-1 prediction; a number
 * applies to every image, an array gives one class per image. `space`:
 * the pre-softmax logit (default) or the head's probability.
 */
export interface ClassTarget {
  kind: "class";
  index?: number | readonly number[];
  space?: "logit" | "probability";
}

/**
 * A neuron's scalar activation: unit `unit` of layer `layer`, reduced over
 * space by its mean (default), its max, or read at one position [row, col].
 */
export interface NeuronTarget {
  kind: "neuron";
  layer: string;
  unit: number;
  reduce?: "mean" | "max" | { position: [number, number] };
}

/**
 * The cross-entropy loss of each image against its label (for Taylor
 * importance and training-style criteria); the score is the loss itself.
 */
export interface LossTarget {
  kind: "loss";
  labels: ArrayLike<number>;
}

/** Anything a method can explain. */
export type Target = ClassTarget | NeuronTarget | LossTarget;

/** Options of {@link targetGradients}. */
export interface GradientOptions {
  /** Also return ∂score/∂input. Default: true. */
  wrtInput?: boolean;
  /** Layers whose activations the score is differentiated against. Default: none. */
  wrtLayers?: readonly string[];
  /** Extra layers to capture (activations of `wrtLayers` are always returned). */
  capture?: readonly string[];
  /** Channel masks passed to the executor. Default: none. */
  channelMask?: RunOptions["channelMask"];
  /** ReLU backward rule (deconvolution, guided backprop). Default: "standard". */
  reluBackward?: RunOptions["reluBackward"];
}

/** Scores and gradients; every tensor belongs to the caller. */
export interface GradientResult {
  /** The target score of each image, [N]. */
  scores: tf.Tensor1D;
  /** The logits of each image, [N, classes]. */
  logits: tf.Tensor2D;
  /** The explained class per image (int32; top-1 when not given), -1 for neurons. */
  classes: tf.Tensor1D;
  /** ∂score/∂input, [N, H, W, C], unless `wrtInput` was false. */
  inputGrad: tf.Tensor | null;
  /** ∂score/∂activation for each of `wrtLayers`. */
  layerGrads: Record<string, tf.Tensor>;
  /** Activations of `wrtLayers` and `capture`. */
  activations: Record<string, tf.Tensor>;
}

/**
 * Validates a target against the net and the batch size.
 *
 * @throws {RangeError} for a class or unit out of range, or a wrong-length
 *   class list; naming the value and the valid range
 */
export function checkTarget(net: Net, target: Target, batch: number): void {
  if (target.kind === "loss") {
    if (target.labels.length !== batch) {
      throw new RangeError(`${target.labels.length} labels given for ${batch} images`);
    }
    for (const c of Array.from(target.labels)) {
      if (!Number.isInteger(c) || c < 0 || c >= net.numClasses) {
        throw new RangeError(`Label ${c} is out of range: classes 0..${net.numClasses - 1}`);
      }
    }
  } else if (target.kind === "class") {
    const idx = target.index;
    if (idx === undefined) return;
    const list = typeof idx === "number" ? [idx] : idx;
    if (typeof idx !== "number" && list.length !== batch) {
      throw new RangeError(`${list.length} class indices given for ${batch} images`);
    }
    for (const c of list) {
      if (!Number.isInteger(c) || c < 0 || c >= net.numClasses) {
        throw new RangeError(
          `Class index ${c} is out of range: ${net.name} has classes 0..${net.numClasses - 1}`,
        );
      }
    }
  } else {
    const layer = getLayer(net, target.layer);
    if (!Number.isInteger(target.unit) || target.unit < 0 || target.unit >= layer.units) {
      throw new RangeError(
        `Neuron ${target.unit} is out of range: layer "${layer.name}" has units 0..${
          layer.units - 1
        }`,
      );
    }
    const r = target.reduce;
    if (typeof r === "object") {
      const [h, w] = layer.outputShape;
      const [i, j] = r.position;
      if (layer.outputShape.length !== 3 || !(i >= 0 && i < h! && j >= 0 && j < w!)) {
        throw new RangeError(
          `Position [${i}, ${j}] is outside layer "${layer.name}" of shape [${
            layer.outputShape.join(", ")
          }]`,
        );
      }
    }
  }
}

/**
 * Score of a target on a batch, from a forward pass's logits and captures.
 * Differentiable; called inside gradient functions.
 */
export function scoreOf(
  net: Net,
  target: Target,
  logits: tf.Tensor,
  captured: Record<string, tf.Tensor>,
): { scores: tf.Tensor1D; classes: tf.Tensor1D } {
  const n = logits.shape[0]!;
  if (target.kind === "loss") {
    const classes = tf.tensor1d(Array.from(target.labels), "int32");
    const logp = tf.logSoftmax(logits);
    const picked = tf.mul(logp, pickMask(classes, net.numClasses));
    return { scores: tf.neg(tf.sum(picked, 1)) as tf.Tensor1D, classes };
  }
  if (target.kind === "class") {
    const space = target.space === "probability" && net.head.activation !== "linear"
      ? (net.head.activation === "softmax" ? tf.softmax(logits) : tf.sigmoid(logits))
      : logits;
    const idx = target.index;
    const classes: tf.Tensor1D = idx === undefined
      ? tf.argMax(logits, 1)
      : tf.tensor1d(typeof idx === "number" ? new Array(n).fill(idx) : [...idx], "int32");
    return { scores: tf.sum(tf.mul(space, pickMask(classes, net.numClasses)), 1), classes };
  }
  const a = captured[target.layer]!;
  const classes = tf.fill([n], -1, "int32") as tf.Tensor1D;
  if (a.rank === 2) {
    return { scores: tf.reshape(tf.slice(a, [0, target.unit], [n, 1]), [n]), classes };
  }
  const [h, w] = [a.shape[1]!, a.shape[2]!];
  const channel = tf.slice(a, [0, 0, 0, target.unit], [n, h, w, 1]);
  const r = target.reduce ?? "mean";
  let scores: tf.Tensor;
  if (r === "mean") scores = tf.mean(channel, [1, 2, 3]);
  else if (r === "max") scores = tf.max(channel, [1, 2, 3]);
  else {scores = tf.reshape(tf.slice(channel, [0, r.position[0], r.position[1], 0], [n, 1, 1, 1]), [
      n,
    ]);}
  return { scores: scores as tf.Tensor1D, classes };
}

/**
 * A float [N, K] mask with a 1 at each row's class. `tf.oneHot` (which has
 * the zero gradient that top-1 classes need) refuses K = 1 and, on WASM,
 * returns int32 bits when asked for float32; so int32 then cast.
 */
function pickMask(classes: tf.Tensor1D, k: number): tf.Tensor2D {
  if (k === 1) return tf.ones([classes.shape[0], 1]);
  return tf.cast(tf.oneHot(classes, k), "float32") as tf.Tensor2D;
}

/**
 * Scores a target and differentiates it, in one forward and one backward
 * pass, with respect to the input and to the activations of `wrtLayers`.
 * Images are independent (inference mode), so the gradient of the summed
 * score is each image's own gradient.
 *
 * @param net the network
 * @param images [N, H, W, C]
 * @param target what to explain
 * @param options see {@link GradientOptions}
 * @returns scores, logits, gradients and activations (caller disposes, e.g.
 *   with {@link disposeGradients})
 */
export function targetGradients(
  net: Net,
  images: tf.Tensor,
  target: Target,
  options: GradientOptions = {},
): GradientResult {
  checkTarget(net, target, images.shape[0]!);
  const wrtInput = options.wrtInput ?? true;
  const requested = [...(options.wrtLayers ?? [])];
  for (const name of requested) getLayer(net, name);
  // Layers the score does not depend on have a zero gradient; tf.grads would
  // refuse them, so they are left out of the differentiation.
  const upstream = ancestorsOf(
    net.graph,
    target.kind === "neuron" ? target.layer : finalStepName(net),
  );
  const wrtLayers = requested.filter((name) => upstream.has(name));
  const capture = [...new Set([...requested, ...(options.capture ?? [])])];
  if (target.kind === "neuron" && !capture.includes(target.layer)) capture.push(target.layer);
  const shapes = wrtLayers.map((name) => [images.shape[0]!, ...getLayer(net, name).outputShape]);

  let kept: { logits: tf.Tensor; scores: tf.Tensor; classes: tf.Tensor } | null = null;
  const activations: Record<string, tf.Tensor> = {};
  const deltas = shapes.map((s) => tf.zeros(s));
  try {
    const f = (...args: tf.Tensor[]) => {
      const x = wrtInput ? args[0]! : images;
      const ds = wrtInput ? args.slice(1) : args;
      const perturb: Record<string, tf.Tensor> = {};
      wrtLayers.forEach((name, i) => (perturb[name] = ds[i]!));
      const runOptions: RunOptions = { capture, perturb, output: "logits" };
      if (options.channelMask) runOptions.channelMask = options.channelMask;
      if (options.reluBackward) runOptions.reluBackward = options.reluBackward;
      const r = runNet(net, x, runOptions);
      const s = scoreOf(net, target, r.output, r.captured);
      kept = { logits: tf.keep(r.output), scores: tf.keep(s.scores), classes: tf.keep(s.classes) };
      for (const name of capture) activations[name] = tf.keep(r.captured[name]!);
      return tf.sum(s.scores) as tf.Scalar;
    };
    const xs = wrtInput ? [images, ...deltas] : deltas;
    const grads = xs.length > 0 ? tf.grads(f)(xs) : (f(), []);
    const layerGrads: Record<string, tf.Tensor> = {};
    wrtLayers.forEach((name, i) => (layerGrads[name] = grads[wrtInput ? i + 1 : i]!));
    for (const name of requested) layerGrads[name] ??= tf.zerosLike(activations[name]!);
    const k = kept as unknown as { logits: tf.Tensor; scores: tf.Tensor; classes: tf.Tensor };
    return {
      scores: k.scores as tf.Tensor1D,
      logits: k.logits as tf.Tensor2D,
      classes: k.classes as tf.Tensor1D,
      inputGrad: wrtInput ? grads[0]! : null,
      layerGrads,
      activations,
    };
  } finally {
    tf.dispose(deltas);
  }
}

function finalStepName(net: Net): string {
  const out = net.graph.outputSlots[0]!;
  return net.graph.steps.find((s) => s.outputs.includes(out))!.name;
}

/** Disposes every tensor of a {@link GradientResult}. */
export function disposeGradients(g: GradientResult): void {
  tf.dispose([
    g.scores,
    g.logits,
    g.classes,
    ...Object.values(g.layerGrads),
    ...Object.values(g.activations),
  ]);
  if (g.inputGrad) g.inputGrad.dispose();
}
