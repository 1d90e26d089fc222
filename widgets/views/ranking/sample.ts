/**
 * A realistic ranking state for tests, screenshots and the XSS check.
 *
 * @module
 */
import { createRngLite, XSS_LABEL } from "../_shared/sample_util.ts";
import type { RankingState } from "./spec.ts";

/**
 * NeuronIM-like scores for 3 layers (16, 32, 48 units); one layer name is an XSS probe.
 *
 * @returns the state (96 neurons)
 */
export function sampleState(): RankingState {
  const layers = ["conv1", XSS_LABEL, "conv3"];
  const sizes = [16, 32, 48];
  const n = sizes.reduce((a, b) => a + b, 0);
  const layerOf = new Int32Array(n), unit = new Int32Array(n), score = new Float32Array(n);
  const rng = createRngLite(1);
  const labels: string[] = [];
  let i = 0;
  sizes.forEach((size, l) => {
    for (let u = 0; u < size; u++, i++) {
      layerOf[i] = l;
      unit[i] = u;
      score[i] = Math.max(0, Math.min(1, 0.25 + 0.12 * l + 0.15 * rng.normal()));
      labels.push(u % 5 === 0 ? (u % 10 === 0 ? XSS_LABEL : "red") : "");
    }
  });
  return {
    title: `NeuronIM ranking ${XSS_LABEL}`,
    metric: "NeuronIM",
    layers,
    layerOf,
    unit,
    score,
    threshold: 0.4,
    labels,
  };
}
