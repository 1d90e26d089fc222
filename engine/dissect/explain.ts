/**
 * Explaining a prediction with labelled units, for networks that end in global
 * average pooling and a dense layer (Bau et al. 2017, §4.4 / Zhou et al. 2018
 * "Interpreting Deep Visual Representations via Network Dissection", Fig. 12;
 * METHODS.md §6): the logit of class c is z_c = Σ_k w_k^c · mean(A_k(x)) + b_c,
 * so each unit contributes w_k^c · mean(A_k(x)); the top contributors are shown
 * with their dissection labels and (upsampled) activation maps.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import { runNet } from "../net/executor.ts";
import { convLayers, getLayer, type Net } from "../net/net.ts";
import type { DissectionResult } from "./dissect.ts";

/** Options of {@link explainWithUnits}. */
export interface ExplainOptions {
  /** The conv layer feeding global average pooling. Default: the last conv layer. */
  layer?: string;
  /** Class explained, per batch or per image. Default: each image's top-1 class. */
  classIndex?: number | readonly number[];
  /** Number of units returned per image. Default 5. */
  top?: number;
  /** A dissection of `layer` whose labels are attached. Default: none (no labels). */
  dissection?: DissectionResult;
}

/** One contributing unit. */
export interface UnitContribution {
  unit: number;
  /** w_k^c · mean(A_k(x)). */
  contribution: number;
  /** mean(A_k(x)). */
  meanActivation: number;
  /** w_k^c. */
  weight: number;
  /** Dissection label, IoU and category (null without a dissection). */
  concept: string | null;
  category: string | null;
  iou: number | null;
  /** The unit's activation map upsampled to the input size (bilinear, half-pixel), [H·W] row-major. */
  map: Float32Array;
}

/** The explanation of one image's prediction. */
export interface UnitExplanation {
  /** The explained class. */
  classIndex: number;
  /** Its logit z_c. */
  logit: number;
  /** The dense bias b_c (so logit = Σ contributions + bias). */
  bias: number;
  /** Every unit's contribution, [K]. */
  contributions: Float32Array;
  /** The top units, largest contribution first. */
  units: UnitContribution[];
}

/**
 * Explains predictions by the units of the last conv layer of a GAP network
 * (module doc): contributions w_k^c · mean(A_k(x)) in one batched forward pass.
 *
 * @param net a network with `layer → GlobalAveragePooling2D → Dense` (Dropout allowed between)
 * @param images a batch of images (not disposed)
 * @param options see {@link ExplainOptions}
 * @returns one explanation per image
 * @throws {TypeError} when the layer is not followed by GAP and a dense layer
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { explainWithUnits } from "./explain.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: "c",
 *     weights: [tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([0, 1])] }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 1, weights: [tf.tensor2d([2, 3], [2, 1]), tf.tensor1d([0.5])] }) ] });
 * const x = tf.fill([1, 4, 4, 1], 0.25);
 * const [e] = await explainWithUnits(wrapModel(model), x, { top: 2 });
 * x.dispose(); model.dispose();
 * // unit 0: 2·0.25 = 0.5; unit 1: 3·0.75 = 2.25; logit = 0.5 + 2.25 + 0.5.
 * if (e!.units[0]!.unit !== 1 || Math.abs(e!.logit - 3.25) > 1e-6) throw new Error("bad");
 * ```
 */
export async function explainWithUnits(
  net: Net,
  images: ImagesInput,
  options: ExplainOptions = {},
): Promise<UnitExplanation[]> {
  const layer = options.layer ?? convLayers(net).at(-1)?.name;
  if (layer === undefined) throw new TypeError(`${net.name} has no conv layer to explain with`);
  const info = getLayer(net, layer);
  const dense = denseAfterGap(net, layer);
  const [kernel, biasT] = dense.getWeights();
  const k = info.units;
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) {
    throw new RangeError(`top must be a positive integer, got ${top}`);
  }
  const dissected = options.dissection?.layers.find((l) => l.layer === layer);
  if (options.dissection && !dissected) {
    throw new RangeError(
      `the dissection has no layer ${layer}; it has ${
        options.dissection.layers.map((l) => l.layer).join(", ")
      }`,
    );
  }
  const x = await toImageTensor(net, images);
  const [n, hh, ww] = x.shape as number[];
  let out: tf.Tensor[];
  try {
    out = tf.tidy(() => {
      const { output, captured } = runNet(net, x, { capture: [layer] });
      const a = captured[layer]!;
      const up = tf.image.resizeBilinear(a as tf.Tensor4D, [hh!, ww!], false, true);
      return [output, tf.mean(a, [1, 2]), up];
    });
  } finally {
    x.dispose();
  }
  let logits: Float32Array,
    means: Float32Array,
    maps: Float32Array,
    w: Float32Array,
    b: Float32Array;
  try {
    [logits, means, maps, w, b] = (await Promise.all([
      ...out.map((t) => t.data()),
      kernel!.data(),
      biasT ? biasT.data() : Promise.resolve(new Float32Array(0)),
    ])) as Float32Array[] as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  } finally {
    tf.dispose(out);
  }
  const classes = logits.length / n!;
  const px = hh! * ww!;
  const wanted = options.classIndex;
  return Array.from({ length: n! }, (_, i) => {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let c = typeof wanted === "number" ? wanted : wanted?.[i];
    if (c === undefined) c = row.indexOf(Math.max(...row));
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(`class index ${c} for image ${i} is outside [0, ${classes})`);
    }
    const contributions = new Float32Array(k);
    for (let u = 0; u < k; u++) contributions[u] = w[u * classes + c]! * means[i * k + u]!;
    const order = Array.from(contributions.keys()).sort((p, q) =>
      contributions[q]! - contributions[p]!
    );
    const cols = options.dissection?.concepts.length ?? 0;
    return {
      classIndex: c,
      logit: row[c]!,
      bias: b[c] ?? 0,
      contributions,
      units: order.slice(0, top).map((u) => {
        const label = dissected?.labels[u];
        const map = new Float32Array(px);
        for (let p = 0; p < px; p++) map[p] = maps[(i * px + p) * k + u]!;
        return {
          unit: u,
          contribution: contributions[u]!,
          meanActivation: means[i * k + u]!,
          weight: w[u * classes + c]!,
          concept: label?.concept ?? null,
          category: label?.category ?? null,
          iou: label && cols > 0 ? label.iou : null,
          map,
        };
      }),
    };
  });
}

/** The Dense layer reached from `layer` through GlobalAveragePooling2D (and Dropout). */
function denseAfterGap(net: Net, layer: string) {
  const steps = net.graph.steps;
  const consumerOf = (name: string) => {
    const outs = net.graph.byName.get(name)!.outputs;
    const users = steps.filter((s) => s.inputs.some((i) => outs.includes(i)));
    return users.length === 1 ? users[0]! : null;
  };
  const fail = (why: string) =>
    new TypeError(
      `explainWithUnits needs ${layer} → GlobalAveragePooling2D → Dense; ${why}`,
    );
  let step = consumerOf(layer);
  if (!step || step.className !== "GlobalAveragePooling2D") {
    throw fail(
      `${layer} feeds ${step ? step.className + " " + step.name : "several layers or none"}`,
    );
  }
  step = consumerOf(step.name);
  while (step && step.className === "Dropout") step = consumerOf(step.name);
  if (!step || step.className !== "Dense" || !step.layer) {
    throw fail(
      `the pooling feeds ${step ? step.className + " " + step.name : "several layers or none"}`,
    );
  }
  return step.layer;
}
