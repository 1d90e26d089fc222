/**
 * The CAM family: map = ReLU(Σ_k w_k ⊙ A_k) at any conv layer, one method per
 * file, chosen by name from {@link CAM_METHODS} or passed as a function.
 *
 * @module
 */
export { cam, camAllLayers, type CamAllLayersOptions, type CamOptions } from "./cam.ts";
export { CAM_METHODS, type CamMethodName, getCamMethod } from "./registry.ts";
export type { CamInput, CamMethod, CamOutput } from "./types.ts";
export { fuseLayerCams } from "./layer_cam.ts";
