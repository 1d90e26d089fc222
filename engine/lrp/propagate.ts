/**
 * Layer-wise relevance propagation over the executor's graph (Bach et al.
 * 2015; Montavon et al. 2019, "Layer-Wise Relevance Propagation: An
 * Overview", §10.2.2): one forward pass captures every activation, then the
 * steps are walked backwards from the explained output, each linear map
 * redistributing relevance with its rule (gradient trick, `rules.ts`) and
 * every other layer as described in `_steps.ts`. Relevance reaching a slot
 * from several readers (residual branches) is summed.
 *
 * Start relevance: for a class target, R = the logit at the target class and
 * 0 elsewhere (the head's softmax is skipped), or with `start:
 * "contrastive"` R = −1/C at every class and 1 at the target (Relevance-CAM,
 * METHODS.md §2). For a neuron target, R = A ⊙ ∂score/∂A at its layer, i.e.
 * the activation share that makes up the neuron's score (the unit's map /
 * (h·w) for the mean, its value at the arg-max or at the chosen position;
 * positions tied at the maximum each get their full value).
 *
 * Conservation: every rule but α–β (α − β ≠ 1 leaks) passes on Σ R except
 * what biases and stabilisers absorb, so with ε → 0 and zero biases (folded
 * BatchNorm shifts included) Σ input relevance = the explained logit.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { checkImageBatch, runNet } from "../net/executor.ts";
import { ancestorsOf, type Step } from "../net/graph.ts";
import { getLayer, type Net } from "../net/net.ts";
import { checkTarget, scoreOf, type Target, targetGradients } from "../net/targets.ts";
import { canonize } from "./canonize.ts";
import { assignRules, type CompositeSpec, getComposite } from "./composites.ts";
import { linearForward, type LinearOp } from "./linear.ts";
import { type LrpRule, RULE_DEFAULTS, type RuleParams, type RuleSpec } from "./rules.ts";
import { activationOf, checkSupported, type MaxPoolMode, propagateThroughStep } from "./_steps.ts";

/** Where the relevance starts (see the module doc). */
export type RelevanceStart = "score" | "contrastive";

/** The rule choice and parameters shared by {@link propagateRelevance} and `lrp`. */
export interface RuleOptions {
  /** A preset name (`COMPOSITES`) or a composite object. Default: "epsilon". */
  composite?: CompositeSpec;
  /** Rules for named layers, overriding the composite. Default: none. */
  rules?: Readonly<Record<string, RuleSpec>>;
  /** Rule of the linear layers reading the pixels (e.g. "zB"). Default: the composite's. */
  inputRule?: RuleSpec;
  /** ε of the ε rule, and of pooling and merge splits. Default: 1e-6. */
  epsilon?: number;
  /** γ of the γ rule. Default: 0.25. */
  gamma?: number;
  /** α of the α–β rule. Default: 2. */
  alpha?: number;
  /** β of the α–β rule. Default: 1. */
  beta?: number;
  /** Pixel bounds [low, high] of the z^B rule. Default: [0, 1]. */
  bounds?: readonly [number, number];
  /** Stabiliser of the rules other than ε and LRP-0. Default: 1e-6. */
  stabilizer?: number;
  /** Max pooling: "winner" takes all (default) or "average" (as an average pool). */
  maxPool?: MaxPoolMode;
  /** "score" (default): R = the target's logit; "contrastive": −1/C everywhere, 1 at the target. */
  start?: RelevanceStart;
}

/** Options of {@link propagateRelevance}. */
export interface PropagateOptions extends RuleOptions {
  /** What to explain (class or neuron). Default: each image's top-1 class logit. */
  target?: Target;
  /**
   * Stop once the relevance at this layer's output is known (the input
   * relevance is then not computed). Default: propagate down to the input.
   */
  stopAt?: string;
  /**
   * Layers whose output relevance (and activation) to return. A layer
   * whose BatchNorm was folded into it gets the relevance of the
   * layer + BatchNorm unit (that at the BatchNorm's output). Default: none
   * (plus `stopAt`).
   */
  keep?: readonly string[];
  /**
   * Layers at which to also return ∂score/∂activation, from the same forward
   * pass (used by the shallow-layer relevance CAM). Default: none.
   */
  gradientsAt?: readonly string[];
  /**
   * The images are known to be ≥ 0 (e.g. pixels in [0, 1]), so z⁺ and α–β
   * may skip their negative-input terms at the layers reading them: half
   * the convolutions there, same result. Default: false (`lrp` checks the
   * images' minimum and sets it).
   */
  inputNonNegative?: boolean;
}

/** Relevance and what it explains; every tensor belongs to the caller. */
export interface RelevanceResult {
  /** Relevance of each input pixel [N, H, W, C]; null when stopped at `stopAt`. */
  input: tf.Tensor4D | null;
  /** Relevance at the output of each of `keep` and `stopAt`. */
  layers: Record<string, tf.Tensor>;
  /** Activations (outputs) of each of `keep` and `stopAt`. */
  activations: Record<string, tf.Tensor>;
  /** ∂score/∂activation for each of `gradientsAt`. */
  gradients: Record<string, tf.Tensor>;
  /** The target's score per image (logit, or the neuron's activation). */
  scores: tf.Tensor1D;
  /** The explained class per image (int32), -1 for neuron targets. */
  classes: tf.Tensor1D;
  /** Σ start relevance per image: the logit with `start: "score"`, 1/C when contrastive. */
  explained: tf.Tensor1D;
}

/**
 * Runs LRP on one batch (Bach et al. 2015; layer-wise conservation Σ_i R_i^(l) = Σ_j R_j^(l+1)),
 * with the rules of a composite, after folding BatchNorms.
 *
 * @param net the network
 * @param images one batch [N, H, W, C] (not disposed; sent through at once)
 * @param options see {@link PropagateOptions}
 * @returns relevances, activations, scores and classes (dispose with
 *   {@link disposeRelevance})
 * @throws {RangeError} for an unknown layer, or one that does not feed the
 *   explained output; {@link TypeError} for a loss or probability target, a
 *   contrastive start without a class target, an unknown rule or composite,
 *   or a layer LRP cannot cross (naming it and its class)
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { disposeRelevance, propagateRelevance } from "./propagate.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv",
 *     activation: "relu", useBias: false }),
 *   tfl.layers.flatten({ name: "flat" }),
 *   tfl.layers.dense({ units: 2, name: "out", useBias: false }),
 * ] }));
 * const x = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1);
 * const r = propagateRelevance(net, x, { epsilon: 1e-9, keep: ["conv"] });
 * const total = await tf.sum(r.input!, [1, 2, 3]).data();
 * const logit = await r.explained.data();
 * // No biases and ε → 0: the input relevance adds up to the explained logit.
 * if (Math.abs(total[0]! - logit[0]!) > 1e-4 * Math.max(1, Math.abs(logit[0]!))) {
 *   throw new Error(`${total[0]} vs ${logit[0]}`);
 * }
 * disposeRelevance(r);
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export function propagateRelevance(
  net: Net,
  images: tf.Tensor,
  options: PropagateOptions = {},
): RelevanceResult {
  checkImageBatch(net, images);
  const target: Target = options.target ?? { kind: "class" };
  checkLrpTarget(net, target, images.shape[0]!);
  const start = options.start ?? "score";
  if (start !== "score" && start !== "contrastive") {
    throw new RangeError(`LRP start "${start}" is unknown; expected "score" or "contrastive"`);
  }
  if (start === "contrastive" && target.kind !== "class") {
    throw new TypeError(`A contrastive start needs a class target; got a ${target.kind} target`);
  }
  const maxPool = options.maxPool ?? "winner";
  if (maxPool !== "winner" && maxPool !== "average") {
    throw new RangeError(`maxPool "${maxPool}" is unknown; expected "winner" or "average"`);
  }
  const composite = getComposite(options.composite ?? "epsilon");
  const params = ruleParams(options);

  const { graph } = net;
  const startName = target.kind === "neuron" ? target.layer : net.head.logitsStep;
  if (!graph.byName.has(startName)) {
    throw new TypeError(`${net.name} has no logits layer to start LRP from`);
  }
  const upstream = ancestorsOf(graph, startName);
  const plan = graph.steps.filter((s) => upstream.has(s.name));
  const index = new Map(plan.map((s, i) => [s.name, i]));
  const gradientsAt = [...new Set(options.gradientsAt ?? [])];
  const keep = [...new Set([...(options.keep ?? []), ...(options.stopAt ? [options.stopAt] : [])])];
  for (const name of [...keep, ...gradientsAt]) {
    getLayer(net, name);
    if (!index.has(name)) {
      throw new RangeError(
        `Layer "${name}" does not feed "${startName}", the layer LRP starts from in ${net.name}`,
      );
    }
  }
  const lowest = options.stopAt === undefined ? -1 : Math.min(...keep.map((n) => index.get(n)!));
  const walk = plan.slice(lowest + 1).reverse();
  for (const step of walk) checkSupported(step);
  const nonNegative = nonNegativeSlots(net);
  const inputSlot = graph.inputSlots[0]!;
  if (options.inputNonNegative === true) nonNegative.add(inputSlot);

  // tidy walks nested records and skips null, so the whole result is kept.
  return tf.tidy(() => {
    const canonical = canonize(net, { steps: plan });
    const rules = assignRules(net, canonical, {
      composite,
      ...(options.rules ? { rules: options.rules } : {}),
      ...(options.inputRule ? { inputRule: options.inputRule } : {}),
      params,
    });
    const fwd = forward(net, images, target, plan, gradientsAt);
    try {
      const r0 = startRelevance(net, target, start, fwd.logits, fwd.classes, fwd.captured);
      const values = new Map<number, tf.Tensor>([[inputSlot, images]]);
      for (const step of plan) values.set(step.outputs[0]!, fwd.captured[step.name]!);
      const relevance = new Map([[graph.byName.get(startName)!.outputs[0]!, r0]]);
      for (const step of walk) {
        const r = relevance.get(step.outputs[0]!);
        if (!r) continue; // nothing of the explained output flows through this step
        const ins = step.inputs.map((s) => values.get(s)!);
        const ops = canonical.linear.get(step.name);
        const rIns = ops
          ? [
            linearRelevance(
              ops,
              rules.get(step.name)!,
              ins[0]!,
              r,
              nonNegative.has(step.inputs[0]!),
            ),
          ]
          : propagateThroughStep(step, ins, values.get(step.outputs[0]!)!, r, {
            epsilon: params.epsilon,
            maxPool,
          });
        step.inputs.forEach((s, i) => {
          const prev = relevance.get(s);
          relevance.set(s, prev ? tf.add(prev, rIns[i]!) : rIns[i]!);
        });
      }

      // Returned tensors must be distinct and never the caller's input:
      // pass-through steps hand the same tensor to several slots.
      const seen = new Set<tf.Tensor>([images]);
      const own = <T extends tf.Tensor>(t: T): T => {
        if (seen.has(t)) return tf.clone(t);
        seen.add(t);
        return t;
      };
      const result: RelevanceResult = {
        input: options.stopAt === undefined
          ? own((relevance.get(inputSlot) ?? tf.zerosLike(images)) as tf.Tensor4D)
          : null,
        layers: {},
        activations: {},
        gradients: {},
        scores: own(fwd.scores),
        classes: own(fwd.classes),
        explained: tf.sum(r0, r0.shape.slice(1).map((_, i) => i + 1)) as tf.Tensor1D,
      };
      for (const name of keep) {
        const a = fwd.captured[name]!;
        result.layers[name] = own(
          relevance.get(graph.byName.get(name)!.outputs[0]!) ?? tf.zerosLike(a),
        );
        result.activations[name] = own(a);
      }
      for (const name of gradientsAt) result.gradients[name] = own(fwd.gradients[name]!);
      for (const t of fwd.escaped) if (!seen.has(t)) t.dispose();
      return result as unknown as tf.TensorContainer;
    } catch (e) {
      tf.dispose(fwd.escaped);
      throw e;
    }
  }) as unknown as RelevanceResult;
}

/** What one forward pass gives the backward walk. */
interface Forward {
  logits: tf.Tensor;
  captured: Record<string, tf.Tensor>;
  scores: tf.Tensor1D;
  classes: tf.Tensor1D;
  gradients: Record<string, tf.Tensor>;
  /**
   * Tensors that `targetGradients` `tf.keep`s (no tidy frees them): the
   * caller disposes those it does not return.
   */
  escaped: tf.Tensor[];
}

/** Captures every planned step (and the gradients at `gradientsAt`) in one pass. */
function forward(
  net: Net,
  images: tf.Tensor,
  target: Target,
  plan: readonly Step[],
  gradientsAt: readonly string[],
): Forward {
  const capture = plan.map((s) => s.name);
  if (gradientsAt.length > 0) {
    const g = targetGradients(net, images, target, {
      wrtInput: false,
      wrtLayers: gradientsAt,
      capture,
    });
    return {
      logits: g.logits,
      captured: g.activations,
      scores: g.scores,
      classes: g.classes,
      gradients: g.layerGrads,
      escaped: [
        g.logits,
        g.scores,
        g.classes,
        ...Object.values(g.activations),
        ...Object.values(g.layerGrads),
      ],
    };
  }
  const r = runNet(net, images, { capture, output: "logits" });
  const { scores, classes } = scoreOf(net, target, r.output, r.captured);
  return { logits: r.output, captured: r.captured, scores, classes, gradients: {}, escaped: [] };
}

/**
 * Disposes every tensor of a {@link RelevanceResult}.
 *
 * @param r the result of {@link propagateRelevance}
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { disposeRelevance, propagateRelevance } from "./propagate.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [2, 2, 1] }),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const x = tf.ones([1, 2, 2, 1]);
 * const before = tf.memory().numTensors;
 * disposeRelevance(propagateRelevance(net, x, { keep: [net.layers[0]!.name] }));
 * if (tf.memory().numTensors !== before) throw new Error("leak");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export function disposeRelevance(r: RelevanceResult): void {
  tf.dispose([
    ...Object.values(r.layers),
    ...Object.values(r.activations),
    ...Object.values(r.gradients),
    r.scores,
    r.classes,
    r.explained,
  ]);
  r.input?.dispose();
}

/** Rule parameters from the options, defaults filled in. */
function ruleParams(options: RuleOptions): RuleParams {
  const [low, high] = options.bounds ?? [RULE_DEFAULTS.low, RULE_DEFAULTS.high];
  return {
    epsilon: options.epsilon ?? RULE_DEFAULTS.epsilon,
    gamma: options.gamma ?? RULE_DEFAULTS.gamma,
    alpha: options.alpha ?? RULE_DEFAULTS.alpha,
    beta: options.beta ?? RULE_DEFAULTS.beta,
    low,
    high,
    stabilizer: options.stabilizer ?? RULE_DEFAULTS.stabilizer,
  };
}

function checkLrpTarget(net: Net, target: Target, n: number): void {
  if (target.kind === "loss") {
    throw new TypeError(
      "LRP explains a class logit or a neuron; a loss target has no relevance to propagate",
    );
  }
  if (target.kind === "class" && target.space === "probability") {
    throw new TypeError(
      'LRP starts from the logits (the head\'s softmax is skipped); use space "logit"',
    );
  }
  checkTarget(net, target, n);
}

function startRelevance(
  net: Net,
  target: Target,
  start: RelevanceStart,
  logits: tf.Tensor,
  classes: tf.Tensor1D,
  captured: Record<string, tf.Tensor>,
): tf.Tensor {
  if (target.kind === "class") {
    const c = net.numClasses;
    const pick = tf.cast(tf.oneHot(classes, c), "float32");
    if (start === "contrastive") return tf.sub(tf.mul(pick, 1 + 1 / c), 1 / c);
    return tf.mul(pick, logits);
  }
  const layer = (target as { layer: string }).layer;
  const a = captured[layer]!;
  // A ⊙ ∂score/∂A: the part of the activation that makes up the score.
  const g = tf.grad((x: tf.Tensor) =>
    tf.sum(scoreOf(net, target, logits, { ...captured, [layer]: x }).scores)
  )(a);
  return tf.mul(a, g);
}

/** Chains the rules through the ops of one step (SeparableConv2D has two). */
function linearRelevance(
  ops: readonly LinearOp[],
  rules: readonly LrpRule[],
  a: tf.Tensor,
  r: tf.Tensor,
  nonNegative: boolean,
): tf.Tensor {
  const xs = [a];
  for (let i = 0; i < ops.length - 1; i++) xs.push(linearForward(ops[i]!, xs[i]!));
  let rel = r;
  for (let i = ops.length - 1; i >= 0; i--) {
    rel = rules[i]!.propagate(ops[i]!, xs[i]!, rel, { nonNegative: i === 0 && nonNegative });
  }
  return rel;
}

const NON_NEGATIVE_ACTIVATIONS = new Set(["relu", "relu6", "sigmoid", "softmax", "softplus"]);
const KEEPS_SIGN = new Set([
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalMaxPooling2D",
  "GlobalAveragePooling2D",
  "Flatten",
  "Reshape",
  "Permute",
  "ZeroPadding2D",
  "Cropping2D",
  "Dropout",
  "SpatialDropout2D",
  "NestedModel",
  "Concatenate",
  "Add",
  "Average",
]);

/**
 * Slots known to hold values ≥ 0 from the architecture alone (outputs of
 * ReLU-like activations, and what only pools, reshapes or sums them), so
 * z⁺ and α–β can skip their negative-input terms. The pixels are not
 * assumed non-negative (`inputNonNegative` says so when they are).
 */
function nonNegativeSlots(net: Net): Set<number> {
  const found = new Set<number>();
  for (const step of net.graph.steps as readonly Step[]) {
    const act = activationOf(step);
    const yes = step.className === "ReLU" || NON_NEGATIVE_ACTIVATIONS.has(act) ||
      (KEEPS_SIGN.has(step.className) && step.inputs.every((s) => found.has(s)));
    if (yes) { for (const s of step.outputs) found.add(s); }
  }
  return found;
}
