/**
 * neurolens: which neurons of a convolutional network matter, and what they do.
 *
 * Plain async functions over a {@link Net} (a tfjs LayersModel walked layer
 * by layer), data sets as plain typed arrays, and results as plain objects.
 *
 * @example
 * ```ts
 * import * as nl from "./mod.ts";
 * await nl.useBackend("wasm", { quiet: true });
 * const net = await nl.loadDefaultNet("mnist-cnn");
 * const data = await nl.datasets.mnist({ split: "test", limit: 64 });
 * const { accuracy } = await nl.evaluate(net, data);
 * const stats = await nl.neuronStats(net, data, { layers: ["block3_conv1"] });
 * const ranked = nl.rankByTaylor(stats);
 * if (!(accuracy > 0.9 && ranked.length === 64)) throw new Error("example failed");
 * nl.disposeNet(net);
 * ```
 *
 * @module
 */
export {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendInfo,
  type BackendName,
  currentBackend,
  decideBackend,
  describeBackend,
  useBackend,
  type UseBackendOptions,
} from "./engine/backend.ts";
export { tf, tfl } from "./engine/deps.ts";
export {
  convLayers,
  disposeNet,
  getConvLayer,
  getLayer,
  type LayerInfo,
  type LayerKind,
  type Net,
  type NetHead,
  wrapModel,
  type WrapOptions,
} from "./engine/net/net.ts";
export { loadNet, type LoadOptions, saveModel } from "./engine/net/io.ts";
export {
  checkImageBatch,
  type OutputSpace,
  runNet,
  type RunOptions,
  type RunResult,
} from "./engine/net/executor.ts";
export {
  type ClassTarget,
  disposeGradients,
  type GradientOptions,
  type GradientResult,
  type LossTarget,
  type NeuronTarget,
  type Target,
  targetGradients,
} from "./engine/net/targets.ts";
export { evaluate, type Evaluation, predict, type PredictOptions } from "./engine/net/predict.ts";
export type { ImageSet, SceneSet } from "./engine/data/types.ts";
export * as datasets from "./engine/data/mod.ts";
export { createRng, type Rng } from "./engine/random.ts";
export {
  type LayerNeuronStats,
  mergeNeuronStats,
  neuronStats,
  type NeuronStatsOptions,
  rankByTaylor,
  type TaylorRankedNeuron,
} from "./engine/neurons/activation_stats.ts";
export {
  featureVizOf,
  layerIM,
  type LayerIMRow,
  type LayerIMStats,
  layerIMStats,
  type LayerNeuronIM,
  neuronIM,
  type NeuronIMOptions,
  type NeuronIMResult,
  type NeuronRecord,
  rankByNeuronIM,
} from "./engine/neurons/neuron_im.ts";
export * from "./engine/neurons/shap_image.ts";
export * from "./engine/neurons/similarity.ts";
export * from "./engine/neurons/top_k.ts";
export * from "./engine/neurons/receptive_field.ts";
export * from "./engine/neurons/histogram.ts";
export * from "./engine/featureviz/mod.ts";
export * from "./engine/prune/mod.ts";
export {
  formatNeuronsReport,
  type NeuronsReport,
  neuronsReport,
  type NeuronsReportOptions,
  type NeuronsResults,
  rankNeurons,
} from "./engine/report/neurons_report.ts";
export { mnistCnn, scenesCnn } from "./engine/train/architectures.ts";
export {
  type EpochCallback,
  type EpochInfo,
  trainModel,
  type TrainOptions,
} from "./engine/train/train.ts";
export {
  DEFAULT_MODEL_NAMES,
  defaultData,
  type DefaultModelName,
  loadDefaultNet,
  trainDefaultModel,
} from "./engine/train/default_models.ts";
export * from "./engine/attribution/mod.ts";
export * from "./engine/cam/mod.ts";
export * from "./engine/lrp/mod.ts";
export { finishMaps, normalizeMaps, upsampleMaps } from "./engine/maps/map.ts";
export { type Localisation, localisation } from "./engine/evaluate/localisation.ts";
export { formatMapsReport, type MapsReport, mapsReport } from "./engine/report/maps_report.ts";
export {
  abpc,
  cascadingRandomization,
  deletionInsertion,
  type DeletionInsertionResult,
  evaluateCamLayers,
  regionPerturbation,
  type RegionPerturbationResult,
  spearman as mapSpearman,
  ssim,
  trapezoidAuc,
} from "./engine/evaluate/mod.ts";
export {
  featureCorrelation,
  filterImportance,
  formatProbeAccuracyTable,
  layerProbes,
  probeAccuracyTable,
  probeMonitor,
  replayCheckpoints,
} from "./engine/probe/mod.ts";
export { pearson, ranks, spearman } from "./engine/stats/rank.ts";
export * from "./engine/dissect/mod.ts";
export {
  createWidget,
  type CreateWidgetOptions,
  exportHtml,
  progressDisplay,
  type WidgetHandle,
} from "./widgets/host/mod.ts";
export { show, type ShowOptions } from "./widgets/show/mod.ts";
