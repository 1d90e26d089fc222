/**
 * Filter importance of the hybrid CNN interpreter (seed 004, body not
 * available; **interpretation**, METHODS.md §7): the exact effect of zeroing
 * each channel of a layer on accuracy and loss, next to two cheap proxies,
 * the L1 norm of the filter (Li et al. 2017, "Pruning Filters for Efficient
 * ConvNets", eq. 1: s_j = Σ|F_j|) and Taylor importance (Molchanov et al.
 * 2017, eq. 7–8: |mean over positions of A_k · ∂L/∂A_k|, averaged over
 * images), with the Spearman rank correlation of each proxy with the exact
 * loss increase.
 *
 * Exact ablation is batched: every (image, channel) pair is a row; the
 * image's captured activation of the layer is reused (`replace`) and a
 * per-row channel mask [rows, C] zeroes one channel, so only the layers
 * after it run again (plus branches that bypass it). C·N rows cost about C
 * forward passes of the downstream part over the N images.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import type { Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";
import { disposeGradients, targetGradients } from "../net/targets.ts";
import { spearman } from "../stats/rank.ts";
import { probeLayers } from "./_features.ts";

/** Options of {@link filterImportance}. */
export interface FilterImportanceOptions {
  /** Layers (conv or dense). Default: every conv layer. */
  layers?: readonly string[];
  /** Images per base pass. Default: 32. */
  batchSize?: number;
  /** (image, channel) rows per ablation pass. Default: 128. */
  rowBatchSize?: number;
  /**
   * Also compute the L1 and Taylor proxies and their Spearman correlation
   * with the exact values (the base pass then includes a backward pass).
   * Default: true.
   */
  proxies?: boolean;
}

/**
 * Merges results of disjoint image sets (the "merge" step of map/merge):
 * count-weighted means of every per-image average; Spearman ρ recomputed.
 *
 * @param a results of some images, per layer
 * @param b results of other images, same layers in the same order and options
 * @returns the results over both sets
 * @throws {RangeError} when the layers, channel counts or proxies differ
 *
 * @example
 * ```ts
 * import { mergeFilterImportance } from "./filter_importance.ts";
 * const r = (count: number, loss: number) => ({ layer: "c", channels: 2, count, baseAccuracy: 1,
 *   baseLoss: loss, accuracyDrop: new Float64Array(2), lossIncrease: Float64Array.from([loss, 0]),
 *   l1: null, taylor: null, spearmanL1: null, spearmanTaylor: null });
 * const [m] = mergeFilterImportance([r(1, 1)], [r(3, 2)]);
 * if (!(m!.count === 4 && m!.baseLoss === 1.75)) throw new Error("example failed");
 * ```
 */
export function mergeFilterImportance(
  a: readonly FilterImportance[],
  b: readonly FilterImportance[],
): FilterImportance[] {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot merge results of ${a.length} layers with results of ${b.length}`);
  }
  return a.map((ra, i) => {
    const rb = b[i]!;
    if (
      ra.layer !== rb.layer || ra.channels !== rb.channels ||
      (ra.taylor === null) !== (rb.taylor === null)
    ) {
      throw new RangeError(`Cannot merge importance of ${ra.layer} with ${rb.layer}`);
    }
    const count = ra.count + rb.count;
    const wa = ra.count / count;
    const wb = rb.count / count;
    const mix = (x: Float64Array, y: Float64Array) => x.map((v, j) => v * wa + y[j]! * wb);
    const lossIncrease = mix(ra.lossIncrease, rb.lossIncrease);
    const taylor = ra.taylor && rb.taylor ? mix(ra.taylor, rb.taylor) : null;
    return {
      layer: ra.layer,
      channels: ra.channels,
      count,
      baseAccuracy: ra.baseAccuracy * wa + rb.baseAccuracy * wb,
      baseLoss: ra.baseLoss * wa + rb.baseLoss * wb,
      accuracyDrop: mix(ra.accuracyDrop, rb.accuracyDrop),
      lossIncrease,
      l1: ra.l1,
      taylor,
      spearmanL1: ra.l1 ? rankCorrelation(ra.l1, lossIncrease) : null,
      spearmanTaylor: taylor ? rankCorrelation(taylor, lossIncrease) : null,
    };
  });
}

/** Exact and proxy importance of every channel of one layer. */
export interface FilterImportance {
  /** Layer name. */
  layer: string;
  /** Channels C. */
  channels: number;
  /** Images used. */
  count: number;
  /** Accuracy with no channel zeroed. */
  baseAccuracy: number;
  /** Mean cross-entropy (of the softmax of the logits) with no channel zeroed. */
  baseLoss: number;
  /** Per channel: base accuracy − accuracy with that channel zeroed. */
  accuracyDrop: Float64Array;
  /** Per channel: loss with that channel zeroed − base loss (the exact importance). */
  lossIncrease: Float64Array;
  /** Per channel L1 norm of its filter (Li et al. 2017); null without proxies or weights. */
  l1: Float64Array | null;
  /** Per channel Taylor importance (Molchanov et al. 2017); null without proxies. */
  taylor: Float64Array | null;
  /** Spearman ρ(l1, lossIncrease); null when undefined (a constant side) or not computed. */
  spearmanL1: number | null;
  /** Spearman ρ(taylor, lossIncrease); null when undefined or not computed. */
  spearmanTaylor: number | null;
}

interface Accumulator {
  lossSum: Float64Array;
  correctSum: Float64Array;
  taylorSum: Float64Array;
}

/**
 * Exact per-channel ablation importance plus L1 and Taylor proxies (METHODS.md §7).
 *
 * @param net the network
 * @param set labelled images
 * @param options see {@link FilterImportanceOptions}
 * @returns one record per layer, in the order asked
 * @throws {RangeError} for unknown layers, an empty set, labels out of range
 *   or bad batch sizes
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { filterImportance } from "./filter_importance.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)),
 *   shape: [2, 4, 4, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1]), classNames: ["a", "b"] };
 * const [r] = await filterImportance(net, set);
 * if (!(r!.lossIncrease.length === 3 && r!.l1!.length === 3)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function filterImportance(
  net: Net,
  set: ImageSet,
  options: FilterImportanceOptions = {},
): Promise<FilterImportance[]> {
  checkImageSet(net, set);
  const layers = probeLayers(net, options.layers);
  const batchSize = options.batchSize ?? 32;
  const rowBatch = options.rowBatchSize ?? 128;
  for (const [name, v] of [["batchSize", batchSize], ["rowBatchSize", rowBatch]] as const) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`${name} is ${v}; expected a positive integer`);
    }
  }
  const proxies = options.proxies ?? true;
  const [n, h, w, c] = set.shape;
  if (n === 0) throw new RangeError(`Image set ${set.name} is empty`);
  if (set.labels.length !== n) {
    throw new RangeError(`${set.name} has ${set.labels.length} labels for ${n} images`);
  }
  for (let i = 0; i < n; i++) {
    if (!(set.labels[i]! >= 0 && set.labels[i]! < net.numClasses)) {
      throw new RangeError(
        `Label ${set.labels[i]} of image ${i} is outside 0..${net.numClasses - 1}`,
      );
    }
  }
  const channels = layers.map((l) => net.layers.find((i) => i.name === l)!.outputShape.at(-1)!);
  const acc: Accumulator[] = channels.map((k) => ({
    lossSum: new Float64Array(k),
    correctSum: new Float64Array(k),
    taylorSum: new Float64Array(k),
  }));
  let baseLoss = 0;
  let baseCorrect = 0;
  const per = h * w * c;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const labels = set.labels.subarray(start, start + m);
    const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
    try {
      const base = basePass(net, x, labels, layers, proxies);
      try {
        const b = await rowLosses(base.logits, labels);
        for (let i = 0; i < m; i++) {
          baseLoss += b[i]!;
          baseCorrect += b[m + i]!;
        }
        for (let li = 0; li < layers.length; li++) {
          const taylor = base.taylor[li];
          if (taylor) {
            const t = await taylor.data();
            acc[li]!.taylorSum.forEach((v, j, a) => (a[j] = v + t[j]!));
          }
          await ablateLayer(net, x, labels, layers[li]!, base.activations[li]!, rowBatch, acc[li]!);
        }
      } finally {
        tf.dispose([base.logits, ...base.activations, ...base.taylor.filter((t) => t !== null)]);
      }
    } finally {
      x.dispose();
    }
  }
  const out: FilterImportance[] = [];
  for (let li = 0; li < layers.length; li++) {
    const a = acc[li]!;
    const lossIncrease = a.lossSum.map((v) => (v - baseLoss) / n);
    const accuracyDrop = a.correctSum.map((v) => (baseCorrect - v) / n);
    const l1 = proxies ? await filterL1(net, layers[li]!) : null;
    const taylor = proxies ? a.taylorSum.map((v) => v / n) : null;
    out.push({
      layer: layers[li]!,
      channels: channels[li]!,
      count: n,
      baseAccuracy: baseCorrect / n,
      baseLoss: baseLoss / n,
      accuracyDrop,
      lossIncrease,
      l1,
      taylor,
      spearmanL1: l1 ? rankCorrelation(l1, lossIncrease) : null,
      spearmanTaylor: taylor ? rankCorrelation(taylor, lossIncrease) : null,
    });
  }
  return out;
}

/** Logits, the layers' activations and (with proxies) per-channel Σ_images Taylor terms. */
function basePass(
  net: Net,
  x: tf.Tensor4D,
  labels: Int32Array,
  layers: readonly string[],
  proxies: boolean,
): { logits: tf.Tensor; activations: tf.Tensor[]; taylor: (tf.Tensor | null)[] } {
  if (!proxies) {
    const r = runNet(net, x, { capture: layers, output: "logits" });
    return { logits: r.output, activations: layers.map((l) => r.captured[l]!), taylor: [] };
  }
  const g = targetGradients(net, x, { kind: "loss", labels }, {
    wrtInput: false,
    wrtLayers: layers,
  });
  try {
    const taylor = tf.tidy(() =>
      layers.map((l) => {
        const prod = tf.mul(g.activations[l]!, g.layerGrads[l]!);
        const perImage = prod.rank === 4 ? tf.mean(prod, [1, 2]) : prod;
        return tf.sum(tf.abs(perImage), 0);
      })
    );
    const activations = layers.map((l) => tf.keep(tf.clone(g.activations[l]!)));
    return { logits: tf.clone(g.logits), activations, taylor };
  } finally {
    disposeGradients(g);
  }
}

/** Per-row cross-entropy and correctness, read back as [loss..., correct...]. */
async function rowLosses(logits: tf.Tensor, labels: Int32Array): Promise<Float32Array> {
  const t = tf.tidy(() => rowLossTensor(logits, tf.tensor1d(labels, "int32")));
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

function rowLossTensor(logits: tf.Tensor, labels: tf.Tensor1D): tf.Tensor {
  const k = logits.shape[1]!;
  const pick = k === 1 ? tf.ones([labels.shape[0], 1]) : tf.cast(tf.oneHot(labels, k), "float32");
  const loss = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), pick), 1));
  const correct = tf.cast(tf.equal(tf.argMax(logits, 1), labels), "float32");
  return tf.concat([loss, correct]);
}

/** All (image, channel) ablations of one layer for one image batch, folded into `acc`. */
async function ablateLayer(
  net: Net,
  x: tf.Tensor4D,
  labels: Int32Array,
  layer: string,
  activation: tf.Tensor,
  rowBatch: number,
  acc: Accumulator,
): Promise<void> {
  const m = x.shape[0];
  const k = activation.shape.at(-1)!;
  for (let start = 0; start < m * k; start += rowBatch) {
    const end = Math.min(start + rowBatch, m * k);
    const image = Array.from({ length: end - start }, (_, i) => Math.floor((start + i) / k));
    const channel = Array.from({ length: end - start }, (_, i) => (start + i) % k);
    const res = tf.tidy(() => {
      const first = image[0]!;
      const count = image.at(-1)! - first + 1;
      // A one-hot selection matmul repeats each image's rows exactly
      // (1·v + 0·…) and is faster than gather on WASM.
      const select = selectRows(image.map((i) => i - first), count);
      const expand = (t: tf.Tensor) =>
        tf.reshape(
          tf.matMul(select, tf.reshape(tf.slice(t, [first], [count]), [count, -1])),
          [end - start, ...t.shape.slice(1)],
        );
      const mask = tf.sub(1, selectRows(channel, k));
      const r = runNet(net, expand(x), {
        output: "logits",
        replace: { [layer]: expand(activation) },
        channelMask: { [layer]: mask },
      });
      const rowLabels = tf.tensor1d(image.map((i) => labels[i]!), "int32");
      return rowLossTensor(r.output, rowLabels);
    });
    try {
      const v = await res.data();
      const rows = end - start;
      for (let i = 0; i < rows; i++) {
        acc.lossSum[channel[i]!]! += v[i]!;
        acc.correctSum[channel[i]!]! += v[rows + i]!;
      }
    } finally {
      res.dispose();
    }
  }
}

/** float32 one-hot [rows, depth] (depth 1 included, which tf.oneHot refuses). */
function selectRows(indices: number[], depth: number): tf.Tensor2D {
  if (depth === 1) return tf.ones([indices.length, 1]);
  // int32 then cast: the WASM oneHot kernel ignores a float32 dtype.
  return tf.cast(tf.oneHot(tf.tensor1d(indices, "int32"), depth), "float32") as tf.Tensor2D;
}

/** Σ|W| of each output channel's filter (Li et al. 2017, eq. 1), or null for a layer without one. */
async function filterL1(net: Net, layer: string): Promise<Float64Array | null> {
  const tl = net.graph.byName.get(layer)?.layer;
  if (!tl) return null;
  const weights = tl.getWeights();
  const cls = tl.getClassName();
  // For a separable conv the output channels are those of the pointwise kernel.
  const kernel = cls === "SeparableConv2D" ? weights[1] : weights[0];
  if (!kernel || !["Conv2D", "Dense", "DepthwiseConv2D", "SeparableConv2D"].includes(cls)) {
    return null;
  }
  const t = tf.tidy(() => {
    // Depthwise output channel c·mult + j is kernel[..., c, j]: flattening
    // the last two axes gives the output channel order.
    const units = cls === "DepthwiseConv2D"
      ? kernel.shape[2]! * kernel.shape[3]!
      : kernel.shape.at(-1)!;
    return tf.sum(tf.abs(tf.reshape(kernel, [-1, units])), 0);
  });
  try {
    return Float64Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

function rankCorrelation(a: Float64Array, b: Float64Array): number | null {
  try {
    return spearman(a, b);
  } catch {
    // A constant side (e.g. no channel matters on this set): ρ is undefined.
    return null;
  }
}
