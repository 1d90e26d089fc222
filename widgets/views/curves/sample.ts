/**
 * A realistic curves state: deletion and insertion for 3 methods (tests, screenshots, XSS check).
 *
 * @module
 */
import { XSS_LABEL } from "../_shared/sample_util.ts";
import type { CurvesState } from "./spec.ts";

/** @returns deletion/insertion curves of 51 points for 3 methods, one named as an XSS probe */
export function sampleState(): CurvesState {
  const methods = ["gradCam", "integratedGradients", XSS_LABEL];
  const curve = (rate: number, rising: boolean) =>
    Float32Array.from({ length: 51 }, (_, i) => {
      const t = i / 50;
      return rising ? 1 - Math.exp(-rate * t) * 0.9 : 0.1 + 0.9 * Math.exp(-rate * t);
    });
  const auc = (y: Float32Array) => {
    let s = 0;
    for (let i = 1; i < y.length; i++) s += (y[i]! + y[i - 1]!) / 2;
    return s / (y.length - 1);
  };
  const curves = methods.flatMap((method, m) => {
    const del = curve(8 - 2 * m, false), ins = curve(6 - 1.5 * m, true);
    return [
      { method, kind: "deletion", y: del, score: auc(del) },
      { method, kind: "insertion", y: ins, score: auc(ins) },
    ];
  });
  const scores = methods.map((method, m) => ({
    method,
    name: "comprehensive ×100",
    value: 100 * (curves[2 * m + 1]!.score - curves[2 * m]!.score),
  }));
  return {
    title: `Deletion / insertion ${XSS_LABEL}`,
    curves,
    yLabel: "probability of the class",
    scoreName: "AUC",
    scores,
  };
}
