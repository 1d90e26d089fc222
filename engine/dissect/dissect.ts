/**
 * Network dissection (Bau et al. 2017, "Network Dissection: Quantifying
 * Interpretability of Deep Visual Representations", §2; METHODS.md §6): every
 * unit of chosen layers labelled with the concept whose masks best overlap its
 * thresholded activation maps.
 *
 * Two passes over the probe data, nothing stored between them but small
 * per-layer accumulators (memory independent of the number of images):
 *
 * 1. thresholds T_k: the q = 0.995 quantile of unit k's activations over every
 *    position of every image, from a mergeable histogram sketch built on the
 *    device (error ≤ one bin width, reported per unit), or exactly by a full
 *    sort with `exact: true` (memory grows; for small probe sets);
 * 2. the IoU tally ({@link tallyBatch}): intersections of all units × concepts
 *    as one matmul per batch and layer.
 *
 * A unit's label is the arg-max concept; it is a detector when that IoU
 * exceeds the threshold (0.04). The full IoU matrix [K, C] of every layer is
 * kept, so {@link summarizeDissection} can recount at any threshold (widgets
 * do that in the browser).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ConceptSet } from "../data/types.ts";
import { runNet } from "../net/executor.ts";
import { convLayers, getLayer, type Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";
import { fixed, formatTable } from "../report/table.ts";
import {
  emptySketch,
  exactQuantiles,
  mergeSketches,
  type QuantileSketch,
  sketchBatch,
  sketchQuantiles,
} from "../stats/quantile.ts";
import {
  asSource,
  categoryOfKey,
  checkLabelMaps,
  type ConceptSource,
  type ProbeData,
} from "./probe.ts";
import {
  emptyTally,
  type LayerTally,
  mergeTallies,
  planTally,
  tallyBatch,
  tallyIoU,
} from "./tally.ts";

/** Options of {@link dissect}. */
export interface DissectOptions {
  /** Layers to dissect (4-D outputs). Default: every conv layer. */
  layers?: readonly string[];
  /** IoU above which a unit is a detector of its label. Default 0.04. */
  iouThreshold?: number;
  /** Activation quantile used as each unit's threshold. Default 0.995. */
  quantile?: number;
  /** Images per forward pass. Default 32. */
  batchSize?: number;
  /** Concept categories to count, in report order. Default: every category of the probe's label maps that has concepts, in vocabulary order. */
  categories?: readonly string[];
  /** Called after each batch with (work done, total); the total is 2·N (two passes). Default: none. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Channel-space rotation per layer, K×K row-major (e.g. from
   * `randomRotation`): the units dissected are those of the rotated basis,
   * A' = A·Q at every position. Default: none.
   */
  rotation?: Readonly<Record<string, Float64Array>>;
  /** Histogram bins per unit of the quantile sketch. Default 2048. */
  bins?: number;
  /** Exact thresholds by a full sort (memory grows with the probe set). Default false. */
  exact?: boolean;
  /**
   * A counted concept with no pixel in the whole probe set: `"error"`
   * (default, a RangeError naming them) or `"skip"` (left out of the columns
   * and listed in `skippedConcepts`).
   */
  emptyConcepts?: "error" | "skip";
}

/** The label of one unit. */
export interface UnitLabel {
  unit: number;
  /** Best concept's name. */
  concept: string;
  /** Its category. */
  category: string;
  /** Its IoU. */
  iou: number;
}

/** Detector counts of one layer (overall and per category). */
export interface LayerSummary {
  layer: string;
  units: number;
  /** Units whose best IoU exceeds the threshold. */
  detectors: number;
  /** Distinct labels among detectors. */
  uniqueConcepts: number;
  /** The same per category of the label. */
  byCategory: Record<string, { detectors: number; uniqueConcepts: number }>;
}

/** Dissection of one layer. */
export interface LayerDissection {
  layer: string;
  units: number;
  /** T_k per unit. */
  thresholds: Float64Array;
  /** Error bound of T_k (a histogram bin width; 0 when exact). */
  thresholdError: Float64Array;
  /** IoU of every unit with every concept column, [K, C] row-major. */
  iou: Float32Array;
  /** Best concept per unit. */
  labels: UnitLabel[];
  /** Counts at the result's `iouThreshold`. */
  summary: LayerSummary;
  /** Whether a rotation was applied to this layer's channels. */
  rotated: boolean;
}

/** What {@link dissect} returns: plain data (a widget can re-threshold it). */
export interface DissectionResult {
  /** Probe set name. */
  probe: string;
  /** Images dissected. */
  images: number;
  quantile: number;
  iouThreshold: number;
  /** Categories counted, in report order. */
  categories: string[];
  /** The IoU columns: name and category of each. */
  concepts: { name: string; category: string }[];
  /** Concepts left out because no pixel had them (`emptyConcepts: "skip"`). */
  skippedConcepts: string[];
  layers: LayerDissection[];
}

/**
 * Dissects layers of a network on probe data with concept masks (Bau et al.
 * 2017, eq. 1–2; see the module doc).
 *
 * @param net the network (inputs must match the probe images' size)
 * @param probe a ConceptSet or a {@link ConceptSource} (shards, bounded memory)
 * @param options see {@link DissectOptions}
 * @returns per layer: thresholds, IoU [K, C], labels, detector counts
 * @throws {RangeError} for masks whose size does not match the images, an
 *   unknown layer, a concept with no pixels (unless skipped), bad options
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { dissect } from "./dissect.ts";
 * // One 1×1 conv unit that copies the red channel; concept "red" on the one red
 * // pixel. It covers 1/256 < 0.5 % of the probe, so the 0.995-quantile mask is exact.
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 1, kernelSize: 1, name: "c",
 *     weights: [tf.tensor4d([1, 0, 0], [1, 1, 3, 1]), tf.tensor1d([0])] }),
 *   tfl.layers.flatten({}), tfl.layers.dense({ units: 2 }) ] });
 * const images = new Float32Array(4 * 64 * 3);
 * const color = new Int16Array(4 * 64).fill(-1);
 * images[3 * 70] = 1;
 * color[70] = 0;
 * const probe = { name: "toy", images, shape: [4, 8, 8, 3] as [number, number, number, number],
 *   labels: new Int32Array(4), classNames: ["a", "b"],
 *   concepts: [{ id: 0, name: "red", category: "color" }], labelMaps: { color } };
 * const r = await dissect(wrapModel(model), probe, { exact: true });
 * if (r.layers[0]!.labels[0]!.concept !== "red" || r.layers[0]!.labels[0]!.iou !== 1) throw new Error("bad");
 * model.dispose();
 * ```
 */
export async function dissect(
  net: Net,
  probe: ProbeData,
  options: DissectOptions = {},
): Promise<DissectionResult> {
  const source: ConceptSource = "load" in probe ? probe : asSource(probe);
  const n = source.count;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`probe ${source.name} has no images`);
  const layers = [...(options.layers ?? convLayers(net).map((l) => l.name))];
  if (layers.length === 0) throw new RangeError(`${net.name} has no conv layers to dissect`);
  for (const name of layers) {
    const info = getLayer(net, name);
    if (info.outputShape.length !== 3) {
      throw new TypeError(
        `layer ${name} outputs [${info.outputShape}]; dissection needs a [h, w, K] feature map`,
      );
    }
  }
  const q = options.quantile ?? 0.995;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const iouThreshold = options.iouThreshold ?? 0.04;
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) {
    throw new RangeError(`iouThreshold must be in [0, 1], got ${iouThreshold}`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const rotation = options.rotation ?? {};
  const units = layers.map((name) => getLayer(net, name).units);
  for (const [name, qm] of Object.entries(rotation)) {
    const i = layers.indexOf(name);
    if (i < 0) throw new RangeError(`rotation given for ${name}, which is not dissected`);
    if (qm.length !== units[i]! ** 2) {
      throw new RangeError(
        `rotation of ${name} has ${qm.length} entries, expected K·K = ${units[i]! ** 2}`,
      );
    }
  }
  const progress = options.onProgress;
  const concepts = source.concepts;

  // Pass 1: thresholds, and which concepts occur at all.
  const sketchOptions = options.bins === undefined ? {} : { bins: options.bins };
  const sketches: QuantileSketch[] = units.map((k) => emptySketch(k, sketchOptions));
  const exactColumns: number[][][] | null = options.exact
    ? units.map((k) => Array.from({ length: k }, () => []))
    : null;
  const seen = new Float64Array(concepts.length);
  let mapKeys: string[] | null = null;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const shard = await source.load(start, end);
    checkShard(net, shard, end - start, seen);
    mapKeys ??= Object.keys(shard.labelMaps);
    const acts = activations(net, shard, layers, rotation);
    try {
      for (let i = 0; i < layers.length; i++) {
        if (exactColumns) {
          const v = await acts[i]!.data();
          const k = units[i]!;
          const cols = exactColumns[i]!;
          for (let p = 0; p < v.length; p++) cols[p % k]!.push(v[p]!);
        } else {
          sketches[i] = mergeSketches(sketches[i]!, await sketchBatch(acts[i]!, sketchOptions));
        }
      }
    } finally {
      tf.dispose(acts);
    }
    progress?.(end, 2 * n);
  }
  const thresholds = layers.map((_, i) => {
    if (exactColumns) {
      const t = exactQuantiles(exactColumns[i]!, q);
      return { values: t, binWidth: new Float64Array(t.length) };
    }
    return sketchQuantiles(sketches[i]!, q);
  });

  const present = [...new Set((mapKeys ?? []).map(categoryOfKey))];
  const categories = [...(options.categories ?? orderCategories(present, concepts))];
  for (const c of categories) {
    if (!present.includes(c)) {
      throw new RangeError(
        `category ${c} has no label map in ${source.name}; it has: ${present.join(", ")}`,
      );
    }
  }
  const empty = concepts.filter((c) => categories.includes(c.category) && seen[c.id] === 0);
  if (empty.length > 0 && (options.emptyConcepts ?? "error") === "error") {
    throw new RangeError(
      `concept${empty.length > 1 ? "s" : ""} ${
        empty.map((c) => `${c.name} (${c.category})`).join(", ")
      } ha${empty.length > 1 ? "ve" : "s"} no pixels anywhere in ${source.name}: ` +
        `IoU would be undefined; pass emptyConcepts: "skip" to leave them out`,
    );
  }
  const plan = planTally(concepts, categories, new Set(empty.map((c) => c.id)));

  // Pass 2: the tally.
  let tallies: LayerTally[] = layers.map((name, i) => emptyTally(name, units[i]!, plan));
  const t32 = thresholds.map((t) => Float32Array.from(t.values));
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const shard = await source.load(start, end);
    // Pass 1 validated this data in full; a changed shard would show in its size.
    if (shard.shape[0] !== end - start) {
      throw new RangeError(`probe shard has ${shard.shape[0]} images, expected ${end - start}`);
    }
    const acts = activations(net, shard, layers, rotation);
    try {
      const parts = await tallyBatch(
        layers.map((layer, i) => ({ layer, activations: acts[i]!, thresholds: t32[i]! })),
        shard,
        plan,
      );
      tallies = tallies.map((t, i) => mergeTallies(t, parts[i]!));
    } finally {
      tf.dispose(acts);
    }
    progress?.(n + end, 2 * n);
  }

  const columns = Array.from(plan.conceptIds, (id) => ({
    name: concepts[id]!.name,
    category: concepts[id]!.category,
  }));
  const result: DissectionResult = {
    probe: source.name,
    images: n,
    quantile: q,
    iouThreshold,
    categories,
    concepts: columns,
    skippedConcepts: empty.map((c) => c.name),
    layers: layers.map((layer, i) => {
      const iou = tallyIoU(tallies[i]!, plan);
      return {
        layer,
        units: units[i]!,
        thresholds: thresholds[i]!.values,
        thresholdError: thresholds[i]!.binWidth,
        iou,
        labels: labelUnits(iou, units[i]!, columns),
        summary: { layer, units: 0, detectors: 0, uniqueConcepts: 0, byCategory: {} },
        rotated: layer in rotation,
      };
    }),
  };
  const summaries = summarizeDissection(result, iouThreshold);
  result.layers.forEach((l, i) => (l.summary = summaries[i]!));
  return result;
}

/**
 * Best concept of every unit from an IoU matrix (ties: the first column).
 *
 * @param iou [K, C] row-major
 * @param units K
 * @param columns name and category of each column
 * @returns one label per unit
 * @example
 * ```ts
 * import { labelUnits } from "./dissect.ts";
 * const [l] = labelUnits(Float32Array.from([0.1, 0.3]), 1, [{ name: "a", category: "x" }, { name: "b", category: "x" }]);
 * if (l!.concept !== "b") throw new Error("bad label");
 * ```
 */
export function labelUnits(
  iou: Float32Array,
  units: number,
  columns: readonly { name: string; category: string }[],
): UnitLabel[] {
  const c = columns.length;
  return Array.from({ length: units }, (_, k) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (iou[k * c + j]! > iou[k * c + best]!) best = j;
    const col = columns[best]!;
    return { unit: k, concept: col.name, category: col.category, iou: iou[k * c + best] ?? 0 };
  });
}

/**
 * Recounts detectors at any IoU threshold from a result's IoU matrices (a pure
 * function; widgets call it in the browser).
 *
 * @param result a dissection result
 * @param threshold IoU above which a unit is a detector (default: the result's)
 * @returns one summary per layer
 * @example
 * ```ts
 * import { summarizeDissection } from "./dissect.ts";
 * const r = { probe: "p", images: 1, quantile: 0.995, iouThreshold: 0.04, categories: ["x"],
 *   concepts: [{ name: "a", category: "x" }], skippedConcepts: [],
 *   layers: [{ layer: "l", units: 2, iou: Float32Array.from([0.5, 0.01]) }] };
 * // deno-lint-ignore no-explicit-any
 * const [s] = summarizeDissection(r as any, 0.04);
 * if (s!.detectors !== 1 || s!.byCategory.x!.uniqueConcepts !== 1) throw new Error("bad");
 * ```
 */
export function summarizeDissection(
  result: Pick<DissectionResult, "categories" | "concepts" | "iouThreshold"> & {
    layers: readonly Pick<LayerDissection, "layer" | "units" | "iou">[];
  },
  threshold: number = result.iouThreshold,
): LayerSummary[] {
  return result.layers.map((l) => {
    const labels = labelUnits(l.iou, l.units, result.concepts);
    const det = labels.filter((u) => u.iou > threshold);
    const byCategory: LayerSummary["byCategory"] = {};
    for (const cat of result.categories) {
      const d = det.filter((u) => u.category === cat);
      byCategory[cat] = {
        detectors: d.length,
        uniqueConcepts: new Set(d.map((u) => u.concept)).size,
      };
    }
    return {
      layer: l.layer,
      units: l.units,
      detectors: det.length,
      uniqueConcepts: new Set(det.map((u) => u.concept)).size,
      byCategory,
    };
  });
}

/**
 * A text table of detectors per layer and category: "detectors (unique concepts)".
 *
 * @param result a dissection result
 * @param options `threshold` (default: the result's), `title` (default none)
 * @returns the table
 * @example
 * ```ts
 * import { formatDissection } from "./dissect.ts";
 * const r = { probe: "p", images: 1, quantile: 0.995, iouThreshold: 0.04, categories: ["x"],
 *   concepts: [{ name: "a", category: "x" }], skippedConcepts: [],
 *   layers: [{ layer: "l", units: 1, iou: Float32Array.from([0.5]) }] };
 * // deno-lint-ignore no-explicit-any
 * if (!formatDissection(r as any).includes("1 (1)")) throw new Error("bad table");
 * ```
 */
export function formatDissection(
  result: DissectionResult,
  options: { threshold?: number; title?: string } = {},
): string {
  const threshold = options.threshold ?? result.iouThreshold;
  const rows = summarizeDissection(result, threshold).map((s) => [
    s.layer,
    s.units,
    `${s.detectors} (${s.uniqueConcepts})`,
    ...result.categories.map((c) => {
      const b = s.byCategory[c]!;
      return `${b.detectors} (${b.uniqueConcepts})`;
    }),
  ]);
  const head = options.title ? `${options.title}\n` : "";
  return head + formatTable(["layer", "units", "detectors (unique)", ...result.categories], rows) +
    `\n${result.images} probe images, IoU > ${fixed(threshold, 3)}, quantile ${result.quantile}`;
}

/** Runs the net on a shard and returns each layer's (rotated) activations; the caller disposes. */
function activations(
  net: Net,
  shard: ConceptSet,
  layers: readonly string[],
  rotation: Readonly<Record<string, Float64Array>>,
): tf.Tensor[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(shard.images, shard.shape);
    const { output, captured } = runNet(net, x, { capture: layers, skipOutput: true });
    output.dispose();
    return layers.map((name) => {
      const a = captured[name]!;
      const qm = rotation[name];
      if (!qm) return a;
      const k = a.shape[3]!;
      const flat = tf.matMul(tf.reshape(a, [-1, k]), tf.tensor2d(Float32Array.from(qm), [k, k]));
      return tf.reshape(flat, a.shape);
    });
  });
}

function checkShard(net: Net, shard: ConceptSet, expected: number, seen: Float64Array): void {
  if (shard.shape[0] !== expected) {
    throw new RangeError(`probe shard has ${shard.shape[0]} images, expected ${expected}`);
  }
  checkImageSet(net, shard);
  checkLabelMaps(shard, { counts: seen });
}

/** Categories present in the label maps that have concepts, in vocabulary order. */
function orderCategories(present: string[], concepts: readonly { category: string }[]): string[] {
  const order: string[] = [];
  // A category without concepts in the vocabulary has nothing to count.
  for (const c of concepts) {
    if (present.includes(c.category) && !order.includes(c.category)) order.push(c.category);
  }
  return order;
}
