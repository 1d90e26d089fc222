/**
 * NeuronIM and LayerIM (METHODS.md §5): how well a neuron's feature
 * visualisation shows what actually drives it, measured as the similarity of
 * the visualisation (grey level) and the neuron's SHAP image; LayerIM
 * summarises a layer.
 *
 * @module
 */
import { quantileSorted } from "../stats/rank.ts";
import type { ImageSet } from "../data/types.ts";
import { permutation } from "../data/batching.ts";
import {
  featureVisualization,
  type FeatureViz,
  type FeatureVizOptions,
  type ResolvedFeatureVizOptions,
} from "../featureviz/feature_viz.ts";
import { convLayers, getConvLayer, type Net } from "../net/net.ts";
import {
  type ExplainAt,
  neuronActivations,
  type NeuronReduce,
  neuronShapImages,
} from "./shap_image.ts";
import {
  greyLevel,
  mapSimilarity,
  SIMILARITY_MEASURES,
  type SimilarityMeasure,
} from "./similarity.ts";

/**
 * Feature visualisations of some units of one layer, as
 * `featureVisualization` returns them (only these fields are read).
 */
export interface Visualizations {
  /** The units, in the order of the images. */
  units: ArrayLike<number>;
  /** [K, H, W, C] images in [0, 1], row-major. */
  images: Float32Array;
  /** [K, H, W, C]. */
  shape: readonly [number, number, number, number] | number[];
}

/** Feature-visualisation settings NeuronIM passes on (units, reduce, seed and progress are its own). */
export type NeuronIMFeatureVizOptions = Omit<
  FeatureVizOptions,
  "units" | "reduce" | "seed" | "onProgress"
>;

/** Options of {@link neuronIM}. */
export interface NeuronIMOptions {
  /** Conv layers to score. Default: every conv layer of the net. */
  layers?: readonly string[];
  /** Units to score per layer. Default: every unit (or those of a given visualisation). */
  units?: Readonly<Record<string, readonly number[]>>;
  /** `ssim` (default; Gaussian window 11, σ 1.5), `pearson` or `cosine`. */
  similarity?: SimilarityMeasure;
  /**
   * Where the SHAP image explains the neuron: `visualization` (default, an
   * interpretation of the paper: at its own feature visualisation) or
   * `topImages` (at its most activating images of `data`, maps averaged).
   */
  explainAt?: ExplainAt;
  /** Top-activating images per neuron with `explainAt: "topImages"`. Default: 4. */
  topImages?: number;
  /** Background images drawn (seeded, without replacement) from `data`. Default: 50. */
  backgroundSize?: number;
  /** Expected Gradients samples per explained image. Default: 50. */
  n?: number;
  /** A neuron's scalar activation: spatial `mean` (default) or `max`. */
  reduce?: NeuronReduce;
  /**
   * Precomputed feature visualisations by layer (e.g. `featureVisualization`
   * results). Layers without one are visualised here. Default: none.
   */
  visualizations?: Readonly<Record<string, Visualizations>>;
  /** Settings of the feature visualisations computed here. Default: the featureviz defaults. */
  featureViz?: NeuronIMFeatureVizOptions;
  /** Rows per forward+backward pass of the SHAP images. Default: 32. */
  batchSize?: number;
  /** Seed of the background choice, the SHAP samples and the visualisations. Default: 0. */
  seed?: number;
  /** Called with (done, total) in neuron-tasks (a visualisation or a SHAP image each). */
  onProgress?: (done: number, total: number) => void;
}

/** One neuron's NeuronIM and what it was computed from. */
export interface NeuronRecord {
  /** The unit (output channel). */
  unit: number;
  /** NeuronIM: similarity of the grey-level visualisation and the SHAP image. */
  score: number;
  /** The feature visualisation, H·W·C values in [0, 1]. */
  visualization: Float32Array;
  /** The SHAP image, H·W values in [0, 1]. */
  shap: Float32Array;
  /** The neuron's scalar activation on its visualisation. */
  activation: number;
  /** With `explainAt: "topImages"`: indices into `data` of the explained images; else null. */
  topImages: Int32Array | null;
}

/** LayerIM: the distribution of a layer's NeuronIM scores. */
export interface LayerIMStats {
  /** LayerIM proper: the mean NeuronIM. */
  mean: number;
  /** Median (linear interpolation between order statistics). */
  median: number;
  /** Population standard deviation. */
  std: number;
  /** First quartile. */
  q25: number;
  /** Third quartile. */
  q75: number;
  min: number;
  max: number;
  /** Neurons scored. */
  count: number;
}

/** NeuronIM of one layer. */
export interface LayerNeuronIM {
  layer: string;
  /** Per neuron, in the order of the units scored. */
  neurons: NeuronRecord[];
  /** The summary over the neurons. */
  layerIM: LayerIMStats;
  /** Visualisation settings used (null when the caller gave the visualisations). */
  featureViz: ResolvedFeatureVizOptions | null;
}

/** Everything needed to recompute a NeuronIM result. */
export interface NeuronIMInputs {
  seed: number;
  /** Indices into `data` of the background images. */
  backgroundIndices: Int32Array;
  /** Name and size of the data set. */
  data: { name: string; size: number };
  similarity: SimilarityMeasure;
  explainAt: ExplainAt;
  topImages: number;
  n: number;
  reduce: NeuronReduce;
  batchSize: number;
  layers: string[];
}

/** What {@link neuronIM} returns (plain data). */
export interface NeuronIMResult {
  /** The net's name. */
  net: string;
  /** [H, W, C] of the visualisations; SHAP images are [H, W]. */
  inputShape: [number, number, number];
  /** One entry per layer, in the order asked. */
  layers: LayerNeuronIM[];
  inputs: NeuronIMInputs;
}

/**
 * NeuronIM for every neuron of one or more conv layers (METHODS.md §5): each
 * neuron's feature visualisation (Olah et al. 2017; computed here unless
 * given), its SHAP image (Expected Gradients of its scalar activation,
 * explained at that visualisation by default — an interpretation, see
 * {@link neuronShapImages}), and the similarity of the two, the
 * visualisation taken as a grey-level image (mean over colour channels,
 * min–max normalised): SSIM by default (Wang et al. 2004; window 11,
 * σ = 1.5), Pearson or cosine as options. LayerIM = the mean over the
 * layer's neurons, with median and spread. The background is
 * `backgroundSize` images of `data` drawn with the seed; the same seed gives
 * the same scores.
 *
 * @param net the network
 * @param data the data set the background (and top images) come from
 * @param options see {@link NeuronIMOptions}
 * @returns per layer the neuron records and LayerIM, plus the inputs to recompute
 * @throws {TypeError} for a layer that is not a conv layer (listing them);
 *   {@link RangeError} for an unknown layer, a unit out of range, an empty
 *   data set, images that do not fit the net, a visualisation of the wrong
 *   shape or lacking a unit, or an unknown similarity
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { neuronIM } from "./neuron_im.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: "conv",
 *     activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const data = { name: "noise", images: Float32Array.from({ length: 4 * 64 }, (_, i) => (i % 7) / 7),
 *   shape: [4, 8, 8, 1] as [number, number, number, number], labels: new Int32Array(4),
 *   classNames: ["a", "b"] };
 * const im = await neuronIM(wrapModel(model), data, { n: 4, featureViz: { steps: 2 } });
 * if (!(im.layers[0]!.neurons.length === 2 && Number.isFinite(im.layers[0]!.layerIM.mean))) {
 *   throw new Error("example failed");
 * }
 * model.dispose();
 * ```
 */
export async function neuronIM(
  net: Net,
  data: ImageSet,
  options: NeuronIMOptions = {},
): Promise<NeuronIMResult> {
  const size = checkData(net, data);
  const layers = options.layers ? [...options.layers] : convLayers(net).map((l) => l.name);
  if (layers.length === 0) {
    throw new RangeError(`${net.name} has no conv layer to score; pass options.layers`);
  }
  const infos = layers.map((name) => getConvLayer(net, name));
  for (const name of Object.keys(options.units ?? {})) {
    if (!layers.includes(name)) {
      throw new RangeError(
        `units given for layer "${name}", which is not among ${layers.join(", ")}`,
      );
    }
  }
  const similarity = options.similarity ?? "ssim";
  if (!SIMILARITY_MEASURES.includes(similarity)) {
    throw new RangeError(
      `Unknown similarity "${String(similarity)}"; expected one of ${
        SIMILARITY_MEASURES.join(", ")
      }`,
    );
  }
  const explainAt = options.explainAt ?? "visualization";
  const seed = options.seed ?? 0;
  const backgroundSize = options.backgroundSize ?? 50;
  if (!Number.isInteger(backgroundSize) || backgroundSize < 1) {
    throw new RangeError(`backgroundSize is ${backgroundSize}; expected a positive integer`);
  }
  const inputs: NeuronIMInputs = {
    seed,
    backgroundIndices: permutation(size, seed).slice(0, Math.min(backgroundSize, size)),
    data: { name: data.name, size },
    similarity,
    explainAt,
    topImages: options.topImages ?? 4,
    n: options.n ?? 50,
    reduce: options.reduce ?? "mean",
    batchSize: options.batchSize ?? 32,
    layers,
  };
  const [h, w, c] = net.inputShape;
  const background = {
    images: gatherImages(data.images, inputs.backgroundIndices, h * w * c),
    shape: [inputs.backgroundIndices.length, h, w, c],
  };

  const unitsOf = infos.map((info) => {
    const asked = options.units?.[info.name];
    const given = options.visualizations?.[info.name];
    const units = asked
      ? Array.from(asked)
      : given
      ? Array.from(given.units)
      : Array.from({ length: info.units }, (_, i) => i);
    if (units.length === 0) throw new RangeError(`units.${info.name} is empty`);
    for (const u of units) {
      if (!Number.isInteger(u) || u < 0 || u >= info.units) {
        throw new RangeError(
          `Unit ${u} is out of range: layer "${info.name}" has units 0..${info.units - 1}`,
        );
      }
    }
    // Checked before any work, so a bad visualisation fails fast.
    if (given) pickVisualizations(given, units, info.name, net.inputShape);
    return units;
  });
  const total = 2 * unitsOf.reduce((a, u) => a + u.length, 0);
  let base = 0;
  const report = (done: number) => options.onProgress?.(Math.min(total, Math.round(done)), total);

  const out: LayerNeuronIM[] = [];
  for (const [li, info] of infos.entries()) {
    const units = unitsOf[li]!;
    const k = units.length;
    const given = options.visualizations?.[info.name];
    let images: Float32Array;
    let vizOptions: ResolvedFeatureVizOptions | null = null;
    if (given) {
      images = pickVisualizations(given, units, info.name, [h, w, c]);
    } else {
      const viz = await featureVisualization(net, info.name, {
        ...options.featureViz,
        units,
        reduce: inputs.reduce,
        seed,
        onProgress: (done, all) => report(base + (k * done) / all),
      });
      images = viz.images;
      vizOptions = viz.options;
    }
    base += k;
    report(base);
    const shapOptions: Parameters<typeof neuronShapImages>[2] = {
      units,
      explainAt,
      background,
      n: inputs.n,
      reduce: inputs.reduce,
      batchSize: inputs.batchSize,
      seed,
      topImages: inputs.topImages,
      onProgress: (done, all) => report(base + (k * done) / all),
    };
    if (explainAt === "visualization") shapOptions.at = { images, shape: [k, h, w, c] };
    else shapOptions.data = { images: data.images, shape: data.shape };
    const shap = await neuronShapImages(net, info.name, shapOptions);
    // The activation on the visualisation: computed by the SHAP pass when it
    // explains there, else by one forward pass over the visualisations.
    const activations = explainAt === "visualization"
      ? shap.activations
      : await neuronActivations(net, info.name, {
        at: { images, shape: [k, h, w, c] },
        units,
        reduce: inputs.reduce,
        batchSize: inputs.batchSize,
      });
    base += k;
    report(base);
    const neurons = units.map((unit, i): NeuronRecord => {
      const visualization = images.slice(i * h * w * c, (i + 1) * h * w * c);
      const map = shap.maps.slice(i * h * w, (i + 1) * h * w);
      const score = mapSimilarity(
        { values: greyLevel(visualization, [h, w, c]), shape: [h, w] },
        { values: map, shape: [h, w] },
        { measure: similarity },
      );
      const topImages = shap.topIndices
        ? shap.topIndices.slice(
          i * (shap.topIndices.length / k),
          (i + 1) * (shap.topIndices.length / k),
        )
        : null;
      return { unit, score, visualization, shap: map, activation: activations[i]!, topImages };
    });
    out.push({
      layer: info.name,
      neurons,
      layerIM: layerIMStats(neurons.map((r) => r.score)),
      featureViz: vizOptions,
    });
  }
  return { net: net.name, inputShape: [h, w, c], layers: out, inputs };
}

/**
 * LayerIM statistics of some NeuronIM scores: the mean (LayerIM, METHODS.md
 * §5), median and quartiles (linear interpolation, numpy's default), the
 * population standard deviation, min and max.
 *
 * @param scores NeuronIM scores of one layer
 * @returns the summary
 * @throws {RangeError} for no scores; {@link TypeError} for a NaN or infinite score
 * @example
 * ```ts
 * import { layerIMStats } from "./neuron_im.ts";
 * const s = layerIMStats([0.1, 0.2, 0.3, 0.4]);
 * if (Math.abs(s.mean - 0.25) > 1e-12 || Math.abs(s.q25 - 0.175) > 1e-12) {
 *   throw new Error("example failed");
 * }
 * ```
 */
export function layerIMStats(scores: ArrayLike<number>): LayerIMStats {
  const n = scores.length;
  if (n === 0) throw new RangeError("LayerIM of no scores; expected at least one neuron");
  const sorted = Float64Array.from(scores);
  for (const v of sorted) {
    if (!Number.isFinite(v)) {
      throw new TypeError(`A NeuronIM score is ${v}; expected finite scores`);
    }
  }
  sorted.sort();
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return {
    mean,
    median: quantileSorted(sorted, 0.5),
    std: Math.sqrt(variance),
    q25: quantileSorted(sorted, 0.25),
    q75: quantileSorted(sorted, 0.75),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    count: n,
  };
}

/** One row of {@link layerIM}: a layer and its LayerIM statistics. */
export interface LayerIMRow extends LayerIMStats {
  layer: string;
}

/**
 * LayerIM of every layer of a NeuronIM result, in the result's layer order
 * (METHODS.md §5: the mean NeuronIM, with median and spread).
 *
 * @param result a {@link neuronIM} result
 * @returns one row per layer
 * @example
 * ```ts
 * import { layerIM, layerIMStats, type NeuronIMResult } from "./neuron_im.ts";
 * const result = { layers: [{ layer: "conv", layerIM: layerIMStats([0.2, 0.4]) }] };
 * const rows = layerIM(result as unknown as NeuronIMResult);
 * if (!(rows[0]!.layer === "conv" && Math.abs(rows[0]!.mean - 0.3) < 1e-12)) {
 *   throw new Error("example failed");
 * }
 * ```
 */
export function layerIM(result: NeuronIMResult): LayerIMRow[] {
  return result.layers.map((l) => ({ layer: l.layer, ...l.layerIM }));
}

/** One neuron in a {@link rankByNeuronIM} ranking. */
export interface RankedNeuron {
  layer: string;
  unit: number;
  score: number;
  activation: number;
}

/**
 * Every neuron of every layer of a NeuronIM result, most interpretable
 * first (NeuronIM descending; ties keep layer order, then unit order).
 *
 * @param result a {@link neuronIM} result
 * @returns the ranking
 * @example
 * ```ts
 * import { type NeuronIMResult, rankByNeuronIM } from "./neuron_im.ts";
 * const neuron = (unit: number, score: number) => ({ unit, score, activation: 1 });
 * const result = { layers: [
 *   { layer: "a", neurons: [neuron(0, 0.1), neuron(1, 0.5)] },
 *   { layer: "b", neurons: [neuron(0, 0.3)] },
 * ] };
 * const r = rankByNeuronIM(result as unknown as NeuronIMResult);
 * if (r.map((x) => x.layer + x.unit).join() !== "a1,b0,a0") throw new Error("example failed");
 * ```
 */
export function rankByNeuronIM(result: NeuronIMResult): RankedNeuron[] {
  const all = result.layers.flatMap((l) =>
    l.neurons.map((r) => ({
      layer: l.layer,
      unit: r.unit,
      score: r.score,
      activation: r.activation,
    }))
  );
  // Array.prototype.sort is stable, so ties keep their layer and unit order.
  return all.sort((a, b) => b.score - a.score);
}

/** Validates the data set; returns its size. */
function checkData(net: Net, data: ImageSet): number {
  if (!data || !(data.images instanceof Float32Array) || !Array.isArray(data.shape)) {
    throw new TypeError("neuronIM needs a data set { images: Float32Array, shape: [N, H, W, C] }");
  }
  const [n, h, w, c] = data.shape;
  const [eh, ew, ec] = net.inputShape;
  if (data.shape.length !== 4 || h !== eh || w !== ew || c !== ec) {
    throw new RangeError(
      `Data set "${data.name}" has shape [${data.shape.join(", ")}]; ` +
        `${net.name} expects [N, ${eh}, ${ew}, ${ec}]`,
    );
  }
  if (!n) throw new RangeError(`Data set "${data.name}" holds no image; expected at least one`);
  if (data.images.length !== n * h * w * c) {
    throw new RangeError(
      `Data set "${data.name}" holds ${data.images.length} values; [${
        data.shape.join(", ")
      }] needs ${n * h * w * c}`,
    );
  }
  return n;
}

/** The images at `indices` of a row-major set, copied. */
function gatherImages(images: Float32Array, indices: Int32Array, size: number): Float32Array {
  const out = new Float32Array(indices.length * size);
  indices.forEach((i, k) => out.set(images.subarray(i * size, (i + 1) * size), k * size));
  return out;
}

/** The rows of a given visualisation for `units`, checked. */
function pickVisualizations(
  viz: Visualizations,
  units: number[],
  layer: string,
  [h, w, c]: [number, number, number],
): Float32Array {
  const s = [...viz.shape];
  const k = viz.units.length;
  if (s.length !== 4 || s[0] !== k || s[1] !== h || s[2] !== w || s[3] !== c) {
    throw new RangeError(
      `visualizations.${layer} has shape [${s.join(", ")}] for ${k} units; ` +
        `expected [${k}, ${h}, ${w}, ${c}]`,
    );
  }
  if (viz.images.length !== k * h * w * c) {
    throw new RangeError(
      `visualizations.${layer} holds ${viz.images.length} values; expected ${k * h * w * c}`,
    );
  }
  const row = new Map<number, number>();
  Array.from(viz.units).forEach((u, i) => row.set(u, i));
  const size = h * w * c;
  const out = new Float32Array(units.length * size);
  units.forEach((u, i) => {
    const r = row.get(u);
    if (r === undefined) {
      throw new RangeError(
        `visualizations.${layer} has no image of unit ${u}; it holds units ${
          Array.from(viz.units).join(", ")
        }`,
      );
    }
    out.set(viz.images.subarray(r * size, (r + 1) * size), i * size);
  });
  return out;
}

/**
 * The feature visualisations of one layer of a NeuronIM result, as
 * {@link featureVisualization} returns them (e.g. to reuse them in
 * `maximisationCheck` without optimising again).
 *
 * @param result a {@link neuronIM} result
 * @param layer one of its layers
 * @returns the visualisations, their activations and the settings used
 * @throws {RangeError} for a layer not in the result; {@link TypeError} when
 *   the result was given its visualisations (their settings are unknown)
 */
export function featureVizOf(result: NeuronIMResult, layer: string): FeatureViz {
  const entry = result.layers.find((l) => l.layer === layer);
  if (!entry) {
    throw new RangeError(
      `Layer ${layer} is not in this NeuronIM result; it has ${
        result.layers.map((l) => l.layer).join(", ")
      }`,
    );
  }
  if (!entry.featureViz) {
    throw new TypeError(
      `Layer ${layer}'s visualisations were given to neuronIM, so their settings are unknown`,
    );
  }
  const [h, w, c] = result.inputShape;
  const per = h * w * c;
  const images = new Float32Array(entry.neurons.length * per);
  entry.neurons.forEach((n, i) => images.set(n.visualization, i * per));
  return {
    layer,
    units: Int32Array.from(entry.neurons, (n) => n.unit),
    images,
    shape: [entry.neurons.length, h, w, c],
    activations: Float64Array.from(entry.neurons, (n) => n.activation),
    options: entry.featureViz,
  };
}
