/**
 * Explorer, pure part: one state for the linked layer overview → neuron
 * ranking → neuron card. Everything an interaction needs is in the state
 * (the Deno kernel cannot receive widget messages), so re-filtering at a new
 * NeuronIM threshold and recounting detectors at a new IoU threshold are
 * these pure functions, run in the browser.
 *
 * @module
 */
import { checkArray } from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";
import {
  type BestConcepts,
  checkOverviewState,
  detectorCounts,
  isDetector,
  LAYER_OVERVIEW_TRAITS,
  type LayerOverviewState,
} from "../layer_overview/spec.ts";
import { checkCardState, type NeuronCardState } from "../neuron_card/spec.ts";
import { defaultThreshold, passes, type RankingState } from "../ranking/spec.ts";

/** Pictures of one neuron (all optional), as in {@link NeuronCardState}. */
export interface ExplorerCard {
  /** Neuron index into the state's per-neuron arrays. */
  neuron: number;
  /** Feature visualisation [h, w, c] (imageShape). */
  featureViz?: Float32Array;
  /** SHAP image [h, w]. */
  shap?: Float32Array;
  /** Top-activating examples [k, h, w, c]. */
  examples?: Float32Array;
  /** Their activations (k). */
  exampleScores?: Float32Array;
  /** Their captions (k, user text). */
  exampleLabels?: string[];
  /** Activation histogram edges (bins + 1). */
  histEdges?: Float32Array;
  /** Activation histogram counts (bins). */
  histCounts?: Float32Array;
}

/**
 * State of the explorer (traits = these keys): a layer overview state
 * (per-neuron NeuronIM `score`, optional dissection IoU rows) plus the
 * NeuronIM threshold and the pictures of the neurons the kernel chose to send.
 */
export interface ExplorerState extends LayerOverviewState {
  /** Initial NeuronIM threshold. Default: the median score. */
  threshold?: number;
  /** True when high scores are good. Default: true. */
  higherIsBetter?: boolean;
  /** [h, w, c] of the pictures in `cards`. Required with cards that have pictures. */
  imageShape?: [number, number, number];
  /** Pictures per neuron (any subset of the neurons). Default: none. */
  cards?: ExplorerCard[];
}

/** The state keys the front end reads. */
export const EXPLORER_TRAITS = [
  ...LAYER_OVERVIEW_TRAITS,
  "threshold",
  "higherIsBetter",
  "imageShape",
  "cards",
] as const;

/**
 * Checks an explorer state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError}/{@link RangeError} for a bad field, a card for a neuron out of range or twice
 */
export function checkExplorerState(state: ExplorerState): ExplorerState {
  checkOverviewState(state, "explorer");
  const n = state.score.length;
  const seen = new Set<number>();
  (state.cards ?? []).forEach((c, i) => {
    if (!(Number.isInteger(c.neuron) && c.neuron >= 0 && c.neuron < n)) {
      throw new RangeError(
        `explorer: state.cards[${i}].neuron is ${c.neuron}; expected 0..${n - 1}`,
      );
    }
    if (seen.has(c.neuron)) {
      throw new RangeError(`explorer: state.cards has neuron ${c.neuron} twice`);
    }
    seen.add(c.neuron);
  });
  if (state.imageShape !== undefined) checkArray("explorer", "imageShape", state.imageShape, 3);
  return state;
}

/** One layer's line of the explorer table. */
export interface ExplorerLayerRow {
  index: number;
  layer: string;
  neurons: number;
  /** Neurons passing the NeuronIM threshold. */
  passing: number;
  /** Mean score (LayerIM). */
  mean: number;
  /** Detector units at the IoU threshold (0 without IoU data). */
  detectors: number;
  /** Distinct concepts among them. */
  uniqueConcepts: number;
}

/**
 * Per-layer counts at the two thresholds.
 *
 * @param state a checked state
 * @param threshold NeuronIM threshold
 * @param iouThreshold dissection IoU threshold
 * @param best precomputed best concepts
 * @returns one row per layer, and totals `{ neurons, passing, detectors }`
 * @example
 * ```ts
 * import { bestConcepts } from "../layer_overview/spec.ts";
 * import { explorerSummary } from "./spec.ts";
 * const state = { title: "", metric: "NeuronIM", layers: ["a"], layerOf: new Int32Array(2),
 *   unit: Int32Array.from([0, 1]), score: Float32Array.from([0.25, 0.75]) };
 * const s = explorerSummary(state, 0.5, 0.04, bestConcepts(state));
 * if (s.total.passing !== 1 || s.rows[0]!.mean !== 0.5) throw new Error("example failed");
 * ```
 */
export function explorerSummary(
  state: ExplorerState,
  threshold: number,
  iouThreshold: number,
  best: BestConcepts,
): { rows: ExplorerLayerRow[]; total: { neurons: number; passing: number; detectors: number } } {
  const higher = state.higherIsBetter ?? true;
  const rows: ExplorerLayerRow[] = state.layers.map((layer, index) => ({
    index,
    layer,
    neurons: 0,
    passing: 0,
    mean: 0,
    detectors: 0,
    uniqueConcepts: 0,
  }));
  for (let i = 0; i < state.score.length; i++) {
    const r = rows[state.layerOf[i]!]!;
    r.neurons++;
    r.mean += state.score[i]!;
    if (passes(state.score[i]!, threshold, higher)) r.passing++;
  }
  for (const r of rows) r.mean = r.neurons ? r.mean / r.neurons : NaN;
  if (state.iou) {
    detectorCounts(state, iouThreshold, best).perLayer.forEach((d, l) => {
      rows[l]!.detectors = d.detectors;
      rows[l]!.uniqueConcepts = d.uniqueConcepts;
    });
  }
  const sum = (k: "neurons" | "passing" | "detectors") => rows.reduce((s, r) => s + r[k], 0);
  return {
    rows,
    total: { neurons: sum("neurons"), passing: sum("passing"), detectors: sum("detectors") },
  };
}

/** A neuron's label text at a threshold: its concept when it is a detector, else "". */
export function labelOf(
  state: ExplorerState,
  neuron: number,
  iouThreshold: number,
  best: BestConcepts,
): string {
  const c = best.concept[neuron]!;
  if (c < 0 || !isDetector(best.iou[neuron]!, iouThreshold)) return "";
  return state.concepts![c]!;
}

/**
 * The ranking state of the explorer, with each neuron's label at the IoU threshold.
 *
 * @param state a checked state
 * @param iouThreshold IoU threshold
 * @param best precomputed best concepts
 * @returns a ranking state over all neurons
 */
export function explorerRanking(
  state: ExplorerState,
  iouThreshold: number,
  best: BestConcepts,
): RankingState {
  const r: RankingState = {
    title: "",
    metric: state.metric,
    layers: state.layers,
    layerOf: state.layerOf,
    unit: state.unit,
    score: state.score,
    threshold: defaultThreshold(state as RankingState),
    higherIsBetter: state.higherIsBetter ?? true,
  };
  if (state.iou) {
    r.labels = Array.from(state.score, (_, i) => labelOf(state, i, iouThreshold, best));
  }
  return r;
}

/**
 * The card of one neuron: identity, score, label at the IoU threshold, and
 * its pictures when the kernel sent them.
 *
 * @param state a checked state
 * @param neuron neuron index
 * @param iouThreshold IoU threshold
 * @param best precomputed best concepts
 * @returns a checked neuron card state
 * @throws {RangeError} for a neuron out of range or pictures of the wrong size
 */
export function explorerCard(
  state: ExplorerState,
  neuron: number,
  iouThreshold: number,
  best: BestConcepts,
): NeuronCardState {
  if (!(neuron >= 0 && neuron < state.score.length)) {
    throw new RangeError(`explorer: neuron ${neuron} out of range 0..${state.score.length - 1}`);
  }
  const card: NeuronCardState = {
    title: "",
    layer: state.layers[state.layerOf[neuron]!]!,
    unit: state.unit[neuron]!,
    metric: state.metric,
    score: state.score[neuron]!,
  };
  const c = best.concept[neuron]!;
  if (c >= 0) {
    const iou = best.iou[neuron]!;
    card.label = isDetector(iou, iouThreshold)
      ? state.concepts![c]!
      : `none (best: ${state.concepts![c]!} at IoU ${formatNumber(iou)} ≤ ${
        formatNumber(iouThreshold)
      })`;
    card.iou = iou;
  }
  const pics = state.cards?.find((k) => k.neuron === neuron);
  if (pics) {
    const { neuron: _n, ...rest } = pics;
    Object.assign(card, rest);
    if (state.imageShape) card.imageShape = state.imageShape;
  }
  return checkCardState(card);
}
