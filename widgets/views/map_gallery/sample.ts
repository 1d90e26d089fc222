/**
 * A realistic map gallery state: 3 images × 4 methods (tests, screenshots, XSS check).
 *
 * @module
 */
import { blobImage, concat, spot } from "../_shared/sample_images.ts";
import { XSS_LABEL } from "../_shared/sample_util.ts";
import type { MapGalleryState } from "./spec.ts";

/** @returns the state: 32×32 RGB images, one method name is an XSS probe */
export function sampleState(): MapGalleryState {
  const [h, w] = [32, 32];
  const centres: [number, number][] = [[10, 12], [20, 18], [14, 22]];
  const images = concat(
    centres.map(([y, x], i) =>
      blobImage(
        h,
        w,
        y,
        x,
        [[0.9, 0.2, 0.1], [0.1, 0.6, 0.9], [0.9, 0.8, 0.1]][i] as [number, number, number],
      )
    ),
  );
  const methods = ["saliency", "integratedGradients", "gradCam", XSS_LABEL];
  const maps = concat(
    centres.flatMap(([y, x]) => methods.map((_, m) => spot(h, w, y + m - 1, x - m + 1, 3 + 2 * m))),
  );
  return {
    title: `Maps ${XSS_LABEL}`,
    rowLabels: ["scene_000 · circle", `scene_001 ${XSS_LABEL}`, "scene_002 · cross"],
    columnLabels: methods,
    columnKind: "method",
    imageShape: [h, w, 3],
    maps,
    images,
  };
}
