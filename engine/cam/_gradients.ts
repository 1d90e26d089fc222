/**
 * The shared first step of the gradient CAMs: the layer's activations A and
 * the target's gradients G = ∂y/∂A for one batch, from one forward and one
 * backward pass, combined into maps by a method-specific function.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { disposeGradients, targetGradients } from "../net/targets.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Runs one `targetGradients` pass and turns (A, G) into raw maps.
 *
 * @param input the batch, layer and target
 * @param combine (A [n,h,w,K], G [n,h,w,K]) → maps [n,h,w]; runs inside `tf.tidy`
 */
export function gradientCam(
  input: CamInput,
  combine: (a: tf.Tensor4D, g: tf.Tensor4D) => tf.Tensor,
): CamOutput {
  const { net, layer, images, target } = input;
  const g = targetGradients(net, images, target, { wrtInput: false, wrtLayers: [layer] });
  let maps: tf.Tensor3D;
  try {
    maps = tf.tidy(() =>
      combine(g.activations[layer] as tf.Tensor4D, g.layerGrads[layer] as tf.Tensor4D)
    ) as tf.Tensor3D;
  } catch (e) {
    disposeGradients(g);
    throw e;
  }
  // Classes and scores go to the caller; everything else is freed here.
  tf.dispose([g.logits, ...Object.values(g.layerGrads), ...Object.values(g.activations)]);
  return { maps, classes: g.classes, scores: g.scores };
}

/** Σ_k w_k · A_k for weights w [n, K]: the shared form of the CAM family. */
export function weightedSum(a: tf.Tensor4D, w: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, , , k] = a.shape;
    return tf.sum(tf.mul(a, tf.reshape(w, [n, 1, 1, k])), 3) as tf.Tensor3D;
  });
}
