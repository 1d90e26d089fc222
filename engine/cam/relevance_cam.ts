/**
 * Relevance-CAM (Lee et al. 2021, "Relevance-CAM: Your Model Already Knows
 * Where to Look", CVPR 2021): LRP with the z⁺ rule and the contrastive
 * start (R = −1/C at every class, R_target = 1; METHODS.md §2) is run down to
 * the chosen layer; each channel's weight is the spatial mean of its
 * relevance, w_k = mean_ij R_kij, and map = Σ_k w_k A_k (the driver applies
 * the final ReLU). Because relevance, unlike a gradient, does not vanish or
 * shatter in shallow layers, the maps stay meaningful there.
 *
 * Relevance is taken at the layer's output; a BatchNorm folded into the layer
 * (see `engine/lrp/canonize.ts`) belongs to it, so R is that of the
 * conv + BN unit while A is the layer's own output.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { readRuleOptions } from "../lrp/options.ts";
import { disposeRelevance, propagateRelevance, type RuleOptions } from "../lrp/propagate.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Method-specific options of {@link relevanceCam}: any LRP rule option
 * (`RuleOptions` of `engine/lrp/propagate.ts`), with these defaults.
 */
export interface RelevanceCamOptions extends RuleOptions {
  /** The LRP composite. Default: "zPlus" (z⁺ on every layer, as in the paper). */
  composite?: NonNullable<RuleOptions["composite"]>;
  /** Start relevance. Default: "contrastive" for class targets, "score" for neuron targets. */
  start?: NonNullable<RuleOptions["start"]>;
}

/**
 * Relevance-CAM maps of one batch (Lee et al. 2021, the Relevance-CAM weights):
 * Σ_k mean_ij(R_kij) · A_k.
 *
 * @param input one validated batch, the layer, the target, and `options`:
 *   {@link RelevanceCamOptions}
 * @returns raw maps [n, h, w] before the ReLU, classes and scores (logits)
 * @throws {TypeError} for a loss or probability target, or a bad option;
 *   see `propagateRelevance` for unsupported layers
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { relevanceCam } from "./relevance_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "conv",
 *     activation: "relu" }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const images = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const out = relevanceCam({ net: wrapModel(model), layer: "conv", images,
 *   target: { kind: "class" }, seed: 0, batchSize: 32, options: {} });
 * if (out.maps.shape.join() !== "2,4,4") throw new Error("unexpected shape");
 * tf.dispose([out.maps, out.classes, out.scores, images]);
 * model.dispose();
 * ```
 */
export function relevanceCam(input: CamInput): CamOutput {
  const { net, layer, images, target } = input;
  const rules = readRuleOptions(input.options, "relevanceCam");
  const r = propagateRelevance(net, images, {
    composite: "zPlus",
    start: target.kind === "class" ? "contrastive" : "score",
    ...rules,
    target,
    stopAt: layer,
  });
  try {
    const maps = tf.tidy(() => {
      const w = tf.mean(r.layers[layer]!, [1, 2], true);
      return tf.sum(tf.mul(r.activations[layer]!, w), 3);
    }) as tf.Tensor3D;
    return { maps, classes: tf.clone(r.classes), scores: tf.clone(r.scores) };
  } finally {
    disposeRelevance(r);
  }
}
