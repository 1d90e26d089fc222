/**
 * The CAM methods by name, for `cam(net, images, { method: "gradCam" })`.
 * Adding a method: one file exporting a `CamMethod`, its import and one
 * entry below.
 *
 * @example
 * ```ts
 * import { CAM_METHODS, getCamMethod } from "./registry.ts";
 * if (!(getCamMethod("gradCam") === CAM_METHODS.gradCam)) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { ablationCam } from "./ablation_cam.ts";
import { eigenCam } from "./eigen_cam.ts";
import { gradCam } from "./grad_cam.ts";
import { gradCamPlusPlus } from "./grad_cam_plus_plus.ts";
import { hiResCam } from "./hires_cam.ts";
import { layerCam } from "./layer_cam.ts";
import { relevanceCam } from "./relevance_cam.ts";
import { scoreCam } from "./score_cam.ts";
import { shallowRelevanceCam } from "./shallow_relevance_cam.ts";
import type { CamMethod } from "./types.ts";
import { xGradCam } from "./xgrad_cam.ts";

/** Every registered CAM method, by the name `cam()` accepts. */
export const CAM_METHODS = {
  gradCam,
  gradCamPlusPlus,
  xGradCam,
  hiResCam,
  layerCam,
  scoreCam,
  ablationCam,
  eigenCam,
  relevanceCam,
  shallowRelevanceCam,
} as const satisfies Record<string, CamMethod>;

/** A name of {@link CAM_METHODS}. */
export type CamMethodName = keyof typeof CAM_METHODS;

/**
 * Looks a CAM method up by name (DESIGN.md "How a method plugs in").
 *
 * @param name a key of {@link CAM_METHODS}
 * @returns the method
 * @throws {TypeError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { getCamMethod } from "./registry.ts";
 * let message = "";
 * try {
 *   getCamMethod("gradCAM");
 * } catch (e) {
 *   if (e instanceof TypeError) message = e.message;
 * }
 * if (!/gradCam/.test(message)) throw new Error("example failed");
 * ```
 */
export function getCamMethod(name: string): CamMethod {
  if (!Object.hasOwn(CAM_METHODS, name)) {
    throw new TypeError(
      `Unknown CAM method "${name}"; known methods: ${Object.keys(CAM_METHODS).join(", ")}`,
    );
  }
  return CAM_METHODS[name as CamMethodName];
}
