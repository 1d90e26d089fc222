/**
 * The shared first step of the gradient-free CAMs (Score-CAM, Ablation-CAM,
 * Eigen-CAM): the layer's activations, the explained classes and the target
 * scores of one batch, from one forward pass.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { runNet } from "../net/executor.ts";
import { checkTarget, scoreOf } from "../net/targets.ts";
import type { CamInput } from "./types.ts";

/** Activations of the CAM layer plus what `CamOutput` reports; the caller owns all. */
export interface ForwardResult {
  /** A, [n, h, w, K]. */
  activations: tf.Tensor4D;
  /** Explained class per image (int32), -1 for neuron targets. */
  classes: tf.Tensor1D;
  /** Target score per image. */
  scores: tf.Tensor1D;
}

/** One forward pass capturing the CAM layer (and a neuron target's layer). */
export function forwardCam(input: CamInput): ForwardResult {
  const { net, layer, images, target } = input;
  checkTarget(net, target, images.shape[0]);
  return tf.tidy(() => {
    const capture = target.kind === "neuron" ? [layer, target.layer] : [layer];
    const r = runNet(net, images, { capture, output: "logits" });
    const s = scoreOf(net, target, r.output, r.captured);
    return {
      activations: r.captured[layer] as tf.Tensor4D,
      classes: s.classes,
      scores: s.scores,
    };
  });
}
