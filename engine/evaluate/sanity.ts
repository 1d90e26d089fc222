/**
 * The model-parameter randomisation test of Adebayo et al. 2018 ("Sanity
 * checks for saliency maps", §3.1, cascading randomisation): the weights of
 * the top k layers are re-initialised, k = 1, 2, … from the output down, the
 * maps are recomputed and compared with the original ones. A map that stays
 * similar does not depend on what the model learned.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cascadingRandomization } from "./sanity.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2, name: "out" }),
 * ] }));
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const r = await cascadingRandomization(net, x);
 * if (!(r.steps.map((s) => s.layer).join() === "out,c1")) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { cam } from "../cam/cam.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import { runNet } from "../net/executor.ts";
import { type Net, wrapModel } from "../net/net.ts";
import type { ClassTarget } from "../net/targets.ts";
import { subSeed } from "../random.ts";
import { type MapsInput, mean, positiveInt } from "./_perturb.ts";
import { spearman, ssim } from "./similarity.ts";

/** Computes maps of `images` on `net` for the given class target. */
export type Explainer = (net: Net, images: tf.Tensor4D, target: ClassTarget) => Promise<MapsInput>;

/** Options of {@link cascadingRandomization}. */
export interface SanityOptions {
  /**
   * The map method under test. Default: Grad-CAM at the last conv layer,
   * `(net, x, target) => cam(net, x, { target, batchSize })`.
   */
  explain?: Explainer;
  /** Randomise at most this many layers (from the top). Default: every layer with weights. */
  layers?: number;
  /**
   * Spearman ρ after the last step at or above which the maps are flagged as
   * model-independent. Default: 0.5.
   */
  threshold?: number;
  /** Seed of the random weights. Default: 0. */
  seed?: number;
  /** Images per forward pass (passed to the default explainer). Default: 32. */
  batchSize?: number;
}

/** Mean similarity to the original maps after one cascade step. */
export interface SanityStep {
  /** k: how many layers are randomised. */
  step: number;
  /** The layer randomised at this step (all layers above it are too). */
  layer: string;
  /** Mean Spearman ρ over images. */
  spearman: number;
  /** Mean SSIM over images. */
  ssim: number;
  spearmanPerImage: Float32Array;
  ssimPerImage: Float32Array;
}

/** The cascade (plain data, for widgets). */
export interface SanityResult {
  /** The explained class per image (the original model's top-1, kept for every step). */
  classes: Int32Array;
  /** One entry per cascade step, top layer first. */
  steps: SanityStep[];
  /** True when ρ after the last step is still ≥ `threshold`: the maps ignore the model. */
  modelIndependent: boolean;
}

/**
 * Cascading model-parameter randomisation (Adebayo et al. 2018, §3.1): for
 * k = 1 … K, the kernels of the top k layers with weights are re-initialised
 * (Glorot uniform, seeded; biases and BatchNorm statistics are kept so
 * activations stay in range: an interpretation, the paper re-draws them with
 * the layers' initialisers), the maps recomputed for the original model's
 * top-1 classes, and compared with the original maps by Spearman ρ and SSIM
 * (window 11, σ = 1.5, on min–max normalised maps). The user's model is never
 * touched: the cascade runs on an in-memory copy.
 *
 * @param net the network (not modified)
 * @param images [N, H, W, C] in [0, 1] (not disposed)
 * @param options see {@link SanityOptions}
 * @returns mean similarities per step and a model-independence flag
 * @throws {RangeError} for a bad option or a net without weights
 * @throws {TypeError} for NaN images
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cascadingRandomization } from "./sanity.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [4, 4, 1] }),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * // The image itself as its "map": it ignores the model, so ρ stays 1.
 * const explain = async (_n: unknown, im: tf.Tensor4D) => ({
 *   values: await im.data() as Float32Array, shape: [1, 4, 4] as [number, number, number],
 * });
 * const r = await cascadingRandomization(net, x, { explain });
 * if (!(r.modelIndependent && r.steps[0]!.spearman === 1)) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export async function cascadingRandomization(
  net: Net,
  images: ImagesInput,
  options: SanityOptions = {},
): Promise<SanityResult> {
  const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
  const seed = options.seed ?? 0;
  const threshold = options.threshold ?? 0.5;
  const explain: Explainer = options.explain ??
    ((n, x, target) => cam(n, x, { target, batchSize }));
  const x = await toImageTensor(net, images);
  let copy: tfl.LayersModel | null = null;
  try {
    const n = x.shape[0];
    if (n === 0) throw new RangeError("No images given: expected at least one image");
    const classes = await topClasses(net, x, batchSize);
    const target: ClassTarget = { kind: "class", index: Array.from(classes) };
    const original = await explain(net, x, target);
    copy = await cloneModel(net.model);
    const twin = wrapModel(copy, { name: `${net.name} (randomised)`, classNames: net.classNames });
    const layers = weightedLayers(twin);
    if (layers.length === 0) throw new RangeError(`${net.name} has no layer with weights`);
    const count = options.layers === undefined
      ? layers.length
      : Math.min(positiveInt(options.layers, "layers"), layers.length);
    const steps: SanityStep[] = [];
    for (let k = 0; k < count; k++) {
      const layer = layers[k]!;
      randomise(layer, subSeed(seed, k));
      const maps = await explain(twin, x, target);
      steps.push(compare(original, maps, k + 1, layer.name));
    }
    return {
      classes,
      steps,
      modelIndependent: steps[steps.length - 1]!.spearman >= threshold,
    };
  } finally {
    x.dispose();
    copy?.dispose();
  }
}

/** Per-image Spearman and SSIM of two sets of maps [N, H, W]. */
function compare(a: MapsInput, b: MapsInput, step: number, layer: string): SanityStep {
  if (a.shape.join() !== b.shape.join()) {
    throw new RangeError(
      `Maps after randomising ${layer} have shape [${b.shape.join(", ")}]; ` +
        `the original maps [${a.shape.join(", ")}]`,
    );
  }
  const [n, h, w] = a.shape;
  const spearmanPerImage = new Float32Array(n);
  const ssimPerImage = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const va = Array.prototype.slice.call(a.values, i * h * w, (i + 1) * h * w) as number[];
    const vb = Array.prototype.slice.call(b.values, i * h * w, (i + 1) * h * w) as number[];
    spearmanPerImage[i] = spearman(va, vb);
    ssimPerImage[i] = ssim({ values: va, shape: [h, w] }, { values: vb, shape: [h, w] });
  }
  return {
    step,
    layer,
    spearman: mean(spearmanPerImage),
    ssim: mean(ssimPerImage),
    spearmanPerImage,
    ssimPerImage,
  };
}

/** The original model's top-1 class per image, in batches. */
async function topClasses(net: Net, x: tf.Tensor4D, batchSize: number): Promise<Int32Array> {
  const n = x.shape[0];
  const out = new Int32Array(n);
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    const top = tf.tidy(() => tf.argMax(runNet(net, tf.slice(x, [s], [e - s])).output, 1));
    try {
      out.set(await top.data() as Int32Array, s);
    } finally {
      top.dispose();
    }
  }
  return out;
}

/** A new model with the same topology and weights (save + load in memory). */
async function cloneModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
}

/** Layers with weights, top (output side) first, each once (a shared layer runs twice). */
function weightedLayers(net: Net): tfl.layers.Layer[] {
  const seen = new Set<tfl.layers.Layer>();
  for (const step of [...net.graph.steps].reverse()) {
    const layer = step.layer as tfl.layers.Layer | null;
    if (layer && layer.weights.length > 0) seen.add(layer);
  }
  return [...seen];
}

/** Re-draws every kernel (rank ≥ 2 weight) of a layer, Glorot uniform. */
function randomise(layer: tfl.layers.Layer, seed: number): void {
  tf.tidy(() => {
    const weights = layer.getWeights();
    layer.setWeights(weights.map((wt, j) => {
      if (wt.rank < 2) return wt;
      const s = wt.shape;
      const receptive = s.slice(0, -2).reduce((a, b) => a * b, 1);
      const limit = Math.sqrt(6 / (receptive * (s[s.length - 2]! + s[s.length - 1]!)));
      return tf.randomUniform(s, -limit, limit, "float32", subSeed(seed, j));
    }));
  });
}
