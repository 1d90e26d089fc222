/**
 * A realistic neuron card state (tests, screenshots, the XSS check).
 *
 * @module
 */
import { blobImage, concat, spot, stripes } from "../_shared/sample_images.ts";
import { XSS_LABEL } from "../_shared/sample_util.ts";
import type { NeuronCardState } from "./spec.ts";

/**
 * A conv unit of a 32×32 RGB net, 4 examples, a 12-bin histogram; the label is an XSS probe.
 *
 * @returns the state
 */
export function sampleState(): NeuronCardState {
  const [h, w] = [32, 32];
  const colors: [number, number, number][] = [[0.9, 0.1, 0.1], [0.8, 0.2, 0.1], [0.9, 0.3, 0.2], [
    0.7,
    0.1,
    0.3,
  ]];
  return {
    title: `Neuron card ${XSS_LABEL}`,
    layer: XSS_LABEL,
    unit: 7,
    metric: "NeuronIM",
    score: 0.62,
    label: XSS_LABEL,
    iou: 0.31,
    imageShape: [h, w, 3],
    featureViz: stripes(h, w, 0.6, 0),
    shap: spot(h, w, 12, 18, 5),
    examples: concat(colors.map((c, i) => blobImage(h, w, 10 + 3 * i, 12 + 2 * i, c))),
    exampleScores: new Float32Array([4.1, 3.7, 3.2, 2.9]),
    exampleLabels: ["img_0012.png", XSS_LABEL, "img_0417.png", "img_0093.png"],
    histEdges: new Float32Array(Array.from({ length: 13 }, (_, i) => i * 0.5)),
    histCounts: new Float32Array([120, 80, 55, 30, 21, 12, 8, 6, 3, 2, 1, 1]),
  };
}
