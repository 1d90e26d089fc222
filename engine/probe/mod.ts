/**
 * The hybrid interpreter: layer-wise linear probes, feature correlation,
 * filter importance, and their evolution over training.
 *
 * @module
 */
export {
  type LayerProbe,
  layerProbes,
  type LayerProbesOptions,
  type LayerProbesResult,
  pooledFeatures,
  type ProbeSplits,
} from "./layer_probes.ts";
export {
  correlationOf,
  featureCorrelation,
  type FeatureCorrelationOptions,
  type LayerCorrelation,
  mergeCorrelationSums,
} from "./feature_correlation.ts";
export {
  type FilterImportance,
  filterImportance,
  type FilterImportanceOptions,
  mergeFilterImportance,
} from "./filter_importance.ts";
export {
  listCheckpoints,
  type MonitorOptions,
  probeMonitor,
  type ProbeSnapshot,
  probeSnapshot,
  replayCheckpoints,
} from "./monitor.ts";
export { formatProbeAccuracyTable, type ProbeAccuracyTable, probeAccuracyTable } from "./report.ts";
export { probeProbabilities, type SoftmaxProbe, trainSoftmaxProbe } from "./softmax_probe.ts";
