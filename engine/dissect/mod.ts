/**
 * Network dissection (Bau et al. 2017; METHODS.md §6): unit–concept IoU,
 * labels and detector counts per layer, the random-rotation baseline, and
 * explanations of predictions by labelled units.
 *
 * @module
 */
export {
  dissect,
  type DissectionResult,
  type DissectOptions,
  formatDissection,
  labelUnits,
  type LayerDissection,
  type LayerSummary,
  summarizeDissection,
  type UnitLabel,
} from "./dissect.ts";
export {
  asSource,
  categoryOfKey,
  checkLabelMaps,
  type ConceptSource,
  type ProbeData,
  sceneSource,
} from "./probe.ts";
export {
  emptyTally,
  type LayerTally,
  mergeTallies,
  planTally,
  tallyBatch,
  tallyIoU,
  type TallyLayer,
  type TallyPlan,
} from "./tally.ts";
export { determinant, randomRotation, rotationPower } from "./rotation.ts";
export {
  type RotatedEvaluation,
  rotatedEvaluation,
  type RotatedEvaluationOptions,
  rotationAbsorber,
} from "./rotate_net.ts";
export {
  type ExplainOptions,
  explainWithUnits,
  type UnitContribution,
  type UnitExplanation,
} from "./explain.ts";
export { colorDetectorModel, colorProbeOptions, DETECTOR_COLORS } from "./color_detector.ts";
export {
  type DissectionReport,
  dissectionReport,
  type DissectionReportOptions,
  REPORT_PROBE_OFFSET,
} from "./report.ts";
