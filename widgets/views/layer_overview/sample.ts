/**
 * A realistic layer overview state: 4 layers, NeuronIM scores and IoU with
 * 10 concepts in 3 categories (tests, screenshots, the XSS check).
 *
 * @module
 */
import { createRngLite, XSS_LABEL } from "../_shared/sample_util.ts";
import type { LayerOverviewState } from "./spec.ts";

/**
 * @param unitsPerLayer neurons per layer (default 16; the browser timing uses 512)
 * @param layerCount layers (default 4)
 * @returns the state; a layer name and a concept are XSS probes
 */
export function sampleState(unitsPerLayer = 16, layerCount = 4): LayerOverviewState {
  const layers = Array.from(
    { length: layerCount },
    (_, l) => (l === 1 ? XSS_LABEL : `conv${l + 1}`),
  );
  const concepts = [
    "red",
    "green",
    "blue",
    "yellow",
    XSS_LABEL,
    "circle",
    "square",
    "cross",
    "stripes",
    "dots",
  ];
  const categories = ["colour", "shape", "texture"];
  const conceptCategory = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 2, 2]);
  const n = unitsPerLayer * layerCount, C = concepts.length;
  const layerOf = new Int32Array(n),
    unit = new Int32Array(n),
    score = new Float32Array(n),
    iou = new Float32Array(n * C);
  const rng = createRngLite(7);
  for (let i = 0; i < n; i++) {
    const l = Math.floor(i / unitsPerLayer);
    layerOf[i] = l;
    unit[i] = i % unitsPerLayer;
    score[i] = Math.max(0, Math.min(1, 0.3 + 0.08 * l + 0.15 * rng.normal()));
    // Early layers detect colours, later ones shapes and textures.
    for (let c = 0; c < C; c++) {
      const affinity = conceptCategory[c] === Math.min(2, Math.floor(l * 3 / layerCount))
        ? 0.045
        : 0.02;
      iou[i * C + c] = Math.max(0, affinity * rng.next() * 1.6);
    }
  }
  return {
    title: `Layer overview ${XSS_LABEL}`,
    metric: "NeuronIM",
    layers,
    layerOf,
    unit,
    score,
    concepts,
    categories,
    conceptCategory,
    iou,
  };
}
