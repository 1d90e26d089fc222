/**
 * A realistic explorer state (tests, screenshots, XSS check, the 512 × 4 timing).
 *
 * @module
 */
import { blobImage, concat, spot, stripes } from "../_shared/sample_images.ts";
import { XSS_LABEL } from "../_shared/sample_util.ts";
import { sampleState as overviewSample } from "../layer_overview/sample.ts";
import type { ExplorerCard, ExplorerState } from "./spec.ts";

/**
 * @param unitsPerLayer neurons per layer (default 16; the browser timing uses 512)
 * @param layerCount layers (default 4)
 * @returns the overview sample plus pictures for the first 3 neurons of every layer
 */
export function sampleState(unitsPerLayer = 16, layerCount = 4): ExplorerState {
  const base = overviewSample(unitsPerLayer, layerCount);
  const [h, w] = [24, 24];
  const cards: ExplorerCard[] = [];
  for (let l = 0; l < layerCount; l++) {
    for (let u = 0; u < Math.min(3, unitsPerLayer); u++) {
      const neuron = l * unitsPerLayer + u;
      cards.push({
        neuron,
        featureViz: stripes(h, w, 0.3 + 0.2 * u, l),
        shap: spot(h, w, 8 + 2 * u, 12, 4),
        examples: concat(
          [0, 1, 2].map((k) => blobImage(h, w, 8 + 3 * k, 10 + u, [0.9, 0.2 + 0.2 * k, 0.1])),
        ),
        exampleScores: new Float32Array([3, 2.5, 2]),
        exampleLabels: ["scene_0001.png", XSS_LABEL, "scene_0107.png"],
        histEdges: Float32Array.from({ length: 11 }, (_, i) => i / 2),
        histCounts: Float32Array.from(
          { length: 10 },
          (_, i) => Math.round(100 * Math.exp(-i / (1 + u))),
        ),
      });
    }
  }
  return { ...base, title: `Explorer ${XSS_LABEL}`, imageShape: [h, w, 3], cards };
}
