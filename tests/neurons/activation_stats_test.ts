import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import {
  mergeNeuronStats,
  neuronStats,
  rankByTaylor,
} from "../../engine/neurons/activation_stats.ts";
import type { ImageSet } from "../../engine/data/types.ts";
import { vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

function randomSet(n: number, shape: [number, number, number], seed: number): ImageSet {
  const images = tf.tidy(() => tf.randomUniform([n, ...shape], 0, 1, "float32", seed).dataSync());
  return {
    name: "random",
    images: Float32Array.from(images),
    shape: [n, ...shape],
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    classNames: ["a", "b", "c"],
  };
}

Deno.test("hand-worked statistics of a one-filter conv: mean, active fraction, max, Taylor", async () => {
  // conv 1×1 with weight 2 and bias −1 on a 2×2 image: A = 2x − 1.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c",
        inputShape: [2, 2, 1],
        filters: 1,
        kernelSize: 1,
        weights: [tf.tensor4d([2], [1, 1, 1, 1]), tf.tensor1d([-1])],
      }),
      tfl.layers.flatten({ name: "f" }),
      // Logits z0 = Σ A, z1 = 0.
      tfl.layers.dense({
        name: "out",
        units: 2,
        activation: "softmax",
        weights: [tf.tensor2d([1, 0, 1, 0, 1, 0, 1, 0], [4, 2]), tf.tensor1d([0, 0])],
      }),
    ],
  });
  const net = wrapModel(model);
  const set: ImageSet = {
    name: "hand",
    images: Float32Array.from([0, 0.5, 1, 1]), // A = −1, 0, 1, 1
    shape: [1, 2, 2, 1],
    labels: Int32Array.from([0]),
    classNames: ["a", "b"],
  };
  const [s] = await neuronStats(net, set);
  assert.equal(s!.count, 1);
  assert.ok(Math.abs(s!.mean[0]! - 0.25) < 1e-6);
  assert.equal(s!.activeFraction[0], 0.5);
  assert.equal(s!.max[0], 1);
  // z0 = Σ A = 1, z1 = 0; loss = −log softmax(z)_0; ∂L/∂A_ij = −(1 − p0) with p0 = e/(e+1).
  // Taylor = |mean_ij A·∂L/∂A| = |Σ A| · (1 − p0) / 4 = (1 − p0) / 4.
  const p0 = Math.E / (Math.E + 1);
  assert.ok(Math.abs(s!.taylor[0]! - (1 - p0) / 4) < 1e-6, `taylor ${s!.taylor[0]}`);
  model.dispose();
});

Deno.test("statistics of the whole set equal the merge of its halves; no tensors leak", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = randomSet(10, [12, 12, 1], 3);
  const before = tf.memory().numTensors;
  const whole = await neuronStats(net, set, { batchSize: 4 });
  assert.equal(tf.memory().numTensors, before);
  const half = (from: number, to: number): ImageSet => ({
    ...set,
    images: set.images.subarray(from * 144, to * 144),
    shape: [to - from, 12, 12, 1],
    labels: set.labels.subarray(from, to),
  });
  const merged = mergeNeuronStats(
    await neuronStats(net, half(0, 3), { batchSize: 10 }),
    await neuronStats(net, half(3, 10), { batchSize: 10 }),
  );
  assert.deepEqual(whole.map((s) => s.layer), ["conv1", "conv2"]);
  for (let l = 0; l < whole.length; l++) {
    for (const key of ["mean", "activeFraction", "max", "taylor"] as const) {
      whole[l]![key].forEach((v, k) =>
        assert.ok(
          Math.abs(v - merged[l]![key][k]!) <= 1e-5 * Math.max(1, Math.abs(v)),
          `${key}[${k}]`,
        )
      );
    }
  }
  const ranked = rankByTaylor(whole);
  assert.equal(ranked.length, 4 + 6);
  for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.score >= ranked[i]!.score);
  model.dispose();
});

Deno.test("neuron statistics reject empty sets, unknown layers and wrong shapes", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const empty = randomSet(0, [12, 12, 1], 1);
  await assert.rejects(neuronStats(net, empty), /empty/);
  await assert.rejects(
    neuronStats(net, randomSet(2, [12, 12, 1], 1), { layers: ["conv7"] }),
    /Unknown layer "conv7"/,
  );
  await assert.rejects(neuronStats(net, randomSet(2, [10, 10, 1], 1)), /expects \[N, 12, 12, 1\]/);
  const nan = randomSet(2, [12, 12, 1], 1);
  nan.images[5] = NaN;
  await assert.rejects(neuronStats(net, nan), /contains NaN at index 5/);
  model.dispose();
});
