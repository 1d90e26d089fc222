/**
 * Per-neuron activation statistics and first-order (Taylor) importance of
 * every unit of chosen layers, streamed over a data set.
 *
 * Taylor importance (Molchanov et al. 2017, "Pruning Convolutional Neural
 * Networks for Resource Efficient Inference", eq. 7–8): for unit k and image
 * n, Θ = |mean over positions of A_k · ∂L/∂A_k|, averaged over images, with L
 * the cross-entropy against the label. It estimates how much the loss would
 * change if the unit were removed.
 *
 * Written as map (one batch → a small partial) and merge (two partials →
 * one), so memory does not grow with the data set and work can be sharded.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { neuronStats } from "./activation_stats.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c" }),
 *   tfl.layers.flatten({ name: "f" }),
 *   tfl.layers.dense({ units: 2, activation: "softmax", name: "out" }),
 * ] });
 * const net = wrapModel(model);
 * const set = { name: "toy", images: new Float32Array(4 * 36).fill(0.5),
 *   shape: [4, 6, 6, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1, 0, 1]), classNames: ["a", "b"] };
 * const [stats] = await neuronStats(net, set);
 * if (!(stats!.layer === "c" && stats!.mean.length === 2 && stats!.count === 4)) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { convLayers, getLayer, type Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";
import { disposeGradients, targetGradients } from "../net/targets.ts";

/** Statistics of every unit of one layer. */
export interface LayerNeuronStats {
  /** Layer name. */
  layer: string;
  /** Number of units (channels). */
  units: number;
  /** Number of images folded in. */
  count: number;
  /** Mean activation over images and positions, per unit. */
  mean: Float64Array;
  /** Fraction of positions (over all images) where the unit is > 0. */
  activeFraction: Float64Array;
  /** Largest activation seen, per unit. */
  max: Float64Array;
  /** Taylor importance (see the module doc), per unit. */
  taylor: Float64Array;
}

/** Options of {@link neuronStats}. */
export interface NeuronStatsOptions {
  /** Layers to analyse. Default: every conv layer. */
  layers?: readonly string[];
  /** Images per forward/backward pass. Default: 128. */
  batchSize?: number;
  /** Called after each batch with (images done, total). Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Streams a data set through the net once (forward and backward, batched)
 * and returns activation statistics and Taylor importance per unit.
 *
 * @param net the network
 * @param set labelled images (labels are needed for the loss gradient)
 * @param options see {@link NeuronStatsOptions}
 * @returns one record per layer, in the order asked
 * @throws {RangeError} for an empty set, unknown layers or a shape mismatch
 */
export async function neuronStats(
  net: Net,
  set: ImageSet,
  options: NeuronStatsOptions = {},
): Promise<LayerNeuronStats[]> {
  checkImageSet(net, set);
  const [n, h, w, c] = set.shape;
  if (n === 0) throw new RangeError(`Image set ${set.name} is empty`);
  const layers = options.layers ?? convLayers(net).map((l) => l.name);
  if (layers.length === 0) throw new RangeError(`${net.name} has no conv layers to analyse`);
  for (const name of layers) getLayer(net, name);
  const batchSize = options.batchSize ?? 128;
  const per = h * w * c;
  let total: LayerNeuronStats[] | null = null;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
    try {
      const part = await mapBatch(net, x, set.labels.subarray(start, start + m), layers);
      total = total ? mergeNeuronStats(total, part) : part;
    } finally {
      x.dispose();
    }
    options.onProgress?.(start + m, n);
  }
  return total!;
}

/** One batch → its statistics (the "map" step). */
async function mapBatch(
  net: Net,
  x: tf.Tensor4D,
  labels: Int32Array,
  layers: readonly string[],
): Promise<LayerNeuronStats[]> {
  const g = targetGradients(net, x, { kind: "loss", labels }, {
    wrtInput: false,
    wrtLayers: layers,
  });
  try {
    const reduced = tf.tidy(() =>
      layers.map((name) => {
        const a = g.activations[name]!;
        const grad = g.layerGrads[name]!;
        const axes = a.rank === 4 ? [0, 1, 2] : [0];
        const spatial = a.rank === 4 ? [1, 2] : [];
        const product = tf.mul(a, grad);
        const perImage = spatial.length ? tf.mean(product, spatial) : product;
        return tf.stack([
          tf.mean(a, axes),
          tf.mean(tf.cast(tf.greater(a, 0), "float32"), axes),
          tf.max(a, axes),
          tf.mean(tf.abs(perImage), 0),
        ]);
      })
    );
    const m = x.shape[0];
    const out: LayerNeuronStats[] = [];
    for (let i = 0; i < layers.length; i++) {
      const v = await reduced[i]!.data();
      const k = v.length / 4;
      out.push({
        layer: layers[i]!,
        units: k,
        count: m,
        mean: Float64Array.from(v.subarray(0, k)),
        activeFraction: Float64Array.from(v.subarray(k, 2 * k)),
        max: Float64Array.from(v.subarray(2 * k, 3 * k)),
        taylor: Float64Array.from(v.subarray(3 * k, 4 * k)),
      });
    }
    tf.dispose(reduced);
    return out;
  } finally {
    disposeGradients(g);
  }
}

/**
 * Merges two partial results over disjoint image sets (the "merge" step):
 * counts add, means are count-weighted, maxima take the max.
 *
 * @param a statistics of some images
 * @param b statistics of other images, same layers in the same order
 * @returns statistics of both
 */
export function mergeNeuronStats(
  a: readonly LayerNeuronStats[],
  b: readonly LayerNeuronStats[],
): LayerNeuronStats[] {
  return a.map((sa, i) => {
    const sb = b[i]!;
    if (sb.layer !== sa.layer || sb.units !== sa.units) {
      throw new RangeError(`Cannot merge statistics of ${sa.layer} with ${sb.layer}`);
    }
    const count = sa.count + sb.count;
    const wa = sa.count / count;
    const wb = sb.count / count;
    const mix = (x: Float64Array, y: Float64Array) => x.map((v, j) => v * wa + y[j]! * wb);
    return {
      layer: sa.layer,
      units: sa.units,
      count,
      mean: mix(sa.mean, sb.mean),
      activeFraction: mix(sa.activeFraction, sb.activeFraction),
      max: sa.max.map((v, j) => Math.max(v, sb.max[j]!)),
      taylor: mix(sa.taylor, sb.taylor),
    };
  });
}

/** One neuron of a {@link rankByTaylor} ranking. */
export interface TaylorRankedNeuron {
  layer: string;
  unit: number;
  /** Taylor importance divided by the L2 norm of its layer's importances. */
  score: number;
  taylor: number;
  meanActivation: number;
  activeFraction: number;
  maxActivation: number;
}

/**
 * Ranks every unit of every layer by layer-normalised Taylor importance
 * (Molchanov et al. 2017, eq. 9), most important first; ties by layer, then
 * unit. Cheap (one pass over the data), so the fallback when NeuronIM's
 * feature visualisations are too costly.
 *
 * @param stats what {@link neuronStats} returned
 * @returns every unit, most important first
 * @example
 * ```ts
 * import { rankByTaylor, type LayerNeuronStats } from "./activation_stats.ts";
 * const f = (a: number[]) => Float64Array.from(a);
 * const stats: LayerNeuronStats[] = [{ layer: "c", units: 2, count: 1, mean: f([1, 1]),
 *   activeFraction: f([1, 1]), max: f([1, 1]), taylor: f([0.3, 0.4]) }];
 * const ranked = rankByTaylor(stats);
 * if (!(ranked[0]!.unit === 1 && Math.abs(ranked[0]!.score - 0.8) < 1e-12)) throw new Error();
 * ```
 */
export function rankByTaylor(stats: readonly LayerNeuronStats[]): TaylorRankedNeuron[] {
  const ranked: TaylorRankedNeuron[] = [];
  for (const s of stats) {
    let sum = 0;
    for (const t of s.taylor) sum += t * t;
    const norm = Math.sqrt(sum) || 1;
    for (let k = 0; k < s.units; k++) {
      ranked.push({
        layer: s.layer,
        unit: k,
        score: s.taylor[k]! / norm,
        taylor: s.taylor[k]!,
        meanActivation: s.mean[k]!,
        activeFraction: s.activeFraction[k]!,
        maxActivation: s.max[k]!,
      });
    }
  }
  return ranked.sort((a, b) =>
    b.score - a.score || a.layer.localeCompare(b.layer) || a.unit - b.unit
  );
}
