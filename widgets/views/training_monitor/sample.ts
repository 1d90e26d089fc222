/**
 * A realistic training monitor state: 6 epochs × 3 layers (tests, screenshots, XSS check).
 *
 * @module
 */
import { createRngLite, XSS_LABEL } from "../_shared/sample_util.ts";
import type { MonitorCorrelation, MonitorImportance, TrainingMonitorState } from "./spec.ts";

/** @returns the state; one layer name is an XSS probe */
export function sampleState(): TrainingMonitorState {
  const layers = ["conv1", XSS_LABEL, "conv3"];
  const epochs = Int32Array.from([1, 2, 3, 4, 5, 6]);
  const test = new Float32Array(epochs.length * layers.length);
  const train = new Float32Array(test.length);
  epochs.forEach((e, i) =>
    layers.forEach((_, l) => {
      test[i * 3 + l] = 0.3 + 0.2 * l + 0.25 * (1 - Math.exp(-e / 2));
      train[i * 3 + l] = test[i * 3 + l]! + 0.03;
    })
  );
  const rng = createRngLite(3);
  const correlations: MonitorCorrelation[] = [];
  const importance: MonitorImportance[] = [];
  for (const epoch of [1, 6]) {
    for (const layer of layers) {
      const n = 8;
      // Two groups of correlated channels, interleaved, so the cluster order matters.
      const matrix = new Float32Array(n * n);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          matrix[a * n + b] = a === b ? 1 : a % 2 === b % 2 ? 0.7 : -0.2 + 0.1 * rng.normal();
        }
      }
      correlations.push({
        epoch,
        layer,
        channels: n,
        matrix,
        order: Int32Array.from([0, 2, 4, 6, 1, 3, 5, 7]),
      });
      const lossIncrease = Float32Array.from(
        { length: n },
        () => Math.abs(0.1 * rng.normal()) * epoch,
      );
      importance.push({
        epoch,
        layer,
        lossIncrease,
        accuracyDrop: Float32Array.from(lossIncrease, (x) => x / 5),
        l1: Float32Array.from(lossIncrease, (x) => 1 + x + 0.1 * rng.next()),
      });
    }
  }
  return {
    title: `Training monitor ${XSS_LABEL}`,
    layers,
    epochs,
    testAccuracy: test,
    trainAccuracy: train,
    correlations,
    importance,
  };
}
