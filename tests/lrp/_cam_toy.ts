/**
 * The hand-weighted model of the relevance-CAM tests.
 *
 * x (2×2, one channel) → conv 1×1 with kernel [1, 2], ReLU: A_0 = x, A_1 = 2x
 * → global average pooling g = [mean x, 2 mean x] → dense W = [[2, 1], [1, 3]]
 * (rows: features), no biases. At x = [[1, 2], [3, 4]]: g = [2.5, 5],
 * logits = [10, 17.5], top-1 class 1.
 *
 * Contrastive start R = [−1/2, 1]; z⁺ through the dense layer (all
 * contributions positive): R_g_j = Σ_k g_j W_jk / z_k R_k
 *   R_g_0 = 5/10·(−1/2) + 2.5/17.5 = −0.25 + 1/7 = −0.107142857
 *   R_g_1 = 5/10·(−1/2) + 15/17.5 = −0.25 + 6/7 =  0.607142857;
 * the average pool spreads R_g_k over A_k in proportion: R_k = A_k / Σ A_k · R_g_k.
 *
 * @module
 */
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";

export const R_G = [-0.25 + 1 / 7, -0.25 + 6 / 7];
export const X = [1, 2, 3, 4];

/** The toy net and the image x (caller disposes both). */
export function camToy() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [2, 2, 1],
        filters: 2,
        kernelSize: 1,
        useBias: false,
        activation: "relu",
        weights: [tf.tensor4d([1, 2], [1, 1, 1, 2])],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "out",
        units: 2,
        useBias: false,
        weights: [tf.tensor2d([[2, 1], [1, 3]])],
      }),
    ],
  });
  const images = tf.tensor4d(X, [1, 2, 2, 1]);
  return { net: wrapModel(model), images, dispose: () => (images.dispose(), model.dispose()) };
}
