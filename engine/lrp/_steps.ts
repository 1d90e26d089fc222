/**
 * How relevance crosses the layers that are not rule-driven linear maps
 * (METHODS.md §3 "Layer kinds"):
 *
 * - element-wise activations (ReLU, ReLU6, tanh, … as layers or fused),
 *   Dropout-like layers and the end of a nested model pass relevance
 *   through unchanged (LRP's standard treatment of activations);
 * - Flatten, Reshape, Permute, ZeroPadding2D and Cropping2D move it back to
 *   where each value came from (the gradient of the selection);
 * - max pooling sends it to the window's winner (the gradient of the max),
 *   or, with `maxPool: "average"`, treats the pool as an average;
 * - average pooling (local and global) is a linear map with positive
 *   weights: ε rule, R_in = a ⊙ ∂(pool(a)ᵀ s)/∂a with s = R / (pool(a) ± ε);
 * - Add / Average / Subtract split relevance in proportion to each input's
 *   contribution, ε-stabilised: R_i = x_i · R / (Σ_j x_j ± ε);
 * - Concatenate splits it by slicing along the concatenation axis;
 * - a folded BatchNorm passes it through (its producer carries the folded
 *   weights).
 *
 * Anything else raises a TypeError naming the layer and its class.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Step } from "../net/graph.ts";
import { stabilizedDivide } from "./rules.ts";

/** Layer classes whose step is one or two linear maps (handled by the rules). */
export const LINEAR_CLASSES: ReadonlySet<string> = new Set([
  "Dense",
  "Conv2D",
  "DepthwiseConv2D",
  "SeparableConv2D",
]);

/** The name of a step's fused activation ("linear" when it has none). */
export function activationOf(step: Step): string {
  const act = (step.layer as unknown as { activation?: { getClassName(): string } } | null)
    ?.activation;
  return act ? act.getClassName().toLowerCase() : "linear";
}

/** How max pooling passes relevance back. */
export type MaxPoolMode = "winner" | "average";

const PASS_THROUGH = new Set([
  "NestedModel",
  "InputLayer",
  "Dropout",
  "SpatialDropout1D",
  "SpatialDropout2D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "ELU",
  "PReLU",
  "ThresholdedReLU",
]);
const SELECTION = new Set(["Flatten", "Reshape", "Permute", "ZeroPadding2D", "Cropping2D"]);
const MAX_POOLS = new Set(["MaxPooling2D", "GlobalMaxPooling2D"]);
const AVG_POOLS = new Set(["AveragePooling2D", "GlobalAveragePooling2D"]);
const SUMS = new Set(["Add", "Average", "Subtract"]);

/** Every layer class LRP can propagate through. */
export const SUPPORTED_CLASSES: readonly string[] = [
  ...LINEAR_CLASSES,
  "BatchNormalization",
  ...PASS_THROUGH,
  ...SELECTION,
  ...MAX_POOLS,
  ...AVG_POOLS,
  ...SUMS,
  "Concatenate",
].filter((c) => c !== "InputLayer");

/**
 * Checks that relevance can cross a step.
 *
 * @throws {TypeError} naming the layer and its class (and what is supported)
 */
export function checkSupported(step: Step): void {
  let why = "";
  const supported = LINEAR_CLASSES.has(step.className) ||
    step.className === "BatchNormalization" || PASS_THROUGH.has(step.className) ||
    SELECTION.has(step.className) || MAX_POOLS.has(step.className) ||
    AVG_POOLS.has(step.className) || SUMS.has(step.className) ||
    step.className === "Concatenate";
  if (!supported) why = "this layer class is not supported";
  else if (step.outputs.length !== 1) why = "it has several outputs";
  else if (step.className === "Activation" && activationOf(step) === "softmax") {
    // A softmax inside the net couples all its outputs; passing relevance
    // through it unchanged would be wrong (the head's softmax is skipped).
    why = "a softmax inside the network is not element-wise";
  }
  if (why) {
    throw new TypeError(
      `LRP cannot propagate through layer "${step.name}" (${step.className}): ${why}. ` +
        `Supported layers: ${SUPPORTED_CLASSES.join(", ")}`,
    );
  }
}

/** Options of {@link propagateThroughStep}. */
export interface StepOptions {
  /** ε of pooling and merge splits. */
  epsilon: number;
  /** Max pooling mode. */
  maxPool: MaxPoolMode;
}

/**
 * Relevance at each input of a non-linear-map step (see the module doc).
 *
 * @param step the step (not a Dense/conv; a BatchNorm only when folded)
 * @param ins its input activations
 * @param out its output activation
 * @param r relevance at its output
 * @param options ε and the max pooling mode
 * @returns one relevance tensor per input (may be `r` itself for pass-through steps)
 */
export function propagateThroughStep(
  step: Step,
  ins: readonly tf.Tensor[],
  out: tf.Tensor,
  r: tf.Tensor,
  options: StepOptions,
): tf.Tensor[] {
  const cls = step.className;
  if (PASS_THROUGH.has(cls) || cls === "BatchNormalization") return [r];
  const a = ins[0]!;
  if (SELECTION.has(cls) || (MAX_POOLS.has(cls) && options.maxPool === "winner")) {
    // The gradient of a selection (or of a max) routes each output's
    // relevance to the input it was taken from: conservative and exact.
    return [tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(callLayer(step, x), r)))(a))];
  }
  if (MAX_POOLS.has(cls) || AVG_POOLS.has(cls)) {
    const pool = MAX_POOLS.has(cls) ? averageOf(step) : (x: tf.Tensor) => callLayer(step, x);
    return [tf.tidy(() => {
      const s = stabilizedDivide(r, pool(a), { epsilon: options.epsilon });
      return tf.mul(a, tf.grad((x: tf.Tensor) => tf.sum(tf.mul(pool(x), s)))(a));
    })];
  }
  if (SUMS.has(cls)) {
    return tf.tidy(() => {
      const s = stabilizedDivide(r, out, { epsilon: options.epsilon });
      const n = ins.length;
      return ins.map((x, i) => {
        if (x.shape.join() !== out.shape.join()) {
          throw new TypeError(
            `LRP through "${step.name}" (${cls}) needs inputs of the output's shape ` +
              `[${out.shape.join(", ")}]; input ${i} is [${x.shape.join(", ")}]`,
          );
        }
        const c = cls === "Average" ? tf.div(x, n) : cls === "Subtract" && i === 1 ? tf.neg(x) : x;
        return tf.mul(c, s);
      });
    });
  }
  // Concatenate: the slices of r that each input contributed.
  const rank = out.rank;
  const axisRaw = (step.layer as unknown as { axis?: number }).axis ?? -1;
  const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
  return tf.split(r, ins.map((x) => x.shape[axis]!), axis);
}

function callLayer(step: Step, x: tf.Tensor): tf.Tensor {
  const layer = step.layer as unknown as {
    call(x: tf.Tensor, kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  };
  const y = layer.call(x, { ...step.callArgs, training: false });
  return Array.isArray(y) ? y[0]! : y;
}

/** The average pooling with a max pooling layer's window, stride and padding. */
function averageOf(step: Step): (x: tf.Tensor) => tf.Tensor {
  if (step.className === "GlobalMaxPooling2D") return (x) => tf.mean(x, [1, 2]);
  const config = step.layer!.getConfig() as {
    poolSize: number | number[];
    strides?: number | number[] | null;
    padding?: "same" | "valid";
  };
  const pair = (v: number | number[]): [number, number] =>
    typeof v === "number" ? [v, v] : [v[0]!, v[1] ?? v[0]!];
  const size = pair(config.poolSize);
  const strides = config.strides == null ? size : pair(config.strides);
  return (x) => tf.avgPool(x as tf.Tensor4D, size, strides, config.padding ?? "valid");
}
