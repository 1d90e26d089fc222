/**
 * `show`: turn engine results into widgets (kernel side). Each helper adapts
 * a result into its view's state (the pure adapters are exported too, for
 * tests and for building states by hand) and calls `createWidget`, which
 * displays it in Jupyter or, elsewhere, says how to view it; the returned
 * handle can be updated or passed to `exportHtml`.
 *
 * @example
 * ```ts
 * import { show } from "./mod.ts";
 * const w = await show.ranking({ conv1: [0.2, 0.9, 0.4] }, { metric: "NeuronIM" });
 * if (w.view !== "ranking" || !w.fallbackHtml().includes("ranking-bar")) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { createWidget, type WidgetHandle } from "../host/widget.ts";
import type { CurvesState } from "../views/curves/spec.ts";
import type { RankingState } from "../views/ranking/spec.ts";
import {
  deletionInsertionCurves,
  type DeletionInsertionLike,
  type GalleryAdapterOptions,
  galleryState,
  type MapResultLike,
  regionPerturbationCurves,
  type RegionPerturbationLike,
} from "./evaluation.ts";
import {
  cardFromExplorer,
  type DissectionLike,
  dissectionOverviewState,
  type ExplorerAdapterOptions,
  explorerState,
  type NeuronIMLike,
  type NeuronStatsLike,
  type NeuronViewOptions,
  overviewState,
  type RankingAdapterOptions,
  rankingState,
  type StatsMetric,
  statsRankingState,
} from "./neurons.ts";
import {
  monitorState,
  type ProbeSnapshotLike,
  type PruningReportLike,
  pruningState,
} from "./training.ts";

export * from "./evaluation.ts";
export * from "./neurons.ts";
export * from "./training.ts";

/** Options every show helper accepts. */
export interface ShowOptions {
  /** Title of the widget (and of its export section). Default: per helper. */
  title?: string;
  /**
   * Display the widget where it is created (in Jupyter; elsewhere a note on
   * stderr says how to view it). `false` only builds the handle, e.g. for
   * `exportHtml`. Default: true.
   */
  display?: boolean;
}

function isNeuronIM(x: unknown): x is NeuronIMLike {
  const layers = (x as { layers?: unknown }).layers;
  return Array.isArray(layers) &&
    layers.every((l) => Array.isArray((l as { neurons?: unknown }).neurons));
}

function widget(
  view: string,
  state: object,
  title: string,
  options: ShowOptions = {},
): Promise<WidgetHandle> {
  return createWidget(view, state as Record<string, unknown>, {
    title,
    ...(options.display === false ? { display: false } : {}),
  });
}

/**
 * Ranks neurons by any per-neuron score: per-layer scores (layer → one
 * score per unit) or a NeuronIM result. View: `ranking`.
 *
 * @param scores layer → scores, or a NeuronIM result
 * @param options title, metric name (default "score", "NeuronIM" for a NeuronIM result), threshold, direction
 * @returns the widget handle
 */
async function ranking(
  scores: Readonly<Record<string, ArrayLike<number>>> | NeuronIMLike,
  options: RankingAdapterOptions & ShowOptions = {},
): Promise<WidgetHandle> {
  let state: RankingState;
  if (isNeuronIM(scores)) {
    const o = overviewState(scores);
    const metric = options.metric ?? "NeuronIM";
    state = {
      title: options.title ?? `${metric} ranking`,
      metric,
      layers: o.layers,
      layerOf: o.layerOf,
      unit: o.unit,
      score: o.score,
    };
    if (options.threshold !== undefined) state.threshold = options.threshold;
    if (options.higherIsBetter !== undefined) state.higherIsBetter = options.higherIsBetter;
  } else {
    state = rankingState(scores as Record<string, ArrayLike<number>>, options);
  }
  return await widget("ranking", state, state.title, options);
}

/**
 * Ranks neurons by an activation statistic from `neuronStats`. View: `ranking`.
 *
 * @param stats one record per layer
 * @param options `metric`: mean | activeFraction | max | taylor (default taylor), title, threshold
 * @returns the widget handle
 */
async function neuronStats(
  stats: readonly NeuronStatsLike[],
  options: RankingAdapterOptions & { metric?: StatsMetric } & ShowOptions = {},
): Promise<WidgetHandle> {
  const state = statsRankingState(stats, options);
  return await widget("ranking", state, state.title, options);
}

/**
 * LayerIM per layer and, with a dissection, detectors per layer by category. View: `layer_overview`.
 *
 * @param im a NeuronIM result
 * @param options title, dissection
 * @returns the widget handle
 */
async function layerOverview(
  im: NeuronIMLike,
  options: NeuronViewOptions & ShowOptions = {},
): Promise<WidgetHandle> {
  const state = overviewState(im, options);
  return await widget("layer_overview", state, state.title, options);
}

/**
 * A dissection alone: best-IoU spread and detectors per layer by category,
 * recounted in the browser at any IoU threshold. View: `layer_overview`.
 *
 * @param dissection a `dissect` result
 * @param options title
 * @returns the widget handle
 */
async function dissection(
  dissection: DissectionLike,
  options: ShowOptions = {},
): Promise<WidgetHandle> {
  const state = dissectionOverviewState(dissection, options);
  return await widget("layer_overview", state, state.title, options);
}

/**
 * The linked explorer: layer overview → ranking → neuron card. View: `explorer`.
 *
 * @param im a NeuronIM result
 * @param options dissection, top-k examples with their data, histograms, cards per layer, title
 * @returns the widget handle
 */
async function explorer(
  im: NeuronIMLike,
  options: ExplorerAdapterOptions & ShowOptions = {},
): Promise<WidgetHandle> {
  const state = explorerState(im, options);
  return await widget("explorer", state, state.title, options);
}

/**
 * One neuron's card. View: `neuron_card`.
 *
 * @param im a NeuronIM result holding the neuron
 * @param neuron `{ layer, unit }`
 * @param options as {@link explorer} (dissection, top, data, histograms)
 * @returns the widget handle
 * @throws {RangeError} when the neuron is not in the result
 */
async function neuronCard(
  im: NeuronIMLike,
  neuron: { layer: string; unit: number },
  options: ExplorerAdapterOptions & ShowOptions = {},
): Promise<WidgetHandle> {
  const state = cardFromExplorer(
    explorerState(im, { ...options, cardsPerLayer: Infinity }),
    neuron.layer,
    neuron.unit,
  );
  if (options.title) state.title = options.title;
  return await widget("neuron_card", state, state.title, options);
}

/**
 * Images × methods (or × layers) heatmaps. View: `map_gallery`.
 *
 * @param results MapResults over the same images
 * @param options images to draw under the maps, row labels, max images, opacity, title
 * @returns the widget handle
 */
async function maps(
  results: readonly MapResultLike[],
  options: GalleryAdapterOptions & ShowOptions = {},
): Promise<WidgetHandle> {
  const state = galleryState(results, options);
  return await widget("map_gallery", state, state.title, options);
}

/**
 * Perturbation curves per method: region perturbation runs (AOPC; MoRF,
 * LeRF, random) or deletion/insertion runs, told apart by their fields. View: `curves`.
 *
 * @param results method → run (or runs)
 * @param options title
 * @returns the widget handle
 * @throws {TypeError} for results of neither kind
 */
async function curves(
  results: Readonly<
    Record<
      string,
      DeletionInsertionLike | RegionPerturbationLike | readonly RegionPerturbationLike[]
    >
  >,
  options: ShowOptions = {},
): Promise<WidgetHandle> {
  const values = Object.values(results);
  let state: CurvesState;
  if (values.length && values.every((v) => "meanDeletion" in (v as object))) {
    state = deletionInsertionCurves(results as Record<string, DeletionInsertionLike>, options);
  } else if (
    values.length && values.every((v) => Array.isArray(v) || "meanCurve" in (v as object))
  ) {
    state = regionPerturbationCurves(results as Record<string, RegionPerturbationLike>, options);
  } else {
    throw new TypeError(
      "show.curves expects method → deletionInsertion result, or method → regionPerturbation result(s)",
    );
  }
  return await widget("curves", state, state.title, options);
}

/**
 * Probe accuracy per layer over epochs, correlation, filter importance. View: `training_monitor`.
 *
 * @param snapshots `probeMonitor` / `replayCheckpoints` snapshots
 * @param options title
 * @returns the widget handle
 */
async function trainingMonitor(
  snapshots: readonly ProbeSnapshotLike[],
  options: ShowOptions = {},
): Promise<WidgetHandle> {
  const state = monitorState(snapshots, options);
  return await widget("training_monitor", state, state.title, options);
}

/**
 * Accuracy and loss against the fraction pruned, per ranking. View: `pruning`.
 *
 * @param report a `pruningCurves` report
 * @param options title
 * @returns the widget handle
 */
async function pruning(
  report: PruningReportLike,
  options: ShowOptions = {},
): Promise<WidgetHandle> {
  const state = pruningState(report, options);
  return await widget("pruning", state, state.title, options);
}

/**
 * Any view from a state built by hand (see each view's `spec.ts` for its state).
 *
 * @param view a folder name under `widgets/views/`
 * @param state the view's state
 * @param options title (default: the view name)
 * @returns the widget handle
 */
async function view(view: string, state: object, options: ShowOptions = {}): Promise<WidgetHandle> {
  return await widget(
    view,
    state,
    options.title ?? (state as { title?: string }).title ?? view,
    options,
  );
}

/** The show helpers: engine result → widget. */
export const show = {
  ranking,
  neuronStats,
  layerOverview,
  dissection,
  explorer,
  neuronCard,
  maps,
  curves,
  trainingMonitor,
  pruning,
  view,
};
