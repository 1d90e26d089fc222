/**
 * Layer-specific predictions of the hybrid CNN interpreter (seed 004, body
 * not available; **interpretation**, METHODS.md §7): for each chosen layer a
 * linear softmax probe (Alain & Bengio 2016) on global-average-pooled
 * features (dense layers: the features themselves), trained on a training
 * split and evaluated on a test split. Reports per-layer accuracy and, per
 * test image, the probe's top-k classes and confidences at every depth.
 *
 * Features of all layers are extracted in one batched pass per split; the
 * probes are trained with plain tf ops ({@link trainSoftmaxProbe}).
 *
 * @module
 */
import type { ImageSet } from "../data/types.ts";
import type { Net } from "../net/net.ts";
import { forEachPooledBatch, type Pooling, type ProbeImages, probeLayers } from "./_features.ts";
import {
  probeProbabilities,
  type SoftmaxProbe,
  type SoftmaxProbeOptions,
  trainSoftmaxProbe,
} from "./softmax_probe.ts";

/** The two splits a probe needs. */
export interface ProbeSplits {
  /** The probes are fitted on these images. */
  train: ImageSet;
  /** Accuracy and per-image predictions are reported on these. */
  test: ImageSet;
}

/** Options of {@link layerProbes}; the training fields are {@link SoftmaxProbeOptions}. */
export interface LayerProbesOptions extends SoftmaxProbeOptions {
  /** Layers to probe (conv or dense). Default: every conv layer. */
  layers?: readonly string[];
  /** Classes reported per test image. Default: 3 (at most the number of classes). */
  topK?: number;
  /** Images per feature-extraction pass. Default: 64. */
  featureBatchSize?: number;
  /**
   * How a conv channel becomes one feature: `mean` (default, global average
   * pooling as METHODS.md §7 specifies) or `max` (an alternative).
   */
  pooling?: Pooling;
}

/** The probe of one layer. */
export interface LayerProbe {
  /** Layer name. */
  layer: string;
  /** Feature dimension (channels or units). */
  dims: number;
  /** Accuracy of the probe on the training split. */
  trainAccuracy: number;
  /** Accuracy of the probe on the test split. */
  testAccuracy: number;
  /** Row-major [N_test, topK] classes, most probable first. */
  topClasses: Int32Array;
  /** Row-major [N_test, topK] probabilities of those classes. */
  topConfidences: Float32Array;
  /** The fitted probe. */
  probe: SoftmaxProbe;
}

/** Result of {@link layerProbes}. */
export interface LayerProbesResult {
  /** One entry per layer, in the order asked. */
  layers: LayerProbe[];
  /** k of the top-k arrays. */
  topK: number;
  /** Number of test images. */
  testCount: number;
  /** Class names (from the training split). */
  classNames: string[];
}

/**
 * Trains and evaluates a linear softmax probe per layer (Alain & Bengio 2016; METHODS.md §7).
 *
 * @param net the network
 * @param splits labelled training and test images
 * @param options see {@link LayerProbesOptions}
 * @returns per-layer accuracies and per-image top-k predictions
 * @throws {RangeError} for unknown layers, empty splits, shape mismatches or
 *   labels out of range
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { layerProbes } from "./layer_probes.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 64 }, (_, i) => (i >> 4) % 2),
 *   shape: [4, 4, 4, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1, 0, 1]), classNames: ["a", "b"] };
 * const r = await layerProbes(net, { train: set, test: set }, { epochs: 20 });
 * if (!(r.layers[0]!.layer === "conv" && r.layers[0]!.topClasses.length === 4 * 2)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function layerProbes(
  net: Net,
  splits: ProbeSplits,
  options: LayerProbesOptions = {},
): Promise<LayerProbesResult> {
  const layers = probeLayers(net, options.layers);
  const k = splits.train.classNames.length;
  const topK = Math.min(options.topK ?? 3, k);
  if (!(Number.isInteger(topK) && topK >= 1)) {
    throw new RangeError(`topK is ${options.topK}; expected a positive integer`);
  }
  const batchSize = options.featureBatchSize ?? 64;
  const pooling = options.pooling ?? "mean";
  const train = await pooledFeatures(net, splits.train, { layers, batchSize, pooling });
  const test = await pooledFeatures(net, splits.test, { layers, batchSize, pooling });
  checkLabels(splits.train, k);
  checkLabels(splits.test, k);
  const nTest = splits.test.labels.length;
  const out: LayerProbe[] = [];
  for (const layer of layers) {
    const probe = await trainSoftmaxProbe(
      { features: train[layer]!, labels: splits.train.labels, numClasses: k },
      options,
    );
    const pTrain = await probeProbabilities(probe, train[layer]!);
    const pTest = await probeProbabilities(probe, test[layer]!);
    const top = topOf(pTest, k, topK);
    out.push({
      layer,
      dims: probe.dims,
      trainAccuracy: accuracy(pTrain, splits.train.labels, k),
      testAccuracy: accuracy(pTest, splits.test.labels, k),
      topClasses: top.classes,
      topConfidences: top.confidences,
      probe,
    });
  }
  return { layers: out, topK, testCount: nTest, classNames: [...splits.train.classNames] };
}

/**
 * Pooled features of several layers in one batched pass (global average
 * pooling, Lin et al. 2014; dense layers as they are): layer → row-major [N, C].
 *
 * @param net the network
 * @param set the images
 * @param options `layers` (default: every conv layer), `batchSize` images
 *   per pass (default 64), `pooling` "mean" (default) or "max"
 * @returns the features of each layer
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { pooledFeatures } from "./layer_probes.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [3, 3, 1], filters: 2, kernelSize: 1, name: "c" }),
 * ] }));
 * const f = await pooledFeatures(net, { name: "x", images: new Float32Array(18), shape: [2, 3, 3, 1] });
 * if (!(f.c!.length === 4)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function pooledFeatures(
  net: Net,
  set: ProbeImages,
  options: { layers?: readonly string[]; batchSize?: number; pooling?: Pooling } = {},
): Promise<Record<string, Float32Array>> {
  const layers = probeLayers(net, options.layers);
  const batchSize = options.batchSize ?? 64;
  const n = set.shape[0];
  const out: Record<string, Float32Array> = {};
  await forEachPooledBatch(net, set, layers, batchSize, async (pooled, start) => {
    for (const layer of layers) {
      const t = pooled[layer]!;
      const c = t.shape[1]!;
      const dst = (out[layer] ??= new Float32Array(n * c));
      dst.set((await t.data()) as Float32Array, start * c);
    }
  }, options.pooling ?? "mean");
  return out;
}

function checkLabels(set: ImageSet, k: number): void {
  if (set.labels.length !== set.shape[0]) {
    throw new RangeError(
      `${set.name} has ${set.labels.length} labels for ${set.shape[0]} images`,
    );
  }
  for (let i = 0; i < set.labels.length; i++) {
    if (!(set.labels[i]! >= 0 && set.labels[i]! < k)) {
      throw new RangeError(
        `Label ${set.labels[i]} of image ${i} of ${set.name} is outside 0..${k - 1}`,
      );
    }
  }
}

function accuracy(p: Float32Array, labels: Int32Array, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

function topOf(p: Float32Array, k: number, topK: number) {
  const n = p.length / k;
  const classes = new Int32Array(n * topK);
  const confidences = new Float32Array(n * topK);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: k }, (_, j) => j)
      .sort((a, b) => p[i * k + b]! - p[i * k + a]! || a - b);
    for (let j = 0; j < topK; j++) {
      classes[i * topK + j] = order[j]!;
      confidences[i * topK + j] = p[i * k + order[j]!]!;
    }
  }
  return { classes, confidences };
}
