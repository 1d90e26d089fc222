/**
 * Activation histograms of every neuron of conv layers: the distribution
 * over a data set of each neuron's per-image scalar activation (spatial mean
 * of its map; option: max), METHODS.md §5. Streamed in batches into
 * mergeable histograms ({@link Histogram}: fixed bins, range doubling; any
 * statistic read from one is within one bin width), so memory does not grow
 * with the data set. {@link neuronProfiles} computes these together with the
 * top-k activating images in the same pass.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { activationHistograms } from "./histogram.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "c" }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 48 }, (_, i) => i / 48),
 *   shape: [3, 4, 4, 1] as [number, number, number, number] };
 * const [h] = await activationHistograms(net, set, { bins: 16 });
 * if (!(h!.histograms.length === 2 && h!.histograms[1]!.count === 3)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 *
 * @module
 */
import { type Histogram, histogramQuantile, mergeHistograms } from "../stats/histogram.ts";
import type { Net } from "../net/net.ts";
import {
  type NeuronImages,
  neuronProfiles,
  type NeuronReduce,
  type TopActivatingOptions,
} from "./top_k.ts";

export { neuronProfiles };

/** Activation histograms of every neuron of one layer. */
export interface LayerHistograms {
  /** Layer name. */
  layer: string;
  /** Neurons (channels). */
  units: number;
  /** The scalar activation histogrammed. */
  reduce: NeuronReduce;
  /** Images folded in. */
  count: number;
  /** One histogram of the per-image scalar activation per neuron. */
  histograms: Histogram[];
}

/** Options of {@link activationHistograms}. */
export interface ActivationHistogramOptions {
  /** Conv layers. Default: every conv layer. */
  layers?: readonly string[];
  /** Scalar activation: spatial `mean` (default) or `max`. */
  reduce?: NeuronReduce;
  /** Bins per histogram (even). Default: 64. */
  bins?: number;
  /** Finest bin width, a power of two. Default: 2^-10. */
  baseWidth?: number;
  /** Images per forward pass. Default: 64. */
  batchSize?: number;
  /** Called after each batch with (images done, total). Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Histograms of each neuron's per-image scalar activation over a data set.
 *
 * @param net the network
 * @param set the images (any number; streamed)
 * @param options see {@link ActivationHistogramOptions}
 * @returns one record per layer, in the order asked
 * @throws {RangeError} for an empty set, unknown layers or bad bins/batch
 *   size; {@link TypeError} for a non-conv layer
 */
export async function activationHistograms(
  net: Net,
  set: NeuronImages,
  options: ActivationHistogramOptions = {},
): Promise<LayerHistograms[]> {
  const opts: TopActivatingOptions & { bins?: number; baseWidth?: number } = {
    ...options,
    k: 1,
    crops: false,
  };
  return (await neuronProfiles(net, set, opts)).histograms;
}

/**
 * Merges histogram records of disjoint image sets (the "merge" step); the
 * result does not depend on the merge order.
 *
 * @param a histograms of some images, per layer
 * @param b histograms of other images, same layers in the same order
 * @returns histograms over both
 * @throws {RangeError} when layers, units or histogram settings differ
 *
 * @example
 * ```ts
 * import { addValue, createHistogram } from "../stats/histogram.ts";
 * import { mergeLayerHistograms } from "./histogram.ts";
 * const rec = (v: number) => {
 *   const h = createHistogram();
 *   addValue(h, v);
 *   return [{ layer: "c", units: 1, reduce: "mean" as const, count: 1, histograms: [h] }];
 * };
 * const [m] = mergeLayerHistograms(rec(0), rec(1));
 * if (!(m!.count === 2 && m!.histograms[0]!.max === 1)) throw new Error("example failed");
 * ```
 */
export function mergeLayerHistograms(
  a: readonly LayerHistograms[],
  b: readonly LayerHistograms[],
): LayerHistograms[] {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot merge histograms of ${a.length} layers with ${b.length} layers`);
  }
  return a.map((ra, i) => {
    const rb = b[i]!;
    if (ra.layer !== rb.layer || ra.units !== rb.units || ra.reduce !== rb.reduce) {
      throw new RangeError(`Cannot merge histograms of ${ra.layer} with ${rb.layer}`);
    }
    return {
      ...ra,
      count: ra.count + rb.count,
      histograms: ra.histograms.map((h, u) => mergeHistograms(h, rb.histograms[u]!)),
    };
  });
}

/**
 * The q-quantile of every neuron's activation (e.g. q = 0.99 for the
 * feature-visualisation check), within one bin width.
 *
 * @param record one layer's histograms
 * @param q in [0, 1]
 * @returns one value per neuron
 * @throws {RangeError} for q outside [0, 1]
 *
 * @example
 * ```ts
 * import { addValues, createHistogram } from "../stats/histogram.ts";
 * import { neuronQuantiles } from "./histogram.ts";
 * const h = createHistogram();
 * addValues(h, [0, 1, 2, 3]);
 * const q = neuronQuantiles({ layer: "c", units: 1, reduce: "mean", count: 4, histograms: [h] }, 1);
 * if (q[0] !== 3) throw new Error("example failed");
 * ```
 */
export function neuronQuantiles(record: LayerHistograms, q: number): Float64Array {
  return Float64Array.from(record.histograms, (h) => histogramQuantile(h, q));
}
