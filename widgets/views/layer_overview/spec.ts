/**
 * Layer overview, pure part: LayerIM per layer (mean NeuronIM with its
 * median and quartiles, METHODS.md §5) and network dissection detectors per
 * layer stacked by concept category (§6), recounted at any IoU threshold.
 *
 * @module
 */
import { quantileSorted } from "../../../engine/stats/rank.ts";
import * as Plot from "../_shared/plot.ts";
import {
  checkArray,
  checkFinite,
  checkNumber,
  checkString,
  checkStrings,
} from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";

/**
 * State of the layer overview (traits = these keys): per-neuron scores and,
 * optionally, every neuron's IoU with every concept so the browser can
 * relabel and recount at any threshold.
 */
export interface LayerOverviewState {
  /** Title line (user text). */
  title: string;
  /** Per-neuron metric name, e.g. "NeuronIM" (its layer mean is the LayerIM). */
  metric: string;
  /** Layer names (user text), in network order. */
  layers: string[];
  /** Per neuron (N): index into `layers`. */
  layerOf: Int32Array;
  /** Per neuron: channel index in its layer. */
  unit: Int32Array;
  /** Per neuron: the metric (finite). */
  score: Float32Array;
  /** Concept names (C, user text). Required with `iou`. */
  concepts?: string[];
  /** Concept category names (user text), e.g. colour, shape, texture. */
  categories?: string[];
  /** Per concept: index into `categories`. */
  conceptCategory?: Int32Array;
  /** Row-major [N, C]: IoU of each neuron with each concept. */
  iou?: Float32Array;
  /** A neuron detects its best concept when IoU > this. Default: 0.04. */
  iouThreshold?: number;
}

/** The state keys the front end reads. */
export const LAYER_OVERVIEW_TRAITS = [
  "title",
  "metric",
  "layers",
  "layerOf",
  "unit",
  "score",
  "concepts",
  "categories",
  "conceptCategory",
  "iou",
  "iouThreshold",
] as const;

/** The default detector threshold (Bau et al. 2017). */
export const DEFAULT_IOU_THRESHOLD = 0.04;

/** Summary of one layer's scores. */
export interface LayerSummary {
  /** Layer index. */
  index: number;
  layer: string;
  /** Neurons. */
  n: number;
  /** Mean score: the LayerIM when the metric is NeuronIM. */
  mean: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/**
 * Checks an overview state, naming the bad field.
 *
 * @param state the candidate
 * @param view the view named in errors. Default: "layer_overview".
 * @returns the state
 * @throws {TypeError}/{@link RangeError} for a bad field or mismatched sizes
 */
export function checkOverviewState<S extends LayerOverviewState>(
  state: S,
  view = "layer_overview",
): S {
  const v = view;
  checkString(v, "title", state.title);
  checkString(v, "metric", state.metric);
  const layers = checkStrings(v, "layers", state.layers);
  const score = checkArray(v, "score", state.score);
  checkFinite(v, "score", score);
  const n = score.length;
  const layerOf = checkArray(v, "layerOf", state.layerOf, n);
  checkArray(v, "unit", state.unit, n);
  for (let i = 0; i < n; i++) {
    if (!(layerOf[i]! >= 0 && layerOf[i]! < layers.length)) {
      throw new RangeError(
        `${v}: state.layerOf[${i}] is ${layerOf[i]}; expected 0..${layers.length - 1}`,
      );
    }
  }
  if (state.iou !== undefined) {
    const concepts = checkStrings(v, "concepts", state.concepts);
    checkArray(v, "iou", state.iou, n * concepts.length);
    const categories = checkStrings(v, "categories", state.categories);
    const cat = checkArray(v, "conceptCategory", state.conceptCategory, concepts.length);
    for (let c = 0; c < cat.length; c++) {
      if (!(cat[c]! >= 0 && cat[c]! < categories.length)) {
        throw new RangeError(
          `${v}: state.conceptCategory[${c}] is ${cat[c]}; expected 0..${categories.length - 1}`,
        );
      }
    }
  }
  if (state.iouThreshold !== undefined) checkNumber(v, "iouThreshold", state.iouThreshold);
  return state;
}

// The engine's quantile (engine/stats/rank.ts has no imports, so the bundle stays lean).
export { quantileSorted };

/**
 * Per layer: mean, median, quartiles and range of the scores.
 *
 * @param state a checked state
 * @returns one summary per layer (layers without neurons are left out)
 * @example
 * ```ts
 * import { layerSummaries } from "./spec.ts";
 * const [s] = layerSummaries({ title: "", metric: "NeuronIM", layers: ["a"], layerOf: new Int32Array(4),
 *   unit: Int32Array.from([0, 1, 2, 3]), score: Float32Array.from([0, 0.25, 0.5, 1]) });
 * if (s!.median !== 0.375 || s!.q1 !== 0.1875) throw new Error("example failed");
 * ```
 */
export function layerSummaries(state: LayerOverviewState): LayerSummary[] {
  const by: number[][] = state.layers.map(() => []);
  for (let i = 0; i < state.score.length; i++) by[state.layerOf[i]!]!.push(state.score[i]!);
  return by.flatMap((values, index) => {
    if (values.length === 0) return [];
    const s = values.sort((a, b) => a - b);
    return [{
      index,
      layer: state.layers[index]!,
      n: s.length,
      mean: s.reduce((a, b) => a + b, 0) / s.length,
      median: quantileSorted(s, 0.5),
      q1: quantileSorted(s, 0.25),
      q3: quantileSorted(s, 0.75),
      min: s[0]!,
      max: s[s.length - 1]!,
    }];
  });
}

/** Each neuron's best concept (−1 without IoU data) and that IoU. */
export interface BestConcepts {
  concept: Int32Array;
  iou: Float32Array;
}

/**
 * The arg-max concept of every neuron (ties: the first concept): its label
 * whatever the threshold.
 *
 * @param state a checked state
 * @returns per neuron: concept index (−1 when there is no IoU data) and its IoU
 */
export function bestConcepts(state: LayerOverviewState): BestConcepts {
  const n = state.score.length;
  const concept = new Int32Array(n).fill(-1);
  const iou = new Float32Array(n);
  const C = state.concepts?.length ?? 0;
  if (!state.iou || C === 0) return { concept, iou };
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (state.iou[i * C + c]! > state.iou[i * C + best]!) best = c;
    concept[i] = best;
    iou[i] = state.iou[i * C + best]!;
  }
  return { concept, iou };
}

/**
 * Whether a best IoU makes a detector: IoU > threshold, compared at float32
 * precision (IoUs are float32, so a threshold of 0.05 must not pass an IoU of 0.05).
 */
export function isDetector(iou: number, threshold: number): boolean {
  return iou > Math.fround(threshold);
}

/** Detector count of one layer and category. */
export interface DetectorRow {
  layer: string;
  /** Layer index. */
  index: number;
  category: string;
  count: number;
}

/** Detector summary of one layer. */
export interface LayerDetectors {
  layer: string;
  /** Detector units (best IoU > threshold). */
  detectors: number;
  /** Distinct concepts among their labels. */
  uniqueConcepts: number;
}

/**
 * Recounts detectors at a threshold: a neuron is a detector when its best
 * IoU > threshold (strictly); it counts for its label's category.
 *
 * @param state a checked state
 * @param threshold IoU threshold
 * @param best precomputed {@link bestConcepts} (default: computed)
 * @returns rows per layer × category (every pair, zeros included, categories in order) and per-layer totals
 * @example
 * ```ts
 * import { detectorCounts } from "./spec.ts";
 * // Two units, concepts red (colour) and disc (shape); unit 0 is red at 0.3, unit 1 disc at 0.02.
 * const state = { title: "", metric: "m", layers: ["a"], layerOf: new Int32Array(2), unit: Int32Array.from([0, 1]),
 *   score: new Float32Array(2), concepts: ["red", "disc"], categories: ["colour", "shape"],
 *   conceptCategory: Int32Array.from([0, 1]), iou: Float32Array.from([0.3, 0, 0, 0.02]) };
 * if (detectorCounts(state, 0.04).perLayer[0]!.detectors !== 1) throw new Error("example failed");
 * if (detectorCounts(state, 0.01).perLayer[0]!.detectors !== 2) throw new Error("example failed");
 * ```
 */
export function detectorCounts(
  state: LayerOverviewState,
  threshold: number,
  best: BestConcepts = bestConcepts(state),
): { rows: DetectorRow[]; perLayer: LayerDetectors[] } {
  const cats = state.categories ?? [];
  const counts = state.layers.map(() => cats.map(() => 0));
  const unique = state.layers.map(() => new Set<number>());
  for (let i = 0; i < best.concept.length; i++) {
    const c = best.concept[i]!;
    if (c < 0 || !isDetector(best.iou[i]!, threshold)) continue;
    const l = state.layerOf[i]!;
    counts[l]![state.conceptCategory![c]!]!++;
    unique[l]!.add(c);
  }
  const rows = state.layers.flatMap((layer, index) =>
    cats.map((category, k) => ({ layer, index, category, count: counts[index]![k]! }))
  );
  const perLayer = state.layers.map((layer, l) => ({
    layer,
    detectors: counts[l]!.reduce((a, b) => a + b, 0),
    uniqueConcepts: unique[l]!.size,
  }));
  return { rows, perLayer };
}

/** A band x scale over layer names; long names are shortened and tilted (the tip has them whole). */
export function layerAxis(layers: string[]): Plot.ScaleOptions {
  return {
    label: null,
    domain: layers,
    type: "band",
    padding: 0.3,
    tickRotate: -20,
    tickFormat: (d: string) => shorten(d, 18),
  };
}

/** `s` cut to `max` characters with an ellipsis. */
export function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The class of the LayerIM boxes' group (the view tags its rects with the layer). */
export const LAYERIM_CLASS = "nl-overview-layerim";
/** The class of the detector bars' group. */
export const DETECTOR_CLASS = "nl-overview-detectors";

/**
 * Plot options of the LayerIM chart: per layer a quartile box, a min–max
 * whisker, a median tick and a mean dot.
 *
 * @param summaries from {@link layerSummaries}
 * @param options `metric`, `selected` layer index, `width` (default 420)
 * @returns options for `Plot.plot`
 */
export function layerImPlotOptions(
  summaries: LayerSummary[],
  options: { metric: string; selected?: number | null; width?: number },
): Plot.PlotOptions {
  const sel = options.selected ?? null;
  return {
    width: options.width ?? 420,
    height: 240,
    marginLeft: 50,
    marginBottom: 56,
    x: layerAxis(summaries.map((s) => s.layer)),
    y: {
      label: `${options.metric} per layer (box: quartiles, tick: median, dot: mean)`,
      grid: true,
    },
    marks: [
      Plot.ruleX(summaries, { x: "layer", y1: "min", y2: "max", stroke: "#888" }),
      Plot.barY(summaries, {
        x: "layer",
        y1: "q1",
        y2: "q3",
        fill: (d: LayerSummary) => (d.index === sel ? "#ff725c" : "#4269d0"),
        fillOpacity: 0.8,
        className: LAYERIM_CLASS,
      }),
      Plot.tickY(summaries, { x: "layer", y: "median", stroke: "white", strokeWidth: 2 }),
      Plot.dot(summaries, { x: "layer", y: "mean", fill: "black", r: 3 }),
      Plot.tip(
        summaries,
        Plot.pointerX({
          x: "layer",
          y: "mean",
          title: (d: LayerSummary) =>
            `${d.layer} (${d.n} neurons)\nmean ${formatNumber(d.mean)} · median ${
              formatNumber(d.median)
            }\n` +
            `quartiles ${formatNumber(d.q1)}–${formatNumber(d.q3)} · range ${formatNumber(d.min)}–${
              formatNumber(d.max)
            }`,
        }),
      ),
    ],
  };
}

/**
 * Plot options of the detector chart: per layer a bar stacked by category.
 *
 * @param rows from {@link detectorCounts}
 * @param options `layers` (x domain), `categories` (colour domain), `threshold`, `width` (default 420)
 * @returns options for `Plot.plot`
 */
export function detectorPlotOptions(
  rows: DetectorRow[],
  options: { layers: string[]; categories: string[]; threshold: number; width?: number },
): Plot.PlotOptions {
  return {
    width: options.width ?? 420,
    height: 240,
    marginLeft: 50,
    marginBottom: 56,
    x: layerAxis(options.layers),
    y: { label: `detector units (IoU > ${formatNumber(options.threshold)})`, grid: true },
    color: { legend: true, domain: options.categories, type: "categorical" },
    marks: [
      Plot.barY(rows, { x: "layer", y: "count", fill: "category", className: DETECTOR_CLASS }),
      Plot.ruleY([0]),
      Plot.tip(
        rows,
        Plot.pointer(Plot.stackY({
          x: "layer",
          y: "count",
          fill: "category",
          title: (d: DetectorRow) => `${d.layer}\n${d.category}: ${d.count}`,
        })),
      ),
    ],
  };
}
