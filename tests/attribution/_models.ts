/**
 * Hand-weighted models with hand-worked attributions (Captum's habit):
 * every expected value in the attribution tests follows from the weights
 * written here.
 *
 * @module
 */
import { tf, tfl } from "../../engine/deps.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import type { AttributionName, AttributionOptions } from "../../engine/attribution/mod.ts";

/** Weights of class 0 and class 1 of {@link linearNet}, in NHWC flatten order (i, j, c). */
export const W0 = [1, -2, 3, 0.5, -1, 2, 0, 4];
export const W1 = [0.5, 0.5, -1, 1, 2, -3, 1, 0];
export const BIAS = [0.3, -0.2];

/** y_k = Σ W_k · x + b_k on a 2×2×2 input: two classes, linear head. */
export function linearNet(): Net {
  const model = tfl.sequential({
    name: "linear",
    layers: [
      tfl.layers.flatten({ inputShape: [2, 2, 2], name: "flat" }),
      tfl.layers.dense({ units: 2, name: "logits" }),
    ],
  });
  const kernel = W0.flatMap((w0, i) => [w0, W1[i]!]);
  model.getLayer("logits").setWeights([tf.tensor2d(kernel, [8, 2]), tf.tensor1d(BIAS)]);
  return wrapModel(model);
}

/** y = Σ x + b over a 3×3×1 input with two classes (weights +1 and −1). */
export function sumNet(): Net {
  const model = tfl.sequential({
    name: "sum",
    layers: [
      tfl.layers.flatten({ inputShape: [3, 3, 1], name: "flat" }),
      tfl.layers.dense({ units: 2, name: "logits" }),
    ],
  });
  const kernel = new Array(9).fill(0).flatMap(() => [1, -1]);
  model.getLayer("logits").setWeights([tf.tensor2d(kernel, [9, 2]), tf.tensor1d([0.7, 0])]);
  return wrapModel(model);
}

/**
 * On a 1×2×1 input x = [x1, x2]: hidden ReLUs of x1 − x2, x2 − x1, x1 + x2
 * and y0 = 2·h1 − h2 + h3 (class 0; class 1 is a constant 0, since
 * `scoreOf` needs at least two classes).
 */
export function reluNet(): Net {
  const model = tfl.sequential({
    name: "relu_net",
    layers: [
      tfl.layers.flatten({ inputShape: [1, 2, 1], name: "flat" }),
      tfl.layers.dense({ units: 3, activation: "relu", name: "hidden" }),
      tfl.layers.dense({ units: 2, name: "out" }),
    ],
  });
  model.getLayer("hidden").setWeights([
    tf.tensor2d([[1, -1, 1], [-1, 1, 1]]),
    tf.zeros([3]),
  ]);
  model.getLayer("out").setWeights([tf.tensor2d([[2, 0], [-1, 0], [1, 0]]), tf.zeros([2])]);
  return wrapModel(model);
}

/** Kernel of the 1×1 conv of {@link convNet}: K[c][u], input channel c to unit u. */
export const K = [[1, -2], [0.5, 3]];

/**
 * A 1×1 conv (2 → 2 units, linear, bias [0.1, −0.4]) on a 3×3×2 input, then
 * global average pooling and a dense head. The neuron (conv, u) with the
 * mean reduction scores mean_ij(Σ_c K[c][u]·x_ijc) + b_u, so its gradient is
 * K[c][u] / 9 at every pixel.
 */
export function convNet(): Net {
  const model = tfl.sequential({
    name: "conv_net",
    layers: [
      tfl.layers.conv2d({ inputShape: [3, 3, 2], filters: 2, kernelSize: 1, name: "conv" }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({ units: 3, name: "out" }),
    ],
  });
  model.getLayer("conv").setWeights([
    tf.tensor4d(K.flat(), [1, 1, 2, 2]),
    tf.tensor1d([0.1, -0.4]),
  ]);
  model.getLayer("out").setWeights([
    tf.tensor2d([[1, 0, -1], [0.5, 1, 2]]),
    tf.zeros([3]),
  ]);
  return wrapModel(model);
}

/**
 * f(x) = relu(x − 0.5) (class 0; class 1 is a constant −1) on a 1×1×1 input:
 * one kink on the IG path from 0 to 1.
 */
export function kinkNet(): Net {
  const model = tfl.sequential({
    name: "kink",
    layers: [
      tfl.layers.flatten({ inputShape: [1, 1, 1], name: "flat" }),
      tfl.layers.dense({ units: 1, activation: "relu", name: "hidden" }),
      tfl.layers.dense({ units: 2, name: "out" }),
    ],
  });
  model.getLayer("hidden").setWeights([tf.tensor2d([[1]]), tf.tensor1d([-0.5])]);
  model.getLayer("out").setWeights([tf.tensor2d([[1, 0]]), tf.tensor1d([0, -1])]);
  return wrapModel(model);
}

/** Σ_i a_i · b_i. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Asserts |actual − expected| ≤ tol element-wise, with the first bad index in the message. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      throw new Error(
        `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (±${tol}); all: [${
          Array.from(actual).map((v) => +v.toFixed(6)).join(", ")
        }]`,
      );
    }
  }
}

/** Small settings per attribution method, so that tables over every method run in seconds. */
export function smallOptions(name: AttributionName, background: tf.Tensor): AttributionOptions {
  switch (name) {
    case "smoothGrad":
      return { n: 3, seed: 5 };
    case "integratedGradients":
      return { steps: 3 };
    case "expectedGradients":
      return { background, n: 3, seed: 5 };
    case "occlusion":
      return { patch: 4, stride: 4 };
    default:
      return {};
  }
}
