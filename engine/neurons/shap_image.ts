/**
 * The SHAP image of a neuron (METHODS.md §5, an interpretation): Expected
 * Gradients of the neuron's scalar activation with respect to the input, at
 * the neuron's own feature visualisation (default) or at its top-activating
 * data-set images, |φ| summed over colour channels, min–max normalised.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { runNet } from "../net/executor.ts";
import { getConvLayer, type LayerInfo, type Net } from "../net/net.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import { createRng, subSeed } from "../random.ts";

/** Where a neuron is explained: see {@link NeuronShapOptions.explainAt}. */
export type ExplainAt = "visualization" | "topImages";

/** How a neuron's map becomes its scalar activation. */
export type NeuronReduce = "mean" | "max";

/** Options of {@link neuronShapImages}. */
export interface NeuronShapOptions {
  /** The units (output channels) to explain. Default: every unit of the layer. */
  units?: readonly number[];
  /**
   * `visualization` (default, the interpretation of METHODS.md §5): unit k is
   * explained at image k of `at` (its feature visualisation).
   * `topImages`: unit k is explained at each of its `topImages` most
   * activating images of `data` (by its scalar activation, ties to the lower
   * index), and its SHAP image is the mean of those normalised maps.
   */
  explainAt?: ExplainAt;
  /** [K, H, W, C], one image per unit (needed with `explainAt: "visualization"`). */
  at?: ImagesInput;
  /** The images to search for top activations (needed with `explainAt: "topImages"`). */
  data?: ImagesInput;
  /** How many top-activating images explain a unit with `topImages`. Default: 4. */
  topImages?: number;
  /** The background set B of Expected Gradients (required; METHODS.md: 50 data-set images). */
  background: ImagesInput;
  /** Expected Gradients samples per explained image. Default: 50. */
  n?: number;
  /** The scalar activation: spatial `mean` (default) or `max` of the unit's map. */
  reduce?: NeuronReduce;
  /** Rows (samples, of any units) per forward+backward pass. Default: 32. */
  batchSize?: number;
  /** Seed of the background draws and interpolation points. Default: 0. */
  seed?: number;
  /** Called after each batch with (done, total) batches. Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** SHAP images of several units of one layer (plain arrays). */
export interface NeuronShapResult {
  /** The layer. */
  layer: string;
  /** The units explained, in order. */
  units: Int32Array;
  /** [K, H, W] row-major, each map min–max normalised to [0, 1]. */
  maps: Float32Array;
  /** [K, H, W]. */
  shape: [number, number, number];
  /** Each unit's scalar activation at the image(s) it is explained at (mean over top images). */
  activations: Float32Array;
  /** Where the units were explained. */
  explainAt: ExplainAt;
  /** With `topImages`: [K, m] indices into `data`, most activating first; else null. */
  topIndices: Int32Array | null;
}

/**
 * SHAP images of neurons: Expected Gradients (Erion et al. 2021; GradientSHAP,
 * Lundberg & Lee 2017) of each unit's scalar activation a_k(x) (spatial mean
 * of its map; option max), φ = mean over n samples of (x − b) ⊙ ∇a_k(b + α(x − b))
 * with b drawn from the background and α ~ U(0, 1); the map is Σ_c |φ_c|,
 * min–max normalised (METHODS.md §5). By default x is the unit's own feature
 * visualisation (`at`, one image per unit); with `explainAt: "topImages"` the
 * unit is explained at its top-activating images of `data` and the maps are
 * averaged. This placement is an interpretation of the NeuronIM paper.
 *
 * Rows of different units share a batch: each row selects its own unit's
 * channel with a one-hot mask, so a layer of K units costs K·n/batchSize
 * forward+backward passes, not K·n/batchSize per unit. Sample j of unit u at
 * explained image slot s draws from `createRng(subSeed(subSeed(seed, u), s·n + j))`,
 * so a unit's map depends neither on `batchSize` nor on the other units asked for.
 *
 * @param net the network
 * @param layer a conv layer's name
 * @param options see {@link NeuronShapOptions} (background required; `at` or `data`)
 * @returns the maps [K, H, W] and each unit's activation
 * @throws {TypeError} for a non-conv layer, or a missing `background`, `at` or `data`;
 *   {@link RangeError} for an unknown layer, a unit out of range, an empty
 *   set, image shapes that do not fit the net, or `at` not holding one image per unit
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { neuronShapImages } from "./shap_image.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const at = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const background = tf.zeros([3, 6, 6, 1]);
 * const r = await neuronShapImages(wrapModel(model), "conv", { at, background, n: 4 });
 * if (!(r.shape.join() === "2,6,6" && r.maps.length === 72)) throw new Error("example failed");
 * tf.dispose([at, background]);
 * model.dispose();
 * ```
 */
export async function neuronShapImages(
  net: Net,
  layer: string,
  options: NeuronShapOptions,
): Promise<NeuronShapResult> {
  const info = getConvLayer(net, layer);
  const units = checkUnits(info, options?.units);
  if (options?.background === undefined || options.background === null) {
    throw new TypeError(
      "neuronShapImages needs options.background: background images " +
        "(a tensor or { images, shape }, e.g. 50 images of the data set)",
    );
  }
  const explainAt = options.explainAt ?? "visualization";
  if (explainAt !== "visualization" && explainAt !== "topImages") {
    throw new RangeError(`explainAt is "${explainAt}"; expected "visualization" or "topImages"`);
  }
  const n = positiveInt(options.n ?? 50, "n");
  const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
  const topM = positiveInt(options.topImages ?? 4, "topImages");
  const reduce = options.reduce ?? "mean";
  if (reduce !== "mean" && reduce !== "max") {
    throw new RangeError(`reduce is "${reduce}"; expected "mean" or "max"`);
  }
  const seed = options.seed ?? 0;
  const k = units.length;
  const [h, w, c] = net.inputShape;
  const objective: Objective = { layer, reduce, channels: info.units };

  const owned: tf.Tensor[] = [];
  try {
    const bg = await loadSet(net, options.background, "background");
    owned.push(bg);
    // The explained images, one per item; item i explains unit itemUnit[i].
    let items: tf.Tensor4D;
    let itemUnit: Int32Array;
    let itemSlot: Int32Array;
    let topIndices: Int32Array | null = null;
    let perUnit = 1;
    if (explainAt === "visualization") {
      if (options.at === undefined || options.at === null) {
        throw new TypeError(
          'explainAt "visualization" needs options.at: one image per unit, [K, H, W, C]',
        );
      }
      items = await loadSet(net, options.at, "at");
      owned.push(items);
      if (items.shape[0] !== k) {
        throw new RangeError(
          `at holds ${items.shape[0]} images for ${k} units; expected one image per unit`,
        );
      }
      itemUnit = Int32Array.from(units);
      itemSlot = new Int32Array(k);
    } else {
      if (options.data === undefined || options.data === null) {
        throw new TypeError('explainAt "topImages" needs options.data: the images to search');
      }
      const data = await loadSet(net, options.data, "data");
      owned.push(data);
      perUnit = Math.min(topM, data.shape[0]);
      topIndices = await topActivating(net, data, units, perUnit, objective, batchSize);
      items = tf.gather(data, topIndices) as tf.Tensor4D;
      owned.push(items);
      itemUnit = Int32Array.from(
        { length: k * perUnit },
        (_, i) => units[Math.floor(i / perUnit)]!,
      );
      itemSlot = Int32Array.from({ length: k * perUnit }, (_, i) => i % perUnit);
    }
    const activations = await activationsAt(net, items, itemUnit, objective, batchSize);

    const phi = expectedGradientSums(net, items, bg, {
      itemUnit,
      itemSlot,
      n,
      batchSize,
      seed,
      objective,
      onProgress: options.onProgress,
    });
    owned.push(phi);
    const maps = tf.tidy(() => {
      const m = tf.sum(tf.abs(tf.reshape(phi, [-1, h * w, c])), 2);
      const lo = tf.min(m, 1, true);
      const span = tf.sub(tf.max(m, 1, true), lo);
      // A unit with no attribution at all (a dead neuron) gets a zero map, not NaN.
      const safe = tf.where(tf.greater(span, 0), span, tf.onesLike(span));
      const normalised = tf.mul(
        tf.div(tf.sub(m, lo), safe),
        tf.cast(tf.greater(span, 0), "float32"),
      );
      return tf.mean(tf.reshape(normalised, [k, perUnit, h * w]), 1);
    });
    owned.push(maps);
    const values = Float32Array.from(await maps.data());
    const meanActivation = Float32Array.from({ length: k }, (_, u) => {
      let s = 0;
      for (let j = 0; j < perUnit; j++) s += activations[u * perUnit + j]!;
      return s / perUnit;
    });
    return {
      layer,
      units,
      maps: values,
      shape: [k, h, w],
      activations: meanActivation,
      explainAt,
      topIndices,
    };
  } finally {
    tf.dispose(owned);
  }
}

/** Options of {@link neuronActivations}. */
export interface NeuronActivationOptions {
  /** [K, H, W, C]: image k is where unit k is read (required). */
  at: ImagesInput;
  /** The units. Default: every unit of the layer (then `at` holds one image per unit). */
  units?: readonly number[];
  /** `mean` (default) or `max` of the unit's map. */
  reduce?: NeuronReduce;
  /** Images per forward pass. Default: 32. */
  batchSize?: number;
}

/**
 * The scalar activation (METHODS.md conventions: the spatial mean of the
 * unit's map; option max) of unit `units[k]` at image k, for every k, in
 * batched forward passes: e.g. each neuron on its own feature visualisation.
 *
 * @param net the network
 * @param layer a conv layer's name
 * @param options see {@link NeuronActivationOptions} (`at` required)
 * @returns [K] activations
 * @throws {TypeError} for a non-conv layer or a missing `at`; {@link RangeError}
 *   for an unknown layer, a unit out of range, or `at` not holding one image per unit
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { neuronActivations } from "./shap_image.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: "conv",
 *     kernelInitializer: "ones", biasInitializer: "zeros" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const at = tf.fill([1, 4, 4, 1], 0.5);
 * const a = await neuronActivations(wrapModel(model), "conv", { at, units: [1] });
 * if (a[0] !== 0.5) throw new Error("example failed");
 * tf.dispose(at);
 * model.dispose();
 * ```
 */
export async function neuronActivations(
  net: Net,
  layer: string,
  options: NeuronActivationOptions,
): Promise<Float32Array> {
  const info = getConvLayer(net, layer);
  const units = checkUnits(info, options?.units);
  if (options?.at === undefined || options.at === null) {
    throw new TypeError("neuronActivations needs options.at: one image per unit, [K, H, W, C]");
  }
  const reduce = options.reduce ?? "mean";
  if (reduce !== "mean" && reduce !== "max") {
    throw new RangeError(`reduce is "${reduce}"; expected "mean" or "max"`);
  }
  const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
  const x = await loadSet(net, options.at, "at");
  try {
    if (x.shape[0] !== units.length) {
      throw new RangeError(
        `at holds ${x.shape[0]} images for ${units.length} units; expected one image per unit`,
      );
    }
    return await activationsAt(net, x, units, { layer, reduce, channels: info.units }, batchSize);
  } finally {
    x.dispose();
  }
}

/** What a row's scalar is: one channel of `layer`, reduced over space. */
interface Objective {
  layer: string;
  reduce: NeuronReduce;
  /** Channels of the layer (the one-hot length). */
  channels: number;
}

/**
 * Each row's own unit's scalar activation, [rows]. Differentiable: the
 * one-hot product selects a different channel per row in one batched op.
 */
function rowScores(net: Net, x: tf.Tensor, units: Int32Array, obj: Objective): tf.Tensor1D {
  const r = units.length;
  const hot = new Float32Array(r * obj.channels);
  units.forEach((u, i) => (hot[i * obj.channels + u] = 1));
  const { output, captured } = runNet(net, x, { capture: [obj.layer], skipOutput: true });
  output.dispose();
  const a = captured[obj.layer]!;
  const channel = tf.sum(tf.mul(a, tf.tensor4d(hot, [r, 1, 1, obj.channels])), 3);
  return (obj.reduce === "max" ? tf.max(channel, [1, 2]) : tf.mean(channel, [1, 2])) as tf.Tensor1D;
}

/** The scalar activation of unit itemUnit[i] at image i, batched. */
async function activationsAt(
  net: Net,
  images: tf.Tensor4D,
  itemUnit: Int32Array,
  obj: Objective,
  batchSize: number,
): Promise<Float32Array> {
  const count = itemUnit.length;
  const out = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const s = tf.tidy(() =>
      rowScores(net, tf.slice(images, [start], [end - start]), itemUnit.subarray(start, end), obj)
    );
    try {
      out.set(await s.data(), start);
    } finally {
      s.dispose();
    }
  }
  return out;
}

/**
 * The `m` most activating images of `data` for each unit, [K, m] indices,
 * most activating first (ties: lower index). Streams over the data in
 * batches, keeping only K·m candidates.
 */
async function topActivating(
  net: Net,
  data: tf.Tensor4D,
  units: Int32Array,
  m: number,
  obj: Objective,
  batchSize: number,
): Promise<Int32Array> {
  const k = units.length;
  const bestValue = new Float64Array(k * m).fill(-Infinity);
  const bestIndex = new Int32Array(k * m).fill(-1);
  const total = data.shape[0];
  const pick = tf.tensor1d(units, "int32");
  try {
    for (let start = 0; start < total; start += batchSize) {
      const end = Math.min(total, start + batchSize);
      const acts = tf.tidy(() => {
        const { output, captured } = runNet(net, tf.slice(data, [start], [end - start]), {
          capture: [obj.layer],
          skipOutput: true,
        });
        output.dispose();
        const a = tf.gather(captured[obj.layer]!, pick, 3);
        return obj.reduce === "max" ? tf.max(a, [1, 2]) : tf.mean(a, [1, 2]);
      });
      let values: Float32Array;
      try {
        values = (await acts.data()) as Float32Array;
      } finally {
        acts.dispose();
      }
      for (let i = 0; i < end - start; i++) {
        for (let u = 0; u < k; u++) {
          insertTop(bestValue, bestIndex, u * m, m, values[i * k + u]!, start + i);
        }
      }
    }
  } finally {
    pick.dispose();
  }
  return bestIndex;
}

/** Inserts (value, index) into the sorted run [offset, offset + m) if it beats its last. */
function insertTop(
  values: Float64Array,
  indices: Int32Array,
  offset: number,
  m: number,
  value: number,
  index: number,
): void {
  // Strictly greater: an equal value seen later (a higher index) stays behind.
  if (!(value > values[offset + m - 1]!)) return;
  let p = offset + m - 1;
  while (p > offset && value > values[p - 1]!) {
    values[p] = values[p - 1]!;
    indices[p] = indices[p - 1]!;
    p--;
  }
  values[p] = value;
  indices[p] = index;
}

interface SumPlan {
  itemUnit: Int32Array;
  itemSlot: Int32Array;
  n: number;
  batchSize: number;
  seed: number;
  objective: Objective;
  onProgress: ((done: number, total: number) => void) | undefined;
}

/**
 * φ of every item, [items, H, W, C]: rows (item-major, n per item) go
 * through the net `batchSize` at a time whatever the item boundaries; each
 * batch is folded into the item sums at once with one matrix product, so
 * memory is one batch plus the sums.
 */
function expectedGradientSums(
  net: Net,
  items: tf.Tensor4D,
  bg: tf.Tensor4D,
  plan: SumPlan,
): tf.Tensor4D {
  const { itemUnit, itemSlot, n, batchSize, seed, objective } = plan;
  const count = itemUnit.length;
  const rows = count * n;
  const size = net.inputShape[0] * net.inputShape[1] * net.inputShape[2];
  const nb = bg.shape[0];
  const chunks = Math.ceil(rows / batchSize);
  let acc: tf.Tensor2D = tf.zeros([count, size]);
  try {
    for (let start = 0, chunk = 0; start < rows; start += batchSize, chunk++) {
      const end = Math.min(rows, start + batchSize);
      const r = end - start;
      const rowItem = Int32Array.from({ length: r }, (_, j) => Math.floor((start + j) / n));
      const pick = new Int32Array(r);
      const alpha = new Float32Array(r);
      for (let j = 0; j < r; j++) {
        const item = rowItem[j]!;
        const sample = (start + j) % n;
        const rng = createRng(
          subSeed(subSeed(seed, itemUnit[item]!), itemSlot[item]! * n + sample),
        );
        pick[j] = rng.int(nb);
        alpha[j] = rng.next();
      }
      const lo = rowItem[0]!;
      const m = rowItem[r - 1]! - lo + 1;
      const weights = new Float32Array(m * r);
      for (let j = 0; j < r; j++) weights[(rowItem[j]! - lo) * r + j] = 1 / n;
      const rowUnits = Int32Array.from(rowItem, (i) => itemUnit[i]!);
      const previous = acc;
      acc = tf.tidy(() => {
        const b = tf.gather(bg, tf.tensor1d(pick, "int32"));
        const diff = tf.sub(tf.gather(items, tf.tensor1d(rowItem, "int32")), b);
        const inputs = tf.add(b, tf.mul(tf.tensor4d(alpha, [r, 1, 1, 1]), diff));
        const grad = tf.grad((x: tf.Tensor) => tf.sum(rowScores(net, x, rowUnits, objective)))(
          inputs,
        );
        const partial = tf.matMul(
          tf.tensor2d(weights, [m, r]),
          tf.reshape(tf.mul(grad, diff), [r, size]),
        );
        return tf.add(previous, tf.pad(partial, [[lo, count - lo - m], [0, 0]]));
      });
      previous.dispose();
      plan.onProgress?.(chunk + 1, chunks);
    }
    const out = tf.reshape(acc, [count, ...net.inputShape]) as tf.Tensor4D;
    return out;
  } finally {
    acc.dispose();
  }
}

/** The units to explain, validated against the layer. */
function checkUnits(layer: LayerInfo, units: readonly number[] | undefined): Int32Array {
  if (units === undefined) return Int32Array.from({ length: layer.units }, (_, i) => i);
  if (units.length === 0) {
    throw new RangeError(`units is empty; expected unit indices of layer "${layer.name}"`);
  }
  for (const u of units) {
    if (!Number.isInteger(u) || u < 0 || u >= layer.units) {
      throw new RangeError(
        `Unit ${u} is out of range: layer "${layer.name}" has units 0..${layer.units - 1}`,
      );
    }
  }
  return Int32Array.from(units);
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${name} is ${v}; expected a positive integer`);
  }
  return v;
}

/** Images as a validated tensor, errors naming which set was wrong. */
async function loadSet(net: Net, input: ImagesInput, what: string): Promise<tf.Tensor4D> {
  let x: tf.Tensor4D;
  try {
    x = await toImageTensor(net, input);
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${what}: ${e.message}`);
    if (e instanceof TypeError) throw new TypeError(`${what}: ${e.message}`);
    throw e;
  }
  if (x.shape[0] === 0) {
    x.dispose();
    throw new RangeError(`${what} holds no image; expected at least one`);
  }
  return x;
}
