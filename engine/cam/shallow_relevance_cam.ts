/**
 * Shallow-layer relevance CAM (seed: Cheng Yan et al. 2025; the paper's body
 * was not available, so this is METHODS.md §2's **interpretation**): at
 * layer l, the inter-layer weight of channel k is its total relevance,
 * α_k = Σ_ij R^(l)_kij, the spatial mask is the LayerCAM map of the channel,
 * S_k = A^(l)_k ⊙ ReLU(∂y/∂A^(l)_k), and map = Σ_k α_k S_k (the driver
 * applies the final ReLU).
 *
 * "R^(l) from one LRP step from layer l+1 (propagated from the output)" is
 * read as: relevance is propagated from the output down through every layer
 * after l; R^(l) is what the last of those LRP steps, the one through the
 * layer(s) reading l's output (l+1), hands to l's output. That is exactly
 * `propagateRelevance(…, { stopAt: l })`. (Activations and BatchNorms
 * between l and l+1 pass relevance unchanged; a BatchNorm folded into l
 * belongs to l.) Gradients come from the same forward pass.
 *
 * Rules, by the same interpretation: those of Relevance-CAM, which this
 * method extends to shallow layers: z⁺ everywhere with the contrastive start
 * (R = −1/C at every class, R_target = 1), so α_k is class-discriminative and
 * may be negative. Any LRP rule option can be given instead.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { readRuleOptions } from "../lrp/options.ts";
import { disposeRelevance, propagateRelevance, type RuleOptions } from "../lrp/propagate.ts";
import type { CamInput, CamOutput } from "./types.ts";

/**
 * Method-specific options of {@link shallowRelevanceCam}: any LRP rule option
 * (`RuleOptions` of `engine/lrp/propagate.ts`), with these defaults.
 */
export interface ShallowRelevanceCamOptions extends RuleOptions {
  /** The LRP composite. Default: "zPlus". */
  composite?: NonNullable<RuleOptions["composite"]>;
  /** Start relevance. Default: "contrastive" for class targets, "score" for neuron targets. */
  start?: NonNullable<RuleOptions["start"]>;
}

/**
 * Shallow-layer relevance CAM maps of one batch (METHODS.md §2,
 * interpretation of Cheng Yan et al. 2025): Σ_k (Σ_ij R_kij) · A_k ⊙ ReLU(∂y/∂A_k).
 *
 * @param input one validated batch, the layer (any conv layer, the first
 *   included), the target, and `options`: {@link ShallowRelevanceCamOptions}
 * @returns raw maps [n, h, w] before the ReLU, classes and scores (logits)
 * @throws {TypeError} for a loss or probability target, or a bad option;
 *   see `propagateRelevance` for unsupported layers
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { shallowRelevanceCam } from "./shallow_relevance_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c1",
 *     activation: "relu" }),
 *   tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: "c2", activation: "relu" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const images = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const out = shallowRelevanceCam({ net: wrapModel(model), layer: "c1", images,
 *   target: { kind: "class" }, seed: 0, batchSize: 32, options: {} });
 * if (out.maps.shape.join() !== "2,4,4") throw new Error("unexpected shape");
 * tf.dispose([out.maps, out.classes, out.scores, images]);
 * model.dispose();
 * ```
 */
export function shallowRelevanceCam(input: CamInput): CamOutput {
  const { net, layer, images, target } = input;
  const rules = readRuleOptions(input.options, "shallowRelevanceCam");
  const r = propagateRelevance(net, images, {
    composite: "zPlus",
    start: target.kind === "class" ? "contrastive" : "score",
    ...rules,
    target,
    stopAt: layer,
    gradientsAt: [layer],
  });
  try {
    const maps = tf.tidy(() => {
      const alpha = tf.sum(r.layers[layer]!, [1, 2], true);
      const masks = tf.mul(r.activations[layer]!, tf.relu(r.gradients[layer]!));
      return tf.sum(tf.mul(masks, alpha), 3);
    }) as tf.Tensor3D;
    return { maps, classes: tf.clone(r.classes), scores: tf.clone(r.scores) };
  } finally {
    disposeRelevance(r);
  }
}
