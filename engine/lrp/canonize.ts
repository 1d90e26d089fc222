/**
 * Canonisation for LRP (as zennit's canonizers do): every parametric layer
 * becomes a list of {@link LinearOp}s, and each BatchNormalization that
 * directly follows a linear layer is folded into it,
 *
 *   W' = W · s,  b' = b · s + t,  with s = γ / √(σ² + ε), t = β − μ · s,
 *
 * so that the folded layer computes exactly the BatchNorm's output and LRP
 * rules see one linear map. Folded weights are new tensors; the model is
 * never touched.
 *
 * A BatchNorm is folded when its input comes from a Dense, Conv2D,
 * DepthwiseConv2D or SeparableConv2D step with a linear activation, that
 * output is read by nothing else, and it normalises the last axis. Any other
 * BatchNorm (after the input, after a ReLU, after an Add, or feeding a
 * branch) is kept as an element-wise linear layer y = s·x + t (a "scale"
 * op), which the composites give the ε rule: its shift t absorbs relevance
 * like a bias.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Step } from "../net/graph.ts";
import type { Net } from "../net/net.ts";
import type { ConvGeometry, LinearOp } from "./linear.ts";
import { activationOf, LINEAR_CLASSES } from "./_steps.ts";

/** The network as LRP sees it; tensors in `owned` belong to the caller. */
export interface Canonical {
  /**
   * Linear maps of each parametric step, in forward order (SeparableConv2D:
   * depthwise, then pointwise), with BatchNorms folded in. Element-wise
   * BatchNorms appear here too, as one "scale" op.
   */
  linear: Map<string, LinearOp[]>;
  /** Folded BatchNorm step → the step it was folded into (relevance passes it unchanged). */
  folded: Map<string, string>;
  /** BatchNorm steps kept as element-wise linear layers. */
  elementwise: Set<string>;
  /** Tensors created here (folded weights); free with {@link disposeCanonical}. */
  owned: tf.Tensor[];
}

type AnyLayer = Record<string, unknown> & { getConfig(): Record<string, unknown> };

/** Options of {@link canonize}. */
export interface CanonizeOptions {
  /** The steps to canonise (a BatchNorm folds only into a listed step). Default: every step. */
  steps?: readonly Step[];
}

/**
 * Builds the canonical linear maps of a net, BatchNorms folded into the
 * preceding linear layer (zennit's canonizers; Montavon et al. 2019, §10.3
 * on rules for the linear layers that remain).
 *
 * @param net the network
 * @param options see {@link CanonizeOptions}
 * @returns linear maps, folded and element-wise BatchNorms; new tensors are
 *   listed in `owned` (the layers' own weights are referenced, not copied)
 * @throws {TypeError} for a convolution with dilation > 1 or channels-first
 *   data, naming the layer
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { canonize, disposeCanonical } from "./canonize.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.batchNormalization({ name: "bn" }),
 *   tfl.layers.flatten({ name: "flat" }),
 *   tfl.layers.dense({ units: 2, name: "out" }),
 * ] }));
 * const c = canonize(net);
 * if (c.folded.get("bn") !== "conv") throw new Error("the BatchNorm was not folded");
 * disposeCanonical(c);
 * net.model.dispose();
 * ```
 */
export function canonize(net: Net, options: CanonizeOptions = {}): Canonical {
  const steps = options.steps ?? net.graph.steps;
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const linear = new Map<string, LinearOp[]>();
  const folded = new Map<string, string>();
  const elementwise = new Set<string>();
  const wanted = new Set(steps.map((s) => s.name));
  const producer = new Map<number, Step>();
  const readers = new Map<number, number>();
  for (const step of net.graph.steps) {
    for (const s of step.outputs) producer.set(s, step);
    for (const s of step.inputs) readers.set(s, (readers.get(s) ?? 0) + 1);
  }
  for (const s of net.graph.outputSlots) readers.set(s, (readers.get(s) ?? 0) + 1);

  for (const step of steps) {
    if (LINEAR_CLASSES.has(step.className)) linear.set(step.name, linearOps(step));
  }
  for (const step of steps) {
    if (step.className !== "BatchNormalization") continue;
    const { scale, shift, axisIsLast } = bnAffine(step, keep);
    const slot = step.inputs[0]!;
    const source = producer.get(slot);
    const foldable = axisIsLast && source !== undefined && wanted.has(source.name) &&
      LINEAR_CLASSES.has(source.className) && activationOf(source) === "linear" &&
      readers.get(slot) === 1 && !folded.has(step.name);
    if (foldable) {
      const ops = linear.get(source.name)!;
      const last = ops[ops.length - 1]!;
      ops[ops.length - 1] = foldInto(last, scale, shift, keep);
      folded.set(step.name, source.name);
    } else {
      const rank = (step.outputShapes[0] ?? []).length;
      const axis = bnAxis(step, rank);
      // Broadcast the per-channel scale along the normalised axis.
      const shape = new Array(rank).fill(1);
      shape[axis] = scale.shape[0]!;
      linear.set(step.name, [{
        kind: "scale",
        kernel: keep(tf.reshape(scale, shape)),
        bias: keep(tf.reshape(shift, shape)),
      }]);
      elementwise.add(step.name);
    }
  }
  return { linear, folded, elementwise, owned };
}

/**
 * Frees the tensors {@link canonize} created (never the model's weights).
 *
 * @param c the result of {@link canonize}; its `owned` list is emptied
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { canonize, disposeCanonical } from "./canonize.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.dense({ inputShape: [1, 1, 2], units: 2, name: "d" }),
 *   tfl.layers.batchNormalization({ name: "bn" }),
 * ] }));
 * const before = tf.memory().numTensors;
 * disposeCanonical(canonize(net));
 * if (tf.memory().numTensors !== before) throw new Error("leak");
 * net.model.dispose();
 * ```
 */
export function disposeCanonical(c: Canonical): void {
  tf.dispose(c.owned);
  c.owned.length = 0;
}

function read(layer: AnyLayer, field: string): tf.Tensor | null {
  const v = layer[field] as { read(): tf.Tensor } | null | undefined;
  return v ? v.read() : null;
}

function pair(v: unknown): [number, number] {
  if (typeof v === "number") return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}

function geometry(step: Step, layer: AnyLayer): ConvGeometry {
  const config = layer.getConfig();
  const dilation = pair(config.dilationRate ?? 1);
  if (dilation[0] !== 1 || dilation[1] !== 1) {
    throw new TypeError(
      `LRP does not support dilated convolutions: layer "${step.name}" (${step.className}) ` +
        `has dilationRate [${dilation.join(", ")}]; expected [1, 1]`,
    );
  }
  if (config.dataFormat === "channelsFirst") {
    throw new TypeError(
      `LRP expects channels-last data: layer "${step.name}" (${step.className}) is channelsFirst`,
    );
  }
  const padding = config.padding;
  if (padding !== "same" && padding !== "valid") {
    throw new TypeError(
      `LRP supports "same" and "valid" padding; layer "${step.name}" (${step.className}) has ` +
        `${JSON.stringify(padding)}`,
    );
  }
  return { strides: pair(config.strides ?? 1), padding };
}

function linearOps(step: Step): LinearOp[] {
  const layer = step.layer as unknown as AnyLayer;
  const bias = read(layer, "bias");
  switch (step.className) {
    case "Dense":
      return [{ kind: "dense", kernel: read(layer, "kernel")!, bias }];
    case "Conv2D":
      return [{ kind: "conv", kernel: read(layer, "kernel")!, bias, ...geometry(step, layer) }];
    case "DepthwiseConv2D":
      return [{
        kind: "depthwise",
        kernel: read(layer, "depthwiseKernel")!,
        bias,
        ...geometry(step, layer),
      }];
    default: {
      // SeparableConv2D = depthwise (carrying stride and padding), then a 1×1 conv.
      const g = geometry(step, layer);
      return [
        { kind: "depthwise", kernel: read(layer, "depthwiseKernel")!, bias: null, ...g },
        {
          kind: "conv",
          kernel: read(layer, "pointwiseKernel")!,
          bias,
          strides: [1, 1],
          padding: "valid",
        },
      ];
    }
  }
}

function bnAxis(step: Step, rank: number): number {
  const axis = (step.layer as unknown as { axis?: number | number[] }).axis ?? -1;
  const a = Array.isArray(axis) ? axis[0]! : axis;
  return a < 0 ? a + rank : a;
}

/** s = γ/√(σ²+ε) and t = β − μ·s of a BatchNormalization in inference mode. */
function bnAffine(
  step: Step,
  keep: <T extends tf.Tensor>(t: T) => T,
): { scale: tf.Tensor; shift: tf.Tensor; axisIsLast: boolean } {
  const layer = step.layer as unknown as AnyLayer & { epsilon?: number };
  const rank = (step.outputShapes[0] ?? []).length;
  const axisIsLast = bnAxis(step, rank) === rank - 1;
  const gamma = read(layer, "gamma");
  const beta = read(layer, "beta");
  const mean = read(layer, "movingMean")!;
  const variance = read(layer, "movingVariance")!;
  const eps = layer.epsilon ?? 1e-3;
  const { scale, shift } = tf.tidy(() => {
    let s = tf.rsqrt(tf.add(variance, eps));
    if (gamma) s = tf.mul(s, gamma);
    let t = tf.neg(tf.mul(mean, s));
    if (beta) t = tf.add(t, beta);
    return { scale: s, shift: t };
  });
  return { scale: keep(scale), shift: keep(shift), axisIsLast };
}

/** The op followed by y = s·x + t per output channel, as one op. */
function foldInto(
  op: LinearOp,
  scale: tf.Tensor,
  shift: tf.Tensor,
  keep: <T extends tf.Tensor>(t: T) => T,
): LinearOp {
  const { kernel, bias } = tf.tidy(() => {
    // Depthwise output channel c·m + j comes from input channel c, multiplier j.
    const s = op.kind === "depthwise"
      ? tf.reshape(scale, [op.kernel.shape[2]!, op.kernel.shape[3]!])
      : scale;
    const k = tf.mul(op.kernel, s);
    const b = op.bias ? tf.add(tf.mul(op.bias, scale), shift) : tf.clone(shift);
    return { kernel: k, bias: b };
  });
  return { ...op, kernel: keep(kernel), bias: keep(bias) };
}
