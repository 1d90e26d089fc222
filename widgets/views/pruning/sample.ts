/**
 * A realistic pruning state: 5 rankings at 0–90 % (tests, screenshots, XSS check).
 *
 * @module
 */
import { XSS_LABEL } from "../_shared/sample_util.ts";
import type { PruningState } from "./spec.ts";

/** @returns accuracy and loss curves; random has a std band; one ranking name is an XSS probe */
export function sampleState(): PruningState {
  const ratios = Float32Array.from({ length: 10 }, (_, i) => i / 10);
  const acc = (k: number) => Float32Array.from(ratios, (r) => 0.98 - 0.9 * r ** k);
  const loss = (a: Float32Array) => Float32Array.from(a, (x) => -Math.log(Math.max(0.05, x)));
  const series = [
    ["NeuronIM ascending", 4],
    ["NeuronIM descending", 1.5],
    ["L1 norm", 3],
    [XSS_LABEL, 2.5],
  ].map(([ranking, k]) => {
    const a = acc(k as number);
    return { ranking: ranking as string, accuracy: a, loss: loss(a) };
  });
  const ra = acc(2);
  series.push(
    {
      ranking: "random",
      accuracy: ra,
      loss: loss(ra),
      accuracyStd: Float32Array.from(ratios, (r) => 0.06 * r),
      lossStd: Float32Array.from(ratios, (r) => 0.2 * r),
    } as (typeof series)[number],
  );
  return {
    title: `Pruning block2_conv1 ${XSS_LABEL}`,
    ratios,
    series,
    pruned: `block2_conv1, ${XSS_LABEL}`,
  };
}
