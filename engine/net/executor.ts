/**
 * The executor: runs a Net layer by layer so that any layer's output can be
 * captured, replaced, perturbed (for gradients) or multiplied by a channel
 * mask, on Sequential, functional, residual and nested models alike.
 *
 * Only the steps that the requested outputs depend on run: replacing a deep
 * layer skips everything upstream of it that no other branch needs.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "./net.ts";
 * import { runNet } from "./executor.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.globalAveragePooling2d({ name: "gap" }),
 *   tfl.layers.dense({ units: 2, name: "logits" }),
 * ] });
 * const net = wrapModel(model);
 * const x = tf.ones([1, 4, 4, 1]);
 * const r = runNet(net, x, { capture: ["conv"], channelMask: { conv: tf.tensor1d([1, 0]) } });
 * if (!(r.captured.conv!.shape.join() === "1,2,2,2")) throw new Error("example failed");
 * tf.dispose([x, r.output, r.captured.conv!]);
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Step } from "./graph.ts";
import { getLayer, type Net } from "./net.ts";

/** What the executor returns as the network output. */
export type OutputSpace = "logits" | "probabilities" | "raw";

/** Options of {@link runNet}. Every map is keyed by layer name. */
export interface RunOptions {
  /** Layers whose outputs to return (after replace/mask/perturb). Default: none. */
  capture?: readonly string[];
  /**
   * Layer outputs to use instead of computing them. Gradients flow from the
   * given tensors. Default: none.
   */
  replace?: Readonly<Record<string, tf.Tensor>>;
  /**
   * Per-channel multipliers of a layer's output, shape [C] (same for every
   * image) or [N, C] (one mask per image, for batched ablations). Default: none.
   */
  channelMask?: Readonly<Record<string, tf.Tensor>>;
  /**
   * Tensors added to a layer's output (usually zeros), so that `tf.grad`
   * with respect to them is the gradient with respect to that activation,
   * from the same single forward pass. Default: none.
   */
  perturb?: Readonly<Record<string, tf.Tensor>>;
  /**
   * `logits` (default): pre-softmax scores even when the model ends with a
   * softmax; `probabilities`: the head activation applied to them; `raw`:
   * exactly what the model outputs.
   */
  output?: OutputSpace;
  /** Skip computing the network output (only captures are wanted). Default: false. */
  skipOutput?: boolean;
  /**
   * How gradients pass backwards through plain ReLUs (fused into a layer or a
   * ReLU/Activation layer): `standard` (default); `deconv` passes only the
   * positive part of the incoming gradient, ignoring the forward mask
   * (Zeiler & Fergus 2014); `guided` applies both the forward mask and the
   * positive part (Springenberg et al. 2015). Forward values never change.
   * Clipped ReLUs (ReLU6) keep their standard gradient.
   */
  reluBackward?: ReluBackward;
}

/** The backward rule of ReLU, see {@link RunOptions.reluBackward}. */
export type ReluBackward = "standard" | "deconv" | "guided";

/** The network output and the captured layer outputs (the caller owns all). */
export interface RunResult {
  /** [N, classes] in the requested space (an empty tensor with `skipOutput`). */
  output: tf.Tensor;
  /** Captured outputs by layer name. */
  captured: Record<string, tf.Tensor>;
}

/**
 * Runs the network on a batch of images with the requested interventions.
 *
 * @param net the network
 * @param images [N, H, W, C] in the model's input range, or null when every
 *   needed value comes from `replace`
 * @param options see {@link RunOptions}
 * @returns output and captures; the caller disposes them
 * @throws {RangeError} for unknown layer names or a wrongly shaped input
 */
export function runNet(net: Net, images: tf.Tensor | null, options: RunOptions = {}): RunResult {
  const capture = options.capture ?? [];
  const replace = options.replace ?? {};
  const masks = options.channelMask ?? {};
  const perturb = options.perturb ?? {};
  const space = options.output ?? "logits";
  for (const map of [capture, Object.keys(replace), Object.keys(masks), Object.keys(perturb)]) {
    for (const name of map) getLayer(net, name);
  }
  if (images) checkImageBatch(net, images);

  const { graph, head } = net;
  const logitsStep = space === "raw" || head.placement === "none"
    ? null
    : graph.byName.get(head.logitsStep) ?? null;
  const finalSlot = logitsStep ? logitsStep.outputs[0]! : graph.outputSlots[0]!;
  const wanted = new Set<number>();
  if (!options.skipOutput) wanted.add(finalSlot);
  for (const name of capture) for (const s of graph.byName.get(name)!.outputs) wanted.add(s);
  const plan = planSteps(net, wanted, new Set(Object.keys(replace)));

  return tf.tidy(() => {
    const values = new Array<tf.Tensor | undefined>(graph.slotCount);
    if (plan.needsInput) {
      if (!images) {
        throw new RangeError("runNet needs images: some needed layer depends on the input");
      }
      values[graph.inputSlots[0]!] = images;
    }
    const remainingReads = plan.reads.slice();
    const keep = new Set(wanted);
    keep.add(graph.inputSlots[0]!);

    for (const step of plan.steps) {
      let outs: tf.Tensor[];
      const given = replace[step.name];
      if (given) {
        outs = [given];
      } else {
        const ins = step.inputs.map((s) => values[s]!);
        outs = callStep(
          step,
          ins,
          step === logitsStep && head.placement === "fused",
          options.reluBackward ?? "standard",
        );
      }
      const mask = masks[step.name];
      const delta = perturb[step.name];
      if (mask || delta) outs = outs.map((t) => intervene(t, mask, delta, step.name));
      step.outputs.forEach((s, i) => (values[s] = outs[i]));
      // Free inputs as soon as their last reader has run: keeps peak memory
      // to a few layers even for large batches (the tape keeps what it needs).
      if (!given) {
        for (const s of step.inputs) {
          remainingReads[s]!--;
          if (remainingReads[s] === 0 && !keep.has(s)) {
            const t = values[s];
            values[s] = undefined;
            // Identity-like layers (Dropout at inference, nested-model ends)
            // return their input: the same tensor may live in another slot.
            if (t && !isProtected(t, replace, images) && !values.includes(t)) t.dispose();
          }
        }
      }
    }

    const captured: Record<string, tf.Tensor> = {};
    for (const name of capture) captured[name] = values[graph.byName.get(name)!.outputs[0]!]!;
    let output: tf.Tensor;
    if (options.skipOutput) {
      output = tf.zeros([0]);
    } else {
      output = values[finalSlot]!;
      if (space === "probabilities" && logitsStep) {
        output = head.activation === "softmax" ? tf.softmax(output) : tf.sigmoid(output);
      }
    }
    return { output, captured };
  });
}

/**
 * Checks that a batch has the net's input shape [N, H, W, C].
 *
 * @throws {RangeError} naming the shape found and the shape expected
 */
export function checkImageBatch(net: Net, images: tf.Tensor): void {
  const [h, w, c] = net.inputShape;
  const s = images.shape;
  if (s.length !== 4 || s[1] !== h || s[2] !== w || s[3] !== c) {
    throw new RangeError(
      `Images of shape [${s.join(", ")}] do not fit ${net.name}: expected [N, ${h}, ${w}, ${c}]`,
    );
  }
}

interface Plan {
  steps: Step[];
  /** For each slot, how many planned steps read it. */
  reads: number[];
  needsInput: boolean;
}

/** The steps needed for `wanted`, stopping at replaced layers. */
function planSteps(net: Net, wanted: Set<number>, replaced: Set<string>): Plan {
  const { graph } = net;
  const producer = new Map<number, Step>();
  for (const step of graph.steps) for (const s of step.outputs) producer.set(s, step);
  const needed = new Set<Step>();
  const stack = [...wanted];
  let needsInput = false;
  const seen = new Set<number>();
  while (stack.length > 0) {
    const slot = stack.pop()!;
    if (seen.has(slot)) continue;
    seen.add(slot);
    const step = producer.get(slot);
    if (!step) {
      needsInput = true;
      continue;
    }
    needed.add(step);
    if (!replaced.has(step.name)) stack.push(...step.inputs);
  }
  const steps = graph.steps.filter((s) => needed.has(s));
  const reads = new Array<number>(graph.slotCount).fill(0);
  for (const step of steps) {
    if (!replaced.has(step.name)) { for (const s of step.inputs) reads[s]!++; }
  }
  return { steps, reads, needsInput };
}

const LINEAR = { getClassName: () => "linear", apply: (x: tf.Tensor) => x };

/** ReLU whose backward pass keeps only the positive part of the gradient. */
const deconvRelu = tf.customGrad((x) => ({
  value: tf.relu(x as tf.Tensor),
  gradFunc: (dy) => tf.relu(dy as tf.Tensor),
}));

/** ReLU whose backward pass applies the forward mask and keeps positive gradients. */
const guidedRelu = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: tf.relu(x as tf.Tensor),
    gradFunc: (dy, saved) => tf.mul(tf.relu(dy as tf.Tensor), tf.step(saved[0]!)),
  };
});

type CallableLayer = {
  activation?: unknown;
  maxValue?: number | null;
  call(x: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
};

/** Whether a step ends in a plain (unclipped) ReLU, and whether it is fused. */
function reluKind(step: Step): "layer" | "fused" | null {
  const layer = step.layer as unknown as CallableLayer | null;
  if (!layer) return null;
  const act = (layer.activation as { getClassName?(): string } | undefined)?.getClassName?.()
    .toLowerCase();
  if (step.className === "ReLU") return layer.maxValue == null ? "layer" : null;
  if (act !== "relu") return null;
  return step.className === "Activation" ? "layer" : "fused";
}

function callStep(
  step: Step,
  ins: tf.Tensor[],
  dropActivation: boolean,
  reluBackward: ReluBackward,
): tf.Tensor[] {
  if (!step.layer) return ins; // the identity step that ends a nested model
  const layer = step.layer as unknown as CallableLayer;
  const arg = ins.length === 1 ? ins[0]! : ins;
  const kwargs = { ...step.callArgs, training: false };
  const relu = reluBackward === "standard" ? null : reluKind(step);
  const modified = reluBackward === "guided" ? guidedRelu : deconvRelu;
  if (relu === "layer") return [modified(ins[0]!)];
  const pre = taped() ? conv2dPreActivation(step, ins[0]!) : null;
  if (pre) {
    if (relu === "fused") return [modified(pre)];
    if (dropActivation) return [pre];
    const act = layer.activation as { apply(x: tf.Tensor): tf.Tensor } | undefined;
    return [act ? act.apply(pre) : pre];
  }
  let out: tf.Tensor | tf.Tensor[];
  if (dropActivation || relu === "fused") {
    // Run the layer once with a linear activation (for logits under a fused
    // softmax, or to apply a modified ReLU). Restored in `finally` so the
    // model is never left altered.
    const saved = layer.activation;
    layer.activation = LINEAR;
    try {
      out = layer.call(arg, kwargs);
    } finally {
      layer.activation = saved;
    }
    if (relu === "fused") out = modified(out as tf.Tensor);
  } else {
    out = layer.call(arg, kwargs);
  }
  return Array.isArray(out) ? out : [out];
}

/** Whether a gradient tape is recording (inside tf.grad / tf.grads). */
function taped(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * A Conv2D layer's output before its activation, as plain ops. Used while a
 * gradient tape records: tfjs-layers then runs a linear conv through
 * `fused.conv2d`, whose custom gradient computes the filter gradient eagerly
 * even when only the input or an activation gradient is wanted (on WASM that
 * is about twice a forward conv, wasted). Plain `conv2d` + `add` have lazy
 * gradients. Returns null for layers this does not cover (channels-first).
 */
function conv2dPreActivation(step: Step, x: tf.Tensor): tf.Tensor | null {
  if (step.className !== "Conv2D") return null;
  const l = step.layer as unknown as {
    kernel: { read(): tf.Tensor4D };
    bias: { read(): tf.Tensor1D } | null;
    useBias: boolean;
    strides: [number, number];
    padding: "same" | "valid";
    dilationRate: number | [number, number];
    dataFormat: string;
  };
  if (l.dataFormat !== "channelsLast" || (l.padding !== "same" && l.padding !== "valid")) {
    return null;
  }
  const y = tf.conv2d(
    x as tf.Tensor4D,
    l.kernel.read(),
    l.strides,
    l.padding,
    "NHWC",
    l.dilationRate,
  );
  return l.useBias && l.bias ? tf.add(y, l.bias.read()) : y;
}

function intervene(
  t: tf.Tensor,
  mask: tf.Tensor | undefined,
  delta: tf.Tensor | undefined,
  name: string,
): tf.Tensor {
  let out = t;
  if (mask) {
    const c = t.shape[t.rank - 1]!;
    const n = t.shape[0]!;
    const ok = (mask.rank === 1 && mask.shape[0] === c) ||
      (mask.rank === 2 && mask.shape[0] === n && mask.shape[1] === c);
    if (!ok) {
      throw new RangeError(
        `Channel mask for "${name}" has shape [${
          mask.shape.join(", ")
        }]; expected [${c}] or [${n}, ${c}]`,
      );
    }
    const m = mask.rank === 1 ? mask : tf.reshape(mask, [n, ...new Array(t.rank - 2).fill(1), c]);
    out = tf.mul(out, m);
  }
  if (delta) {
    if (delta.shape.join() !== t.shape.join()) {
      throw new RangeError(
        `Perturbation for "${name}" has shape [${delta.shape.join(", ")}]; expected [${
          t.shape.join(", ")
        }]`,
      );
    }
    out = tf.add(out, delta);
  }
  return out;
}

function isProtected(
  t: tf.Tensor,
  replace: Readonly<Record<string, tf.Tensor>>,
  images: tf.Tensor | null,
): boolean {
  return t === images || Object.values(replace).includes(t);
}
