/**
 * Adapters from neuron-level engine results to view states: per-neuron
 * scores and activation statistics → ranking; NeuronIM (+ dissection, top-k
 * examples, histograms) → layer overview, explorer and neuron cards.
 *
 * The engine types are restated structurally here (only the fields read), so
 * the widgets do not depend on the engine's modules at run time.
 *
 * @module
 */
import { type ExplorerCard, explorerCard, type ExplorerState } from "../views/explorer/spec.ts";
import {
  bestConcepts,
  DEFAULT_IOU_THRESHOLD,
  type LayerOverviewState,
} from "../views/layer_overview/spec.ts";
import type { NeuronCardState } from "../views/neuron_card/spec.ts";
import type { RankingState } from "../views/ranking/spec.ts";
import { f32, finiteOrThrow } from "./_convert.ts";

/** Options of {@link rankingState}. */
export interface RankingAdapterOptions {
  /** Title. Default: "<metric> ranking". */
  title?: string;
  /** Metric name. Default: "score". */
  metric?: string;
  /** Initial threshold. Default: the median. */
  threshold?: number;
  /** High is good. Default: true. */
  higherIsBetter?: boolean;
}

/**
 * A ranking state from per-layer scores (one score per unit, unit = position).
 *
 * @param scores layer name → scores of its units, in layer order
 * @param options title, metric, threshold, direction
 * @returns the state
 * @throws {RangeError} for no layers or a non-finite score (naming layer and unit)
 * @example
 * ```ts
 * import { rankingState } from "./neurons.ts";
 * const s = rankingState({ conv1: [0.2, 0.9], conv2: [0.5] }, { metric: "NeuronIM" });
 * if (s.score.length !== 3 || s.layers[s.layerOf[2]!] !== "conv2") throw new Error("example failed");
 * ```
 */
export function rankingState(
  scores: Readonly<Record<string, ArrayLike<number>>>,
  options: RankingAdapterOptions = {},
): RankingState {
  const layers = Object.keys(scores);
  if (layers.length === 0) throw new RangeError("rankingState: no layers in scores");
  const layerOf: number[] = [], unit: number[] = [], score: number[] = [];
  layers.forEach((layer, l) => {
    const s = scores[layer]!;
    finiteOrThrow(`scores["${layer}"]`, s);
    for (let u = 0; u < s.length; u++) {
      layerOf.push(l);
      unit.push(u);
      score.push(s[u]!);
    }
  });
  const metric = options.metric ?? "score";
  const state: RankingState = {
    title: options.title ?? `${metric} ranking`,
    metric,
    layers,
    layerOf: Int32Array.from(layerOf),
    unit: Int32Array.from(unit),
    score: Float32Array.from(score),
    higherIsBetter: options.higherIsBetter ?? true,
  };
  if (options.threshold !== undefined) state.threshold = options.threshold;
  return state;
}

/** Per-unit statistics of one layer, as `neuronStats` returns them (fields read). */
export interface NeuronStatsLike {
  layer: string;
  mean: ArrayLike<number>;
  activeFraction: ArrayLike<number>;
  max: ArrayLike<number>;
  taylor: ArrayLike<number>;
}

/** The statistics {@link statsRankingState} can rank by. */
export type StatsMetric = "mean" | "activeFraction" | "max" | "taylor";

/**
 * A ranking state from `neuronStats` results.
 *
 * @param stats one record per layer
 * @param options `metric` (default "taylor") plus {@link RankingAdapterOptions}
 * @returns the state
 * @throws {TypeError} for an unknown metric
 */
export function statsRankingState(
  stats: readonly NeuronStatsLike[],
  options: RankingAdapterOptions & { metric?: StatsMetric } = {},
): RankingState {
  const metric = options.metric ?? "taylor";
  if (!["mean", "activeFraction", "max", "taylor"].includes(metric)) {
    throw new TypeError(
      `Unknown neuron statistic "${metric}"; expected mean, activeFraction, max or taylor`,
    );
  }
  const names: Record<StatsMetric, string> = {
    mean: "mean activation",
    activeFraction: "active fraction",
    max: "max activation",
    taylor: "Taylor importance",
  };
  return rankingState(
    Object.fromEntries(stats.map((s) => [s.layer, s[metric]])),
    { ...options, metric: names[metric] },
  );
}

/** A NeuronIM result (fields read). */
export interface NeuronIMLike {
  inputShape: readonly [number, number, number] | number[];
  layers: readonly {
    layer: string;
    neurons: readonly {
      unit: number;
      score: number;
      visualization: Float32Array;
      shap: Float32Array;
    }[];
  }[];
}

/** A dissection result (fields read). */
export interface DissectionLike {
  iouThreshold: number;
  categories: readonly string[];
  concepts: readonly { name: string; category: string }[];
  layers: readonly { layer: string; units: number; iou: Float32Array }[];
}

/** Top-k activating images of one layer (fields read). */
export interface TopActivatingLike {
  layer: string;
  units: number;
  k: number;
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Activation histograms of one layer (fields read). */
export interface LayerHistogramsLike {
  layer: string;
  histograms: readonly { bins: number; width: number; lo: number; counts: ArrayLike<number> }[];
}

/** Images the top-k indices point into: an ImageSet (fields read). */
export interface ImagesLike {
  images: Float32Array;
  shape: readonly [number, number, number, number] | number[];
  /** Optional names, used as captions. */
  names?: readonly string[];
}

/** Options of {@link overviewState} and {@link explorerState}. */
export interface NeuronViewOptions {
  /** Title. Default: "NeuronIM and dissection" (or "NeuronIM"). */
  title?: string;
  /** A dissection of the same layers (layers it lacks get no detectors). */
  dissection?: DissectionLike;
}

/**
 * A layer overview state from NeuronIM (+ dissection).
 *
 * @param im a NeuronIM result
 * @param options title, dissection
 * @returns the state (neurons in the order of the result)
 * @throws {RangeError} for a result without neurons
 */
export function overviewState(
  im: NeuronIMLike,
  options: NeuronViewOptions = {},
): LayerOverviewState {
  const layers = im.layers.map((l) => l.layer);
  const layerOf: number[] = [], unit: number[] = [], score: number[] = [];
  im.layers.forEach((l, li) =>
    l.neurons.forEach((n) => {
      layerOf.push(li);
      unit.push(n.unit);
      score.push(n.score);
    })
  );
  if (score.length === 0) throw new RangeError("overviewState: the NeuronIM result has no neurons");
  finiteOrThrow("NeuronIM scores", score);
  const state: LayerOverviewState = {
    title: options.title ?? (options.dissection ? "NeuronIM and dissection" : "NeuronIM"),
    metric: "NeuronIM",
    layers,
    layerOf: Int32Array.from(layerOf),
    unit: Int32Array.from(unit),
    score: Float32Array.from(score),
  };
  const d = options.dissection;
  if (d) {
    const categories = [...d.categories];
    for (const c of d.concepts) if (!categories.includes(c.category)) categories.push(c.category);
    const C = d.concepts.length;
    const iou = new Float32Array(score.length * C);
    for (let i = 0; i < score.length; i++) {
      const ld = d.layers.find((x) => x.layer === layers[layerOf[i]!]);
      if (!ld || unit[i]! >= ld.units) continue;
      iou.set(ld.iou.subarray(unit[i]! * C, (unit[i]! + 1) * C), i * C);
    }
    state.concepts = d.concepts.map((c) => c.name);
    state.categories = categories;
    state.conceptCategory = Int32Array.from(d.concepts, (c) => categories.indexOf(c.category));
    state.iou = iou;
    state.iouThreshold = d.iouThreshold;
  }
  return state;
}

/**
 * A layer overview of a dissection alone (no NeuronIM): every unit of every
 * dissected layer, its score = its best IoU, so the box chart shows the IoU
 * spread per layer and the detector chart the detectors by category.
 *
 * @param dissection a dissection result
 * @param options `title` (default "Network dissection")
 * @returns the state (metric "best IoU")
 * @throws {RangeError} for a dissection without units
 * @example
 * ```ts
 * import { dissectionOverviewState } from "./neurons.ts";
 * const s = dissectionOverviewState({ iouThreshold: 0.04, categories: ["color"],
 *   concepts: [{ name: "red", category: "color" }],
 *   layers: [{ layer: "c", units: 2, iou: new Float32Array([0.5, 0.01]) }] });
 * if (s.score[0] !== 0.5 || s.metric !== "best IoU") throw new Error("example failed");
 * ```
 */
export function dissectionOverviewState(
  dissection: DissectionLike,
  options: { title?: string } = {},
): LayerOverviewState {
  const C = dissection.concepts.length;
  const im: NeuronIMLike = {
    inputShape: [1, 1, 1],
    layers: dissection.layers.map((l) => ({
      layer: l.layer,
      neurons: Array.from({ length: l.units }, (_, unit) => {
        let best = 0;
        for (let c = 0; c < C; c++) best = Math.max(best, l.iou[unit * C + c]!);
        return { unit, score: best, visualization: new Float32Array(0), shap: new Float32Array(0) };
      }),
    })),
  };
  if (im.layers.every((l) => l.neurons.length === 0)) {
    throw new RangeError("dissectionOverviewState: the dissection has no units");
  }
  return {
    ...overviewState(im, { dissection }),
    title: options.title ?? "Network dissection",
    metric: "best IoU",
  };
}

/** Options of {@link explorerState}. */
export interface ExplorerAdapterOptions extends NeuronViewOptions {
  /** Neurons per layer that get pictures: the best and the worst half each. Default: 16; Infinity: all. */
  cardsPerLayer?: number;
  /** Top-activating images per layer (with `data`) for the cards' examples. */
  top?: readonly TopActivatingLike[];
  /** The images `top` indexes. */
  data?: ImagesLike;
  /** Examples per card. Default: 4. */
  examples?: number;
  /** Activation histograms per layer for the cards. */
  histograms?: readonly LayerHistogramsLike[];
}

/**
 * An explorer state from NeuronIM (+ dissection, top-k examples, histograms).
 *
 * @param im a NeuronIM result
 * @param options see {@link ExplorerAdapterOptions}
 * @returns the state
 * @example
 * ```ts
 * import { explorerState } from "./neurons.ts";
 * const n = (unit: number, score: number) => ({ unit, score, visualization: new Float32Array(4), shap: new Float32Array(4) });
 * const s = explorerState({ inputShape: [2, 2, 1], layers: [{ layer: "c", neurons: [n(0, 0.1), n(1, 0.7)] }] });
 * if (s.cards?.length !== 2 || s.imageShape?.join() !== "2,2,1") throw new Error("example failed");
 * ```
 */
export function explorerState(
  im: NeuronIMLike,
  options: ExplorerAdapterOptions = {},
): ExplorerState {
  const base = overviewState(im, options);
  const [h, w, c] = im.inputShape as [number, number, number];
  const per = options.cardsPerLayer ?? 16;
  const cards: ExplorerCard[] = [];
  let offset = 0;
  for (const layer of im.layers) {
    const order = layer.neurons.map((_, i) => i).sort((a, b) =>
      layer.neurons[b]!.score - layer.neurons[a]!.score
    );
    const chosen = new Set(
      order.length <= per ? order : [
        ...order.slice(0, Math.ceil(per / 2)),
        ...order.slice(order.length - Math.floor(per / 2)),
      ],
    );
    for (const i of [...chosen].sort((a, b) => a - b)) {
      const n = layer.neurons[i]!;
      const card: ExplorerCard = {
        neuron: offset + i,
        featureViz: f32(n.visualization),
        shap: f32(n.shap),
      };
      Object.assign(
        card,
        examplesOf(layer.layer, n.unit, [h, w, c], options),
        histogramOf(layer.layer, n.unit, options),
      );
      cards.push(card);
    }
    offset += layer.neurons.length;
  }
  return { ...base, title: options.title ?? base.title, imageShape: [h, w, c], cards };
}

function examplesOf(
  layer: string,
  unit: number,
  shape: [number, number, number],
  options: ExplorerAdapterOptions,
): Pick<ExplorerCard, "examples" | "exampleScores" | "exampleLabels"> {
  const top = options.top?.find((t) => t.layer === layer);
  const data = options.data;
  if (!top || !data || unit >= top.units) return {};
  const [, H, W, C] = data.shape as number[];
  if (H !== shape[0] || W !== shape[1] || C !== shape[2]) {
    throw new RangeError(
      `explorer: data images are ${H}×${W}×${C}; the net's input is ${shape.join("×")}`,
    );
  }
  const k = Math.min(options.examples ?? 4, top.k);
  const size = H! * W! * C!;
  const examples = new Float32Array(k * size);
  const exampleScores = new Float32Array(k);
  const exampleLabels: string[] = [];
  for (let j = 0; j < k; j++) {
    const idx = top.indices[unit * top.k + j]!;
    examples.set(data.images.subarray(idx * size, (idx + 1) * size), j * size);
    exampleScores[j] = top.values[unit * top.k + j]!;
    exampleLabels.push(data.names?.[idx] ?? `#${idx}`);
  }
  return { examples, exampleScores, exampleLabels };
}

function histogramOf(
  layer: string,
  unit: number,
  options: ExplorerAdapterOptions,
): Pick<ExplorerCard, "histEdges" | "histCounts"> {
  const hist = options.histograms?.find((x) => x.layer === layer)?.histograms[unit];
  if (!hist) return {};
  // Show only the occupied bins.
  let first = 0, last = hist.counts.length - 1;
  while (first < last && hist.counts[first] === 0) first++;
  while (last > first && hist.counts[last] === 0) last--;
  const counts = Float32Array.from({ length: last - first + 1 }, (_, i) => hist.counts[first + i]!);
  const edges = Float32Array.from(
    { length: counts.length + 1 },
    (_, i) => (hist.lo + first + i) * hist.width,
  );
  return { histEdges: edges, histCounts: counts };
}

/**
 * The card of one neuron from an explorer state (what `show.neuronCard` draws).
 *
 * @param state an explorer state (e.g. from {@link explorerState})
 * @param layer layer name
 * @param unit unit index
 * @returns a neuron card state, labelled at the state's IoU threshold
 * @throws {RangeError} when the layer or unit is not in the state
 */
export function cardFromExplorer(
  state: ExplorerState,
  layer: string,
  unit: number,
): NeuronCardState {
  const l = state.layers.indexOf(layer);
  let neuron = -1;
  for (let i = 0; i < state.score.length; i++) {
    if (state.layerOf[i] === l && state.unit[i] === unit) neuron = i;
  }
  if (neuron < 0) {
    throw new RangeError(
      `No neuron ${layer}:${unit} in the state; layers: ${state.layers.join(", ")}`,
    );
  }
  const card = explorerCard(
    state,
    neuron,
    state.iouThreshold ?? DEFAULT_IOU_THRESHOLD,
    bestConcepts(state),
  );
  return { ...card, title: `${layer} · unit ${unit}` };
}
