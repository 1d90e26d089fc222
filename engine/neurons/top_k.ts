/**
 * Top-k activating data-set images of every neuron of conv layers, with the
 * receptive-field crop around each one's strongest position (the "top 9
 * activations" with their image patches of Zeiler & Fergus 2014, Fig. 2;
 * METHODS.md §5), and activation histograms, streamed over a data set.
 *
 * A neuron's scalar activation on an image is the spatial mean of its map
 * (option: max). One forward pass per batch captures every requested layer;
 * each batch is folded into mergeable partials (a {@link TopKSet} per layer,
 * a {@link Histogram} per neuron), so memory is independent of the number of
 * images. Crops are cut afterwards from the kept image indices only.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { topActivating } from "./top_k.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, name: "c" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 75 }, (_, i) => Math.sin(i)),
 *   shape: [3, 5, 5, 1] as [number, number, number, number] };
 * const [top] = await topActivating(net, set, { k: 2 });
 * if (!(top!.indices.length === 4 && top!.crops![0]!.length === 2 * 3 * 3)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { NeuronReduce } from "./shap_image.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import { convLayers, getConvLayer, type Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";
import { addValue, createHistogram } from "../stats/histogram.ts";
import { createTopK, mergeTopK, pushTopK, type TopKSet } from "../stats/top_k.ts";
import type { LayerHistograms } from "./histogram.ts";
import { cropReceptiveField, type ReceptiveField, receptiveField } from "./receptive_field.ts";

/** Images a neuron pass reads (labels are not needed). */
export type NeuronImages = Pick<ImageSet, "images" | "shape" | "name">;

/** How a neuron's map becomes one number per image. */
export type { NeuronReduce };

/** Options of {@link topActivating}. */
export interface TopActivatingOptions {
  /** Conv layers. Default: every conv layer. */
  layers?: readonly string[];
  /** Images kept per neuron. Default: 9 (capped at the number of images). */
  k?: number;
  /** Scalar activation: spatial `mean` (default) or `max` of the neuron's map. */
  reduce?: NeuronReduce;
  /** Cut receptive-field crops of the kept images. Default: true. */
  crops?: boolean;
  /** Images per forward pass. Default: 64. */
  batchSize?: number;
  /** Index of the set's first image in a larger data set (when scanning shards to merge). Default: 0. */
  firstIndex?: number;
  /** Called after each batch with (images done, total). Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** Top-k activating images of every neuron of one layer. */
export interface LayerTopActivating {
  /** Layer name. */
  layer: string;
  /** Neurons (channels). */
  units: number;
  /** Images kept per neuron (the requested k, capped at the images scanned). */
  k: number;
  /** The scalar activation used for ranking. */
  reduce: NeuronReduce;
  /** Images scanned. */
  count: number;
  /** The kept lists (plain data; mergeable with {@link mergeTopActivating}). */
  top: TopKSet;
  /** [units·k] image index, best first per neuron. */
  indices: Int32Array;
  /** [units·k] scalar activation of those images. */
  values: Float64Array;
  /** [units·k·2] (row, column) of the neuron's arg-max position in each kept image. */
  positions: Int32Array;
  /** [H, W] of the layer's output (positions index into it). */
  outputSize: [number, number];
  /**
   * Receptive field of the layer's positions; null when the path from the
   * input holds a layer it cannot be computed through (then crops must be off).
   */
  receptiveField: ReceptiveField | null;
  /**
   * Per neuron, [k, rows, cols, C] crops of the input around the arg-max
   * position's receptive field, zeros outside the image; null when not asked.
   */
  crops: Float32Array[] | null;
}

/** Options of {@link neuronProfiles}: those of {@link topActivating} plus histogram ones. */
export interface NeuronProfileOptions extends TopActivatingOptions {
  /** Histogram bins (even). Default: 64. */
  bins?: number;
  /** Finest histogram bin width, a power of two. Default: 2^-10. */
  baseWidth?: number;
}

/** Top-k images and histograms from one pass. */
export interface NeuronProfiles {
  /** Per layer, top-k activating images. */
  top: LayerTopActivating[];
  /** Per layer, activation histograms. */
  histograms: LayerHistograms[];
}

/**
 * The k images that activate each neuron most, with receptive-field crops.
 *
 * @param net the network
 * @param set the images (any number; streamed in batches)
 * @param options see {@link TopActivatingOptions}
 * @returns one record per layer, in the order asked
 * @throws {RangeError} for an empty set, unknown layers, bad k or batch size;
 *   {@link TypeError} for a layer that is not a conv layer or a bad `reduce`
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { topActivating } from "./top_k.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [3, 3, 1], filters: 1, kernelSize: 1, kernelInitializer: "ones", name: "c" }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 27 }, (_, i) => i % 9 === 4 ? i : 0),
 *   shape: [3, 3, 3, 1] as [number, number, number, number] };
 * const [top] = await topActivating(net, set, { k: 1, reduce: "max" });
 * // Image 2 has the brightest pixel (22), at the centre (1, 1).
 * if (!(top!.indices[0] === 2 && top!.positions.join() === "1,1")) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function topActivating(
  net: Net,
  set: NeuronImages,
  options: TopActivatingOptions = {},
): Promise<LayerTopActivating[]> {
  return (await scan(net, set, options, false)).top;
}

/**
 * Top-k activating images and activation histograms of every neuron, from a
 * single pass over the data (see {@link topActivating}).
 *
 * @param net the network
 * @param set the images
 * @param options see {@link NeuronProfileOptions}
 * @returns top-k records and histograms, per layer
 * @throws {RangeError} / {@link TypeError} as {@link topActivating}, and for
 *   bad histogram options
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { neuronProfiles } from "./top_k.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 3, name: "c" }),
 * ] }));
 * const set = { name: "toy", images: new Float32Array(32).fill(1), shape: [2, 4, 4, 1] as [number, number, number, number] };
 * const p = await neuronProfiles(net, set, { crops: false });
 * if (p.histograms[0]!.histograms[0]!.count !== 2) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function neuronProfiles(
  net: Net,
  set: NeuronImages,
  options: NeuronProfileOptions = {},
): Promise<NeuronProfiles> {
  return await scan(net, set, options, true);
}

/**
 * Merges top-k records of disjoint image sets (the "merge" step). Image
 * indices must already be global (offset them for shards). Crops are not
 * merged: the result has `crops: null`; cut them with {@link fillCrops}.
 *
 * @param a records of some images, per layer
 * @param b records of other images, same layers in the same order
 * @returns the records over both
 * @throws {RangeError} when layers, units, k or reduce differ
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { mergeTopActivating, topActivating } from "./top_k.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 1, kernelSize: 1, kernelInitializer: "ones", name: "c" }),
 * ] }));
 * const shard = (v: number) => ({ name: "s", images: new Float32Array(4).fill(v), shape: [1, 2, 2, 1] as [number, number, number, number] });
 * const a = await topActivating(net, shard(1), { k: 1, crops: false });
 * const b = await topActivating(net, shard(2), { k: 1, crops: false, firstIndex: 1 });
 * if (mergeTopActivating(a, b)[0]!.indices[0] !== 1) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export function mergeTopActivating(
  a: readonly LayerTopActivating[],
  b: readonly LayerTopActivating[],
): LayerTopActivating[] {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot merge top-k of ${a.length} layers with ${b.length} layers`);
  }
  return a.map((ra, i) => {
    const rb = b[i]!;
    if (ra.layer !== rb.layer || ra.reduce !== rb.reduce) {
      throw new RangeError(
        `Cannot merge top-k of ${ra.layer} (${ra.reduce}) with ${rb.layer} (${rb.reduce})`,
      );
    }
    const merged = mergeTopK(ra.top, rb.top);
    return finish(
      ra.layer,
      ra.reduce,
      ra.outputSize,
      ra.receptiveField,
      merged,
      ra.count + rb.count,
    );
  });
}

/**
 * Cuts the receptive-field crops of the kept images into each record.
 *
 * @param set the images the indices refer to
 * @param records top-k records (modified: `crops` is set)
 * @param firstIndex the index that the set's first image has in the records. Default: 0.
 * @returns the same records
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { fillCrops, topActivating } from "./top_k.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [3, 3, 1], filters: 1, kernelSize: 3, padding: "same", name: "c" }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 9 }, (_, i) => i / 9), shape: [1, 3, 3, 1] as [number, number, number, number] };
 * const records = fillCrops(set, await topActivating(net, set, { crops: false }));
 * if (records[0]!.crops![0]!.length !== 9) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export function fillCrops(
  set: Pick<ImageSet, "images" | "shape">,
  records: LayerTopActivating[],
  firstIndex = 0,
): LayerTopActivating[] {
  const c = set.shape[3];
  for (const r of records) {
    const rf = r.receptiveField;
    if (rf === null) {
      throw new TypeError(`No receptive field is known for ${r.layer}, so no crops can be cut`);
    }
    const [rh, rw] = rf.size;
    const per = rh * rw * c;
    r.crops = Array.from({ length: r.units }, (_, u) => {
      const out = new Float32Array(r.k * per);
      for (let s = 0; s < r.k; s++) {
        const e = u * r.k + s;
        const pos: [number, number] = [r.positions[2 * e]!, r.positions[2 * e + 1]!];
        out.set(
          cropReceptiveField(set, r.indices[e]! - firstIndex, rf, pos),
          s * per,
        );
      }
      return out;
    });
  }
  return records;
}

/** Checks the options shared by every entry point. */
function checkOptions(net: Net, set: NeuronImages, options: NeuronProfileOptions) {
  checkImageSet(net, set);
  if (set.shape[0] === 0) throw new RangeError(`Image set ${set.name} is empty`);
  const layers = options.layers ? [...options.layers] : convLayers(net).map((l) => l.name);
  if (layers.length === 0) throw new RangeError(`${net.name} has no conv layers`);
  for (const name of layers) getConvLayer(net, name);
  const k = options.k ?? 9;
  const batchSize = options.batchSize ?? 64;
  for (const [name, v] of [["k", k], ["batchSize", batchSize]] as const) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`${name} is ${v}; expected a positive integer`);
    }
  }
  const reduce = options.reduce ?? "mean";
  if (reduce !== "mean" && reduce !== "max") {
    throw new TypeError(`reduce is "${reduce}"; expected "mean" or "max"`);
  }
  return { layers, k, batchSize, reduce };
}

async function scan(
  net: Net,
  set: NeuronImages,
  options: NeuronProfileOptions,
  withHistograms: boolean,
): Promise<NeuronProfiles> {
  const { layers, k, batchSize, reduce } = checkOptions(net, set, options);
  const first = options.firstIndex ?? 0;
  if (!(Number.isInteger(first) && first >= 0)) {
    throw new RangeError(`firstIndex is ${first}; expected a non-negative integer`);
  }
  const histOptions = { bins: options.bins ?? 64, baseWidth: options.baseWidth ?? 2 ** -10 };
  // Validates the histogram options before the pass.
  if (withHistograms) createHistogram(histOptions);
  const infos = layers.map((l) => getConvLayer(net, l));
  const crops = options.crops ?? true;
  // Receptive fields are needed for crops; without crops an unsupported
  // layer on the path (e.g. UpSampling2D) must not stop the ranking.
  const fields = layers.map((l) => {
    try {
      return receptiveField(net, l);
    } catch (e) {
      if (crops || !(e instanceof TypeError)) throw e;
      return null;
    }
  });
  const tops = infos.map((info) => createTopK(info.units, k));
  const hists = infos.map((info) =>
    withHistograms ? Array.from({ length: info.units }, () => createHistogram(histOptions)) : []
  );
  const [n, h, w, c] = set.shape;
  const per = h * w * c;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    // Per layer [values m·C, arg-max m·C], all layers in one tensor: one read per batch.
    // Positions as float32 are exact below 2^24.
    const reduced = tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
      const r = runNet(net, x, { capture: layers, skipOutput: true });
      return tf.concat(layers.flatMap((l) => {
        const a = r.captured[l]!;
        const [, ah, aw, ac] = a.shape as number[];
        const flat = tf.reshape(a, [m, ah! * aw!, ac!]);
        const value = reduce === "max" ? tf.max(flat, 1) : tf.mean(flat, 1);
        return [tf.reshape(value, [-1]), tf.reshape(tf.cast(tf.argMax(flat, 1), "float32"), [-1])];
      }));
    });
    let data: Float32Array;
    try {
      data = (await reduced.data()) as Float32Array;
    } finally {
      reduced.dispose();
    }
    let offset = 0;
    for (let li = 0; li < layers.length; li++) {
      const units = infos[li]!.units;
      const v = data.subarray(offset, offset + m * units);
      const arg = data.subarray(offset + m * units, offset + 2 * m * units);
      offset += 2 * m * units;
      for (let i = 0; i < m; i++) {
        for (let u = 0; u < units; u++) {
          const value = v[i * units + u]!;
          pushTopK(tops[li]!, u, value, first + start + i, arg[i * units + u]!);
          if (withHistograms) addValue(hists[li]![u]!, value);
        }
      }
    }
    options.onProgress?.(start + m, n);
  }
  const top = layers.map((l, li) => {
    const [oh, ow] = infos[li]!.outputShape;
    return finish(l, reduce, [oh!, ow!], fields[li]!, tops[li]!, n);
  });
  if (crops) fillCrops(set, top, first);
  const histograms: LayerHistograms[] = layers.map((l, li) => ({
    layer: l,
    units: infos[li]!.units,
    reduce,
    count: n,
    histograms: hists[li]!,
  }));
  return { top, histograms: withHistograms ? histograms : [] };
}

/** Unpacks a top-k set into flat per-layer arrays; arg-max tags become (row, column). */
function finish(
  layer: string,
  reduce: NeuronReduce,
  outputSize: [number, number],
  rf: ReceptiveField | null,
  top: TopKSet,
  count: number,
): LayerTopActivating {
  // Fewer images than k: every image is kept.
  const k = Math.min(top.k, count);
  const units = top.units;
  const cols = outputSize[1];
  const indices = new Int32Array(units * k);
  const values = new Float64Array(units * k);
  const positions = new Int32Array(units * k * 2);
  for (let u = 0; u < units; u++) {
    for (let s = 0; s < k; s++) {
      const e = u * k + s;
      const src = u * top.k + s;
      indices[e] = top.ids[src]!;
      values[e] = top.values[src]!;
      positions[2 * e] = Math.floor(top.tags[src]! / cols);
      positions[2 * e + 1] = top.tags[src]! % cols;
    }
  }
  return {
    layer,
    units,
    k,
    reduce,
    count,
    top,
    indices,
    values,
    positions,
    outputSize,
    receptiveField: rf,
    crops: null,
  };
}
