/**
 * Feature correlation of the hybrid CNN interpreter (seed 004, body not
 * available; **interpretation**, METHODS.md §7): per layer, the C×C Pearson
 * correlation of the channels' pooled activations (spatial mean per image)
 * over a probe set, with a cluster ordering (average linkage on 1 − |r|,
 * dendrogram leaf order) so that correlated groups sit together.
 *
 * Streamed: each batch is reduced on the device to Σ(x − s) [C] and
 * Σ(x − s)(x − s)ᵀ [C, C] around a shift s (the first batch's mean, which
 * avoids the cancellation of raw Σxxᵀ in float32), read back once and added
 * in float64. Partial sums merge exactly ({@link mergeCorrelationSums}), so
 * memory does not depend on the number of images and work can be sharded.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Net } from "../net/net.ts";
import { clusterOrder } from "../stats/cluster.ts";
import { forEachPooledBatch, type Pooling, type ProbeImages, probeLayers } from "./_features.ts";

/** Mergeable partial sums of one layer (the "map" result of a batch). */
export interface CorrelationSums {
  /** Layer name. */
  layer: string;
  /** Channels C. */
  channels: number;
  /** Images folded in. */
  count: number;
  /** The shift s, length C. */
  shift: Float64Array;
  /** Σ (x − s), length C. */
  sum: Float64Array;
  /** Σ (x − s)(x − s)ᵀ, row-major C×C. */
  cross: Float64Array;
}

/** The correlation of one layer. */
export interface LayerCorrelation {
  /** Layer name. */
  layer: string;
  /** Channels C. */
  channels: number;
  /** Images used. */
  count: number;
  /** Row-major C×C Pearson r; a constant channel gets r = 0 with others and 1 with itself. */
  matrix: Float64Array;
  /** Channels in cluster order (a permutation of 0..C−1). */
  order: number[];
  /** Channels whose pooled activation did not vary over the set. */
  constant: number[];
  /** Mean pooled activation per channel. */
  mean: Float64Array;
}

/** Options of {@link featureCorrelation}. */
export interface FeatureCorrelationOptions {
  /** Layers (conv or dense, ≥ 2 channels). Default: every conv layer. */
  layers?: readonly string[];
  /** Images per pass. Default: 64. */
  batchSize?: number;
  /** Channel value per image: spatial `mean` (default) or `max`. */
  pooling?: Pooling;
  /**
   * Distance the cluster ordering uses: `absolute` 1 − |r| (default, so
   * anti-correlated channels group too) or `signed` 1 − r.
   */
  distance?: "absolute" | "signed";
}

/**
 * Pearson correlation of pooled channel activations per layer, with a cluster order (METHODS.md §7).
 *
 * @param net the network
 * @param set the probe images ({ images, shape, name }, e.g. an ImageSet)
 * @param options see {@link FeatureCorrelationOptions}
 * @returns one record per layer, in the order asked
 * @throws {RangeError} for a layer with fewer than 2 channels, unknown
 *   layers, an empty set, or a set of a single image (no correlation)
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { featureCorrelation } from "./feature_correlation.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 3, name: "conv" }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)),
 *   shape: [3, 4, 4, 1] as [number, number, number, number] };
 * const [c] = await featureCorrelation(net, set);
 * if (!(c!.matrix.length === 9 && c!.order.length === 3)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function featureCorrelation(
  net: Net,
  set: ProbeImages,
  options: FeatureCorrelationOptions = {},
): Promise<LayerCorrelation[]> {
  const layers = probeLayers(net, options.layers);
  for (const name of layers) {
    const units = net.layers.find((l) => l.name === name)!.outputShape.at(-1)!;
    if (units < 2) {
      throw new RangeError(
        `Layer "${name}" has ${units} channel; a correlation matrix needs at least 2`,
      );
    }
  }
  let sums: CorrelationSums[] | null = null;
  await forEachPooledBatch(net, set, layers, options.batchSize ?? 64, async (pooled) => {
    const part: CorrelationSums[] = [];
    for (const layer of layers) part.push(await batchSums(layer, pooled[layer]!, sums));
    sums = sums ? mergeCorrelationSums(sums, part) : part;
  }, options.pooling ?? "mean");
  const distance = options.distance ?? "absolute";
  if (distance !== "absolute" && distance !== "signed") {
    throw new TypeError(`distance is "${distance}"; expected "absolute" or "signed"`);
  }
  return (sums as unknown as CorrelationSums[]).map((s) => correlationOf(s, distance));
}

/** One batch [m, C] → its sums around the running shift (or its own mean at first). */
async function batchSums(
  layer: string,
  x: tf.Tensor2D,
  previous: CorrelationSums[] | null,
): Promise<CorrelationSums> {
  const [m, c] = x.shape;
  const prev = previous?.find((s) => s.layer === layer);
  const [shiftT, sumT, crossT] = tf.tidy(() => {
    const shift = prev ? tf.tensor1d(Float32Array.from(prev.shift)) : tf.mean(x, 0);
    const d = tf.sub(x, shift);
    // Transpose first: matMul with transposeA is slow on WASM.
    return [shift, tf.sum(d, 0), tf.matMul(tf.transpose(d), d)];
  });
  try {
    return {
      layer,
      channels: c,
      count: m,
      shift: Float64Array.from(await shiftT.data()),
      sum: Float64Array.from(await sumT.data()),
      cross: Float64Array.from(await crossT.data()),
    };
  } finally {
    tf.dispose([shiftT, sumT, crossT]);
  }
}

/**
 * Merges partial sums of disjoint image sets (the "merge" step), exactly,
 * re-centring b on a's shift: with δ = s_b − s_a,
 * Σ(x − s_a) = Σ(x − s_b) + n δ and
 * Σ(x − s_a)(x − s_a)ᵀ = S_b + Σ_b δᵀ + δ Σ_bᵀ + n δδᵀ.
 *
 * @param a sums of some images, per layer
 * @param b sums of other images, same layers in the same order
 * @returns sums of both, around a's shifts
 * @throws {RangeError} when the layers or channel counts differ
 */
export function mergeCorrelationSums(
  a: readonly CorrelationSums[],
  b: readonly CorrelationSums[],
): CorrelationSums[] {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot merge sums of ${a.length} layers with sums of ${b.length}`);
  }
  return a.map((sa, li) => {
    const sb = b[li]!;
    if (sa.layer !== sb.layer || sa.channels !== sb.channels) {
      throw new RangeError(
        `Cannot merge sums of ${sa.layer} (${sa.channels}) with ${sb.layer} (${sb.channels})`,
      );
    }
    const c = sa.channels;
    const n = sb.count;
    const delta = sb.shift.map((v, i) => v - sa.shift[i]!);
    const sum = sa.sum.map((v, i) => v + sb.sum[i]! + n * delta[i]!);
    const cross = new Float64Array(c * c);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        cross[i * c + j] = sa.cross[i * c + j]! + sb.cross[i * c + j]! +
          sb.sum[i]! * delta[j]! + delta[i]! * sb.sum[j]! + n * delta[i]! * delta[j]!;
      }
    }
    return { layer: sa.layer, channels: c, count: sa.count + n, shift: sa.shift, sum, cross };
  });
}

/**
 * The correlation matrix and cluster order from merged sums.
 *
 * @param s sums over at least 2 images
 * @param distance cluster distance: 1 − |r| (`absolute`, default) or 1 − r (`signed`)
 * @returns the layer's correlation record
 * @throws {RangeError} for fewer than 2 images
 *
 * @example
 * ```ts
 * import { correlationOf, mergeCorrelationSums } from "./feature_correlation.ts";
 * // Rows (0, 0) and (1, 2) around shift 0, then row (2, 4) around shift (2, 4).
 * const a = { layer: "l", channels: 2, count: 2, shift: new Float64Array(2),
 *   sum: Float64Array.from([1, 2]), cross: Float64Array.from([1, 2, 2, 4]) };
 * const b = { layer: "l", channels: 2, count: 1, shift: Float64Array.from([2, 4]),
 *   sum: new Float64Array(2), cross: new Float64Array(4) };
 * const r = correlationOf(mergeCorrelationSums([a], [b])[0]!);
 * if (!(Math.abs(r.matrix[1]! - 1) < 1e-12)) throw new Error("example failed");
 * ```
 */
export function correlationOf(
  s: CorrelationSums,
  distance: "absolute" | "signed" = "absolute",
): LayerCorrelation {
  const { channels: c, count: n } = s;
  if (n < 2) {
    throw new RangeError(`Layer "${s.layer}" saw ${n} image; a correlation needs at least 2`);
  }
  const mean = s.sum.map((v) => v / n);
  const cov = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) cov[i * c + j] = s.cross[i * c + j]! - n * mean[i]! * mean[j]!;
  }
  const sd = Array.from({ length: c }, (_, i) => Math.sqrt(Math.max(cov[i * c + i]!, 0)));
  // Relative test: a channel is constant when its spread is float noise
  // next to its level.
  const constant = sd.map((v, i) =>
    v <= 1e-6 * Math.sqrt(n) * Math.max(1e-6, Math.abs(mean[i]! + s.shift[i]!))
  );
  const matrix = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      matrix[i * c + j] = i === j
        ? 1
        : constant[i] || constant[j]
        ? 0
        : Math.max(-1, Math.min(1, cov[i * c + j]! / (sd[i]! * sd[j]!)));
    }
  }
  return {
    layer: s.layer,
    channels: c,
    count: n,
    matrix,
    order: clusterOrder(matrix.map((r) => 1 - (distance === "signed" ? r : Math.abs(r))), c),
    constant: constant.flatMap((k, i) => (k ? [i] : [])),
    mean: mean.map((v, i) => v + s.shift[i]!),
  };
}
