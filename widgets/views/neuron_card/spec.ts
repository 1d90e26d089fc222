/**
 * Neuron card, pure part: what one neuron looks like (METHODS.md §5): its
 * feature visualisation, its SHAP image, its top-activating examples, its
 * dissection label and IoU (§6), its activation histogram.
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import {
  checkArray,
  checkFinite,
  checkNumber,
  checkString,
  checkStrings,
} from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";
import { heatUrl, imageUrl } from "../_shared/image.ts";

/**
 * State of the neuron card (traits = these keys). Every part but the
 * identity is optional: a card shows what it was given.
 */
export interface NeuronCardState {
  /** Title line (user text). */
  title: string;
  /** Layer name (user text). */
  layer: string;
  /** Channel index. */
  unit: number;
  /** Name of the score shown, e.g. "NeuronIM". Default: "score". */
  metric?: string;
  /** The neuron's score. */
  score?: number;
  /** Dissection label (concept name, user text). */
  label?: string;
  /** IoU of the label. */
  iou?: number;
  /** [h, w, c] of `featureViz` and of each of `examples` (c = 1 or 3). Required with either. */
  imageShape?: [number, number, number];
  /** Feature visualisation, row-major [h, w, c], any range (shown min–max). */
  featureViz?: Float32Array;
  /** SHAP image, row-major [h, w] (h, w of imageShape), shown as a heatmap over [0, max]. */
  shap?: Float32Array;
  /** Top-activating examples, row-major [k, h, w, c]. */
  examples?: Float32Array;
  /** Activation of each example (k values). */
  exampleScores?: Float32Array;
  /** Caption of each example (k strings, user text, e.g. file names). */
  exampleLabels?: string[];
  /** Histogram bin edges (bins + 1, ascending). */
  histEdges?: Float32Array;
  /** Histogram counts (bins). */
  histCounts?: Float32Array;
}

/** The state keys the front end reads. */
export const NEURON_CARD_TRAITS = [
  "title",
  "layer",
  "unit",
  "metric",
  "score",
  "label",
  "iou",
  "imageShape",
  "featureViz",
  "shap",
  "examples",
  "exampleScores",
  "exampleLabels",
  "histEdges",
  "histCounts",
] as const;

/** One picture of the card. */
export interface CardPanel {
  /** "featureViz", "shap" or "example". */
  kind: "featureViz" | "shap" | "example";
  /** Caption (text). */
  caption: string;
  /** PNG data URL. */
  url: string;
  /** Pixel size [h, w]. */
  size: [number, number];
}

/**
 * Checks a card state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError} for a wrongly typed field; {@link RangeError} for sizes that do not match `imageShape`
 */
export function checkCardState(state: NeuronCardState): NeuronCardState {
  const v = "neuron_card";
  checkString(v, "title", state.title);
  checkString(v, "layer", state.layer);
  checkNumber(v, "unit", state.unit);
  if (state.metric !== undefined) checkString(v, "metric", state.metric);
  if (state.score !== undefined) checkNumber(v, "score", state.score);
  if (state.label !== undefined) checkString(v, "label", state.label);
  if (state.iou !== undefined) checkNumber(v, "iou", state.iou);
  const needsShape = state.featureViz || state.shap || state.examples;
  if (needsShape && !state.imageShape) {
    throw new TypeError("neuron_card: state.imageShape [h, w, c] is required with images");
  }
  if (state.imageShape) {
    const s = checkArray(v, "imageShape", state.imageShape, 3);
    if (!(s[0]! > 0 && s[1]! > 0 && (s[2] === 1 || s[2] === 3))) {
      throw new RangeError(
        `neuron_card: state.imageShape is [${Array.from(s)}]; expected [h, w, 1 or 3]`,
      );
    }
  }
  const [h, w, c] = state.imageShape ?? [0, 0, 0];
  if (state.featureViz) checkArray(v, "featureViz", state.featureViz, h * w * c);
  if (state.shap) checkArray(v, "shap", state.shap, h * w);
  if (state.examples) {
    const e = checkArray(v, "examples", state.examples);
    if (e.length % (h * w * c) !== 0) {
      throw new RangeError(
        `neuron_card: state.examples has ${e.length} values; expected k·${h}·${w}·${c}`,
      );
    }
    const k = e.length / (h * w * c);
    if (state.exampleScores) checkArray(v, "exampleScores", state.exampleScores, k);
    if (state.exampleLabels) {
      const l = checkStrings(v, "exampleLabels", state.exampleLabels);
      if (l.length !== k) {
        throw new RangeError(
          `neuron_card: state.exampleLabels has ${l.length} entries; expected ${k}`,
        );
      }
    }
  }
  if (state.histEdges || state.histCounts) {
    const counts = checkArray(v, "histCounts", state.histCounts);
    const edges = checkArray(v, "histEdges", state.histEdges, counts.length + 1);
    checkFinite(v, "histEdges", edges);
    checkFinite(v, "histCounts", counts);
  }
  return state;
}

/**
 * The card's pictures, in order: feature visualisation, SHAP heatmap, examples.
 *
 * @param state a card state
 * @returns panels with PNG data URLs
 * @example
 * ```ts
 * import { cardPanels } from "./spec.ts";
 * const p = cardPanels({ title: "", layer: "c", unit: 0, imageShape: [1, 2, 1],
 *   featureViz: Float32Array.from([0, 1]), shap: Float32Array.from([1, 0]) });
 * if (p.map((x) => x.kind).join() !== "featureViz,shap") throw new Error("example failed");
 * ```
 */
export function cardPanels(state: NeuronCardState): CardPanel[] {
  const out: CardPanel[] = [];
  const shape = state.imageShape;
  if (!shape) return out;
  const [h, w, c] = shape;
  if (state.featureViz) {
    out.push({
      kind: "featureViz",
      caption: "feature visualisation",
      url: imageUrl(state.featureViz, shape),
      size: [h, w],
    });
  }
  if (state.shap) {
    let max = 0;
    for (const v of state.shap) if (v > max) max = v;
    out.push({
      kind: "shap",
      caption: "SHAP image",
      url: heatUrl(state.shap, h, w, { domain: [0, max || 1] }),
      size: [h, w],
    });
  }
  if (state.examples) {
    const k = state.examples.length / (h * w * c);
    for (let i = 0; i < k; i++) {
      const parts = [state.exampleLabels?.[i] ?? `#${i + 1}`];
      const s = state.exampleScores?.[i];
      if (s !== undefined) parts.push(formatNumber(s));
      out.push({
        kind: "example",
        caption: parts.join(" · "),
        url: imageUrl(state.examples, shape, { offset: i * h * w * c }),
        size: [h, w],
      });
    }
  }
  return out;
}

/** One histogram bin. */
export interface HistRow {
  x1: number;
  x2: number;
  count: number;
}

/** Histogram rows from edges and counts. */
export function histogramRows(edges: ArrayLike<number>, counts: ArrayLike<number>): HistRow[] {
  return Array.from(
    { length: counts.length },
    (_, i) => ({ x1: edges[i]!, x2: edges[i + 1]!, count: counts[i]! }),
  );
}

/** The class of the histogram's bar group. */
export const HIST_CLASS = "nl-card-hist";

/** Plot options of the activation histogram. */
export function histogramOptions(
  rows: HistRow[],
  options: { width?: number } = {},
): Plot.PlotOptions {
  return {
    width: options.width ?? 320,
    height: 140,
    x: { label: "activation" },
    y: { label: "count", grid: true },
    marks: [
      Plot.rectY(rows, {
        x1: "x1",
        x2: "x2",
        y: "count",
        fill: "#4269d0",
        inset: 0.5,
        className: HIST_CLASS,
      }),
      Plot.ruleY([0]),
    ],
  };
}

/** The card's header lines (text): identity, score, label. */
export function cardText(state: NeuronCardState): { head: string; score: string; label: string } {
  const score = state.score === undefined
    ? ""
    : `${state.metric ?? "score"}: ${formatNumber(state.score)}`;
  const label = state.label === undefined
    ? ""
    : `label: ${state.label}${state.iou === undefined ? "" : ` (IoU ${formatNumber(state.iou)})`}`;
  return { head: `${state.layer} · unit ${state.unit}`, score, label };
}
