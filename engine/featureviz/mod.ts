/**
 * Feature visualisation (Olah et al. 2017, "Feature Visualization", Distill;
 * Lucid): activation maximisation of many neurons at once with a decorrelated
 * Fourier parameterisation and robustness transforms, and the check that the
 * visualisations really maximise their neurons.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { featureVisualization } from "./mod.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({ name: "flat" }),
 * ] });
 * const viz = await featureVisualization(wrapModel(model), "conv", { steps: 2 });
 * if (viz.units.length !== 2) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
export {
  checkVizLayer,
  featureVisualization,
  type FeatureViz,
  type FeatureVizOptions,
  type ResolvedFeatureVizOptions,
  unitActivations,
  type UnitReduce,
} from "./feature_viz.ts";
export { checkColorMatrix, colorCorrelationSqrt, type ColorMatrix } from "./color.ts";
export {
  COLOR_CORRELATION_SVD_SQRT,
  createImageParam,
  disposeBasis,
  type ImageParam,
  type ImageParamOptions,
  irfft2d,
  type Irfft2dBasis,
  irfft2dBasis,
  irfft2dSplit,
  type Parameterization,
  PARAMETERIZATIONS,
} from "./parameterization.ts";
export {
  applyTransforms,
  disposePlan,
  drawTransforms,
  LUCID_DEGREES,
  LUCID_SCALES,
  type PlanGeometry,
  planTaps,
  type SamplingPlan,
  samplingPlan,
  type Taps,
  type TransformDraw,
  type TransformSettings,
  transformSettings,
} from "./transforms.ts";
export {
  type LayerMaximisation,
  type MaximisationCheck,
  maximisationCheck,
  type MaximisationCheckOptions,
  quantileSorted,
} from "./check.ts";
