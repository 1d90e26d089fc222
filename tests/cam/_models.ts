/**
 * Hand-weighted toy models for the CAM tests, small enough that every
 * activation, gradient and map can be worked out by hand (in the tests).
 *
 * @module
 */
import { tf, tfl } from "../../engine/deps.ts";

/**
 * "flat": input 2×2×1 → conv 1×1, 2 filters, A_0 = x, A_1 = 2x + 1 (linear)
 * → flatten (index (i·2 + j)·2 + k) → dense, 2 logits, z_1 ≡ 0 and
 *
 *   z_0 = Σ_ij G_0,ij A_0,ij + G_1,ij A_1,ij with
 *   G_0 = [[1, 2], [−1, 0]],  G_1 = [[−1, 0], [1, 2]]
 *
 * so the gradient of z_0 with respect to A is exactly G, different at every
 * position. `bias: false` drops the conv bias (A_1 = 2x, rank one).
 */
export function flatNet(options: { bias?: boolean } = {}): tfl.Sequential {
  const g0 = [1, 2, -1, 0];
  const g1 = [-1, 0, 1, 2];
  const kernel = g0.flatMap((v, p) => [[v, 0], [g1[p]!, 0]]).flat();
  return tfl.sequential({
    name: "flat_net",
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [2, 2, 1],
        filters: 2,
        kernelSize: 1,
        weights: [
          tf.tensor4d([1, 2], [1, 1, 1, 2]),
          tf.tensor1d(options.bias === false ? [0, 0] : [0, 1]),
        ],
      }),
      tfl.layers.flatten({ name: "flatten" }),
      tfl.layers.dense({
        name: "logits",
        units: 2,
        weights: [tf.tensor2d(kernel, [8, 2]), tf.tensor1d([0, 0])],
      }),
    ],
  });
}

/** The image used with {@link flatNet}: x = [[1, 0.5], [0, 0.25]]. */
export function flatImage(): tf.Tensor4D {
  return tf.tensor4d([1, 0.5, 0, 0.25], [1, 2, 2, 1]);
}

/**
 * "gap": input 4×4×1 → conv 2×2 of ones, biases [0, −1], ReLU (valid: 3×3)
 * → global average pooling → dense with W = [[1, −1], [2, 1]] (row k, column
 * class), no bias. ∂z_c/∂A_k,ij = W_kc / 9 everywhere: the original CAM.
 */
export function gapNet(): tfl.Sequential {
  return tfl.sequential({
    name: "gap_net",
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [4, 4, 1],
        filters: 2,
        kernelSize: 2,
        activation: "relu",
        weights: [tf.ones([2, 2, 1, 2]), tf.tensor1d([0, -1])],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "logits",
        units: 2,
        weights: [tf.tensor2d([1, -1, 2, 1], [2, 2]), tf.tensor1d([0, 0])],
      }),
    ],
  });
}

/**
 * The 4×4 identity image used with {@link gapNet}: A_0 = 2×2 window sums =
 * [[2, 1, 0], [1, 2, 1], [0, 1, 2]], A_1 = ReLU(A_0 − 1) = the 3×3 identity.
 */
export function gapImage(): tf.Tensor4D {
  return tf.reshape(tf.eye(4), [1, 4, 4, 1]) as tf.Tensor4D;
}
