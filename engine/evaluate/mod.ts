/**
 * Judging maps: region perturbation (AOPC, ABPC), deletion/insertion,
 * per-layer CAM evaluation, sanity checks and localisation.
 *
 * @module
 */
export {
  abpc,
  type AbpcResult,
  type RegionFill,
  regionPerturbation,
  type RegionPerturbationOptions,
  type RegionPerturbationResult,
} from "./region_perturbation.ts";
export {
  deletionInsertion,
  type DeletionInsertionOptions,
  type DeletionInsertionResult,
  trapezoidAuc,
} from "./deletion_insertion.ts";
export { type CamLayerRow, type CamLayersOptions, evaluateCamLayers } from "./per_layer.ts";
export {
  cascadingRandomization,
  type Explainer,
  type SanityOptions,
  type SanityResult,
  type SanityStep,
} from "./sanity.ts";
export { spearman, ssim, type SsimOptions } from "./similarity.ts";
export { type Localisation, localisation } from "./localisation.ts";
