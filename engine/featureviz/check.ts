/**
 * Does a feature visualisation actually maximise its neuron? Compares each
 * neuron's activation on its own visualisation (Olah et al. 2017) with the
 * 99th percentile of its scalar activation over a data set (issue 5's
 * acceptance test: viz > p99 for at least 90 % of the neurons).
 *
 * The data-set activations of every requested layer come from one capture
 * pass per batch; each batch is folded into per-image scalar activations
 * ([N, C] per layer: a few MB for thousands of images) and the percentiles
 * are exact (sorted, linear interpolation as numpy's default).
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { maximisationCheck } from "./check.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({ name: "flat" }),
 * ] });
 * const data = { name: "grey", images: new Float32Array(4 * 36).fill(0.5), shape: [4, 6, 6, 1] as [number, number, number, number],
 *   labels: new Int32Array(4), classNames: ["x"] };
 * const r = await maximisationCheck(wrapModel(model), "conv", data, { featureViz: { steps: 2 } });
 * if (r.layers[0]!.units.length !== 2) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
import { quantileSorted } from "../stats/rank.ts";
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import type { Net } from "../net/net.ts";
import {
  checkVizLayer,
  featureVisualization,
  type FeatureViz,
  type FeatureVizOptions,
  unitActivations,
  type UnitReduce,
} from "./feature_viz.ts";

/** Options of {@link maximisationCheck}. */
export interface MaximisationCheckOptions {
  /** Options of the visualisations computed here (ignored for layers in `visualizations`). Default: defaults. */
  featureViz?: FeatureVizOptions;
  /** Visualisations already computed, reused instead of computing them (matched by layer). Default: none. */
  visualizations?: readonly FeatureViz[];
  /** Percentile of the data-set activations to beat, in (0, 100]. Default 99. */
  percentile?: number;
  /** Images per forward pass over the data set. Default 64. */
  batchSize?: number;
  /** Called with (images done, total) during the data-set pass. */
  onProgress?: (done: number, total: number) => void;
}

/** The check for one layer. */
export interface LayerMaximisation {
  layer: string;
  units: Int32Array;
  /** Activation on the unit's own visualisation. */
  vizActivation: Float64Array;
  /** The unit's percentile activation over the data set. */
  datasetPercentile: Float64Array;
  /** The unit's largest activation over the data set. */
  datasetMax: Float64Array;
  /** 1 where vizActivation > datasetPercentile. */
  passed: Uint8Array;
  /** Fraction of units that passed. */
  fraction: number;
  /**
   * 1 for units whose activation is ≤ 0 on every image of the data set
   * (dead ReLUs of the trained model: nothing to beat, and usually nothing
   * to find).
   */
  deadOnData: Uint8Array;
  /** Fraction of passed units among those not dead on the data (NaN if none). */
  fractionLive: number;
  /** The visualisations (computed here or given). */
  viz: FeatureViz;
}

/** Result of {@link maximisationCheck}. */
export interface MaximisationCheck {
  percentile: number;
  images: number;
  layers: LayerMaximisation[];
  /** Fraction of all units (every layer) that passed. */
  fraction: number;
  /** The same among units not dead on the data (NaN if none). */
  fractionLive: number;
}

/**
 * Checks that each neuron's feature visualisation (Olah et al. 2017) drives
 * it harder than its `percentile` activation over a data set.
 *
 * @param net the network
 * @param layers one layer name or several
 * @param data the reference images (e.g. the test set)
 * @param options see {@link MaximisationCheckOptions}
 * @returns per layer and overall: activations, percentiles, pass fraction
 * @throws {RangeError} for an empty data set, a wrongly shaped one, an
 *   unknown layer or a bad percentile; {@link TypeError} for a layer without neurons
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { maximisationCheck } from "./check.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.dense({ inputShape: [2, 2, 1], units: 1, name: "d", useBias: false }),
 * ] });
 * const data = { name: "zeros", images: new Float32Array(8), shape: [2, 2, 2, 1] as [number, number, number, number],
 *   labels: new Int32Array(2), classNames: ["x"] };
 * const r = await maximisationCheck(wrapModel(model), ["d"], data, { featureViz: { steps: 1 } });
 * if (r.images !== 2) throw new Error("example failed");
 * model.dispose();
 * ```
 */
export async function maximisationCheck(
  net: Net,
  layers: string | readonly string[],
  data: ImageSet,
  options: MaximisationCheckOptions = {},
): Promise<MaximisationCheck> {
  const names = typeof layers === "string" ? [layers] : [...layers];
  if (names.length === 0) throw new RangeError("layers must name at least one layer");
  const infos = names.map((n) => checkVizLayer(net, n));
  const percentile = options.percentile ?? 99;
  if (!(percentile > 0 && percentile <= 100)) {
    throw new RangeError(`percentile must be in (0, 100], got ${percentile}`);
  }
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const [n, h, w, c] = data.shape;
  const [eh, ew, ec] = net.inputShape;
  if (n === 0 || data.images.length === 0) {
    throw new RangeError(`data set "${data.name}" is empty: the check needs at least one image`);
  }
  if (h !== eh || w !== ew || c !== ec || data.images.length !== n * h * w * c) {
    throw new RangeError(
      `data set "${data.name}" has shape [${data.shape}] (${data.images.length} values); ` +
        `${net.name} expects [N, ${eh}, ${ew}, ${ec}]`,
    );
  }

  // Visualisations first: the reduce they used decides the data-set reduce.
  const vizs: FeatureViz[] = [];
  for (const name of names) {
    const given = options.visualizations?.find((v) => v.layer === name);
    vizs.push(given ?? await featureVisualization(net, name, options.featureViz ?? {}));
  }
  const reduces = vizs.map((v) => v.options.reduce);
  const acts = await datasetActivations(net, names, reduces, data, batchSize, options.onProgress);

  const out: LayerMaximisation[] = [];
  let passedAll = 0, unitsAll = 0, liveAll = 0, livePassedAll = 0;
  names.forEach((layer, li) => {
    const viz = vizs[li]!;
    const units = infos[li]!.units;
    const a = acts[li]!;
    const k = viz.units.length;
    const vizActivation = Float64Array.from(viz.activations);
    const datasetPercentile = new Float64Array(k);
    const datasetMax = new Float64Array(k);
    const passed = new Uint8Array(k);
    const deadOnData = new Uint8Array(k);
    const column = new Float64Array(n);
    for (let i = 0; i < k; i++) {
      const u = viz.units[i]!;
      for (let j = 0; j < n; j++) column[j] = a[j * units + u]!;
      column.sort();
      datasetPercentile[i] = quantileSorted(column, percentile / 100);
      datasetMax[i] = column[n - 1]!;
      passed[i] = vizActivation[i]! > datasetPercentile[i]! ? 1 : 0;
      deadOnData[i] = datasetMax[i]! <= 0 ? 1 : 0;
    }
    const count = passed.reduce((s, v) => s + v, 0);
    const live = k - deadOnData.reduce((s, v) => s + v, 0);
    const liveCount = passed.reduce((s, v, i) => s + (deadOnData[i] ? 0 : v), 0);
    passedAll += count;
    unitsAll += k;
    liveAll += live;
    livePassedAll += liveCount;
    out.push({
      layer,
      units: viz.units,
      vizActivation,
      datasetPercentile,
      datasetMax,
      passed,
      fraction: count / k,
      deadOnData,
      fractionLive: live > 0 ? liveCount / live : NaN,
      viz,
    });
  });
  return {
    percentile,
    images: n,
    layers: out,
    fraction: passedAll / unitsAll,
    fractionLive: liveAll > 0 ? livePassedAll / liveAll : NaN,
  };
}

/** Per-image scalar activations [N·C] of each layer, one capture pass per batch. */
async function datasetActivations(
  net: Net,
  layers: string[],
  reduces: UnitReduce[],
  data: ImageSet,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const [n, h, w, c] = data.shape;
  const per = h * w * c;
  const units = layers.map((l) => net.layers.find((x) => x.name === l)!.units);
  const out = units.map((u) => new Float32Array(n * u));
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const reduced = tf.tidy(() => {
      const x = tf.tensor4d(data.images.subarray(start * per, (start + b) * per), [b, h, w, c]);
      const { captured } = runNet(net, x, { capture: layers, skipOutput: true });
      return layers.map((l, i) => unitActivations(captured[l]!, reduces[i]));
    });
    try {
      for (let i = 0; i < layers.length; i++) {
        out[i]!.set(await reduced[i]!.data() as Float32Array, start * units[i]!);
      }
    } finally {
      tf.dispose(reduced);
    }
    onProgress?.(start + b, n);
  }
  return out;
}

// Re-exported: the maximisation check is where it was first needed.
export { quantileSorted };
