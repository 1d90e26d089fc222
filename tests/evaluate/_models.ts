/**
 * Hand-weighted linear "models" for the evaluation tests: every expected
 * curve in the tests follows from the weights written here.
 *
 * @module
 */
import { tf, tfl } from "../../engine/deps.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";

/**
 * Two logits on a 4×4×1 image: y₀ = Σ_p w_p x_p, y₁ = 0, linear head. With
 * `weights` = null, w_p = p + 1 (row-major p = 0 … 15).
 */
export function linear4x4(weights: number[] | null = null): Net {
  const w = weights ?? Array.from({ length: 16 }, (_, p) => p + 1);
  const model = tfl.sequential({
    name: "linear4x4",
    layers: [
      tfl.layers.flatten({ inputShape: [4, 4, 1], name: "flat" }),
      tfl.layers.dense({ units: 2, name: "logits" }),
    ],
  });
  const kernel = w.flatMap((v) => [v, 0]);
  model.getLayer("logits").setWeights([tf.tensor2d(kernel, [16, 2]), tf.tensor1d([0, 0])]);
  return wrapModel(model);
}

/** An [N, 4, 4] map set from row-major values of one image, repeated. */
export function maps4x4(values: number[], n = 1) {
  const out = new Float32Array(16 * n);
  for (let i = 0; i < n; i++) out.set(values, i * 16);
  return { values: out, shape: [n, 4, 4] as [number, number, number] };
}

/** Asserts that two number lists agree to a relative tolerance. */
export function close(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tol = 1e-5,
) {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}[${i}] = ${actual[i]}, expected ${e} (all: ${Array.from(actual)})`);
    }
  }
}
