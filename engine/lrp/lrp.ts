/**
 * LRP heatmaps (Bach et al. 2015, "On Pixel-Wise Explanations for Non-Linear
 * Classifier Decisions by Layer-Wise Relevance Propagation"; rules and
 * composites after Montavon et al. 2019): input relevance summed over colour
 * channels, as a `MapResult`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { Net } from "../net/net.ts";
import { getComposite } from "./composites.ts";
import { disposeRelevance, propagateRelevance, type RuleOptions } from "./propagate.ts";

/** Options of {@link lrp}: the map options plus the rule choice. */
export interface LrpOptions extends MapOptions, RuleOptions {}

/**
 * LRP maps of a set of images (Bach et al. 2015; Montavon et al. 2019
 * §10.2–10.3 for the rules): relevance propagated from the explained logit down to
 * the pixels, summed over channels.
 *
 * @param net the network
 * @param images the images (tensor or `{ images, shape }`); not modified
 * @param options {@link MapOptions} (target, batchSize = 32, normalize =
 *   true, seed: unused) and {@link RuleOptions} (composite = "epsilon",
 *   rules, inputRule, epsilon = 1e-6, gamma = 0.25, alpha = 2, beta = 1,
 *   bounds = [0, 1], stabilizer = 1e-6, maxPool = "winner", start = "score")
 * @returns method `lrp-<composite>`; `raw` = input relevance summed over
 *   channels [N, H, W]; `extras.relevanceSum` = Σ input relevance per image and
 *   `extras.explainedScore` = Σ start relevance per image (the logit), whose
 *   difference is what biases and stabilisers absorbed
 * @throws {RangeError} for a bad batch size or image shape; see
 *   `propagateRelevance` for target, rule and layer errors
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { lrp } from "./lrp.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 3 }),
 * ] }));
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const m = await lrp(net, x, { composite: "epsilonPlus" });
 * if (m.method !== "lrp-epsilonPlus" || m.shape.join() !== "2,6,6") throw new Error("unexpected");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export async function lrp(
  net: Net,
  images: ImagesInput,
  options: LrpOptions = {},
): Promise<MapResult> {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize is ${batchSize}; expected a positive integer`);
  }
  const composite = getComposite(options.composite ?? "epsilon");
  const x = await toImageTensor(net, images);
  const parts: tf.Tensor[][] = [[], [], [], [], []];
  try {
    const n = x.shape[0];
    if (n === 0) throw new RangeError("lrp needs at least one image; got an empty batch");
    // Non-negative pixels halve the z⁺ / α–β work at the first layer.
    const low = tf.min(x);
    const inputNonNegative = (await low.data())[0]! >= 0;
    low.dispose();
    for (let i = 0; i < n; i += batchSize) {
      const size = Math.min(batchSize, n - i);
      const chunk = tf.slice(x, [i, 0, 0, 0], [size, -1, -1, -1]);
      try {
        const r = propagateRelevance(net, chunk, { ...options, composite, inputNonNegative });
        try {
          const input = r.input!;
          parts[0]!.push(tf.sum(input, 3));
          parts[1]!.push(tf.sum(input, [1, 2, 3]));
          parts[2]!.push(tf.clone(r.explained));
          parts[3]!.push(tf.clone(r.classes));
          parts[4]!.push(tf.clone(r.scores));
        } finally {
          disposeRelevance(r);
        }
      } finally {
        chunk.dispose();
      }
    }
    const [raw, sums, explained, classes, scores] = parts.map((p) => tf.concat(p));
    try {
      const [s, e, c, sc] = await Promise.all([
        sums!.data(),
        explained!.data(),
        classes!.data(),
        scores!.data(),
      ]);
      return await finishMaps(raw!, [net.inputShape[0], net.inputShape[1]], {
        method: `lrp-${composite.name}`,
        layer: null,
        normalize: options.normalize ?? true,
        classes: Int32Array.from(c),
        scores: Float32Array.from(sc),
        extras: {
          relevanceSum: Float32Array.from(s),
          explainedScore: Float32Array.from(e),
        },
      });
    } finally {
      tf.dispose([raw!, sums!, explained!, classes!, scores!]);
    }
  } finally {
    x.dispose();
    tf.dispose(parts.flat());
  }
}
