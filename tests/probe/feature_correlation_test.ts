import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { runNet } from "../../engine/net/executor.ts";
import {
  correlationOf,
  featureCorrelation,
  mergeCorrelationSums,
} from "../../engine/probe/feature_correlation.ts";
import { TEST_ARCHITECTURES, vggLike } from "../_nets.ts";
import { randomSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

/** Pearson matrix computed directly in float64 from rows [n, c]. */
function directPearson(x: Float32Array, n: number, c: number): Float64Array {
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) mean[j]! += x[i * c + j]! / n;
  const r = new Float64Array(c * c);
  for (let a = 0; a < c; a++) {
    for (let b = 0; b < c; b++) {
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (let i = 0; i < n; i++) {
        const da = x[i * c + a]! - mean[a]!;
        const db = x[i * c + b]! - mean[b]!;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
      }
      r[a * c + b] = sab / Math.sqrt(saa * sbb);
    }
  }
  return r;
}

Deno.test("featureCorrelation matches a direct float64 computation; streamed = one batch", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const set = await randomSet(23, [12, 12, 1], 5);
  const before = tf.memory().numTensors;
  const one = await featureCorrelation(net, set, { layers: ["conv1", "conv2"], batchSize: 23 });
  const streamed = await featureCorrelation(net, set, { layers: ["conv1", "conv2"], batchSize: 4 });
  assert.equal(tf.memory().numTensors, before);
  const x = tf.tensor4d(set.images, set.shape);
  for (const [i, layer] of ["conv1", "conv2"].entries()) {
    const r = runNet(net, x, { capture: [layer], skipOutput: true });
    const pooled = tf.mean(r.captured[layer]!, [1, 2]);
    const c = pooled.shape[1]!;
    const expected = directPearson((await pooled.data()) as Float32Array, 23, c);
    tf.dispose([r.output, r.captured[layer]!, pooled]);
    for (const got of [one[i]!, streamed[i]!]) {
      assert.equal(got.layer, layer);
      assert.equal(got.count, 23);
      assert.equal(got.channels, c);
      got.matrix.forEach((v, k) => {
        // A dead (constant) channel has an undefined r, reported as 0 (1 on the diagonal).
        const want = Number.isNaN(expected[k]!) ? (k % (c + 1) === 0 ? 1 : 0) : expected[k]!;
        assert.ok(Math.abs(v - want) < 1e-4, `${layer}[${k}]: ${v} vs ${expected[k]}`);
      });
    }
    one[i]!.matrix.forEach((v, k) => assert.ok(Math.abs(v - streamed[i]!.matrix[k]!) < 1e-5));
    assert.deepEqual(one[i]!.order, streamed[i]!.order);
  }
  x.dispose();
  model.dispose();
});

Deno.test("mergeCorrelationSums: merging partials with different shifts is exact", () => {
  // Rows (1, 2), (3, 5) summed around shift (2, 3); rows (10, 0), (12, 4) around (0, 0).
  const a = {
    layer: "l",
    channels: 2,
    count: 2,
    shift: Float64Array.from([2, 3]),
    sum: Float64Array.from([0, 1]),
    cross: Float64Array.from([2, 3, 3, 5]),
  };
  const b = {
    layer: "l",
    channels: 2,
    count: 2,
    shift: Float64Array.from([0, 0]),
    sum: Float64Array.from([22, 4]),
    cross: Float64Array.from([244, 48, 48, 16]),
  };
  const m = mergeCorrelationSums([a], [b])[0]!;
  // Around (2, 3): rows (−1,−1), (1,2), (8,−3), (10,1).
  assert.deepEqual([...m.sum], [18, -1]);
  assert.deepEqual([...m.cross], [
    1 + 1 + 64 + 100,
    1 + 2 - 24 + 10,
    1 + 2 - 24 + 10,
    1 + 4 + 9 + 1,
  ]);
  const r = correlationOf(m);
  assert.deepEqual([...r.mean], [6.5, 2.75]);
  assert.throws(() => mergeCorrelationSums([a], [{ ...b, layer: "k" }]), /Cannot merge/);
  assert.throws(() => correlationOf({ ...a, count: 1 }), /at least 2/);
});

Deno.test("featureCorrelation: hand-built correlated channel groups are ordered together", async () => {
  // 1×1 conv, no activation: channels = (in0, in1, 2·in0, −3·in1, in0 + 0·in1).
  // Groups {0, 2, 4} (r = 1) and {1, 3} (|r| = 1, r = −1 between 1 and 3).
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "mix",
        inputShape: [2, 2, 2],
        filters: 5,
        kernelSize: 1,
        weights: [
          tf.tensor4d([1, 0, 2, 0, 1, 0, 1, 0, -3, 0], [1, 1, 2, 5]),
          tf.tensor1d([0, 0, 0, 0, 0.5]),
        ],
      }),
    ],
  });
  const net = wrapModel(model);
  const set = await randomSet(12, [2, 2, 2], 9);
  const [c] = await featureCorrelation(net, set, { batchSize: 5 });
  const r = (i: number, j: number) => c!.matrix[i * 5 + j]!;
  assert.ok(Math.abs(r(0, 2) - 1) < 1e-5 && Math.abs(r(0, 4) - 1) < 1e-5);
  assert.ok(Math.abs(r(1, 3) + 1) < 1e-5);
  const groups = c!.order.map((i) => (i % 2 === 0 ? "a" : "b")).join("");
  assert.ok(groups === "aaabb" || groups === "bbaaa", groups);
  assert.deepEqual(c!.constant, []);
  const [signed] = await featureCorrelation(net, set, { distance: "signed", pooling: "max" });
  assert.deepEqual([...signed!.order].sort(), [0, 1, 2, 3, 4]);
  await assert.rejects(
    () => featureCorrelation(net, set, { distance: "cosine" as "signed" }),
    /distance is "cosine"/,
  );
  model.dispose();
});

Deno.test("featureCorrelation: constant channels get r = 0, listed; < 2 channels is an error", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c",
        inputShape: [2, 2, 1],
        filters: 3,
        kernelSize: 1,
        weights: [tf.tensor4d([1, 0, -1], [1, 1, 1, 3]), tf.tensor1d([0, 0.7, 0])],
      }),
      tfl.layers.conv2d({ name: "one", filters: 1, kernelSize: 1 }),
    ],
  });
  const net = wrapModel(model);
  const set = await randomSet(6, [2, 2, 1], 2);
  const [c] = await featureCorrelation(net, set, { layers: ["c"] });
  assert.deepEqual(c!.constant, [1]);
  assert.deepEqual([...c!.matrix].map((v) => Math.round(v * 1e5) / 1e5), [
    1,
    0,
    -1,
    0,
    1,
    0,
    -1,
    0,
    1,
  ]);
  await assert.rejects(
    () => featureCorrelation(net, set, { layers: ["one"] }),
    (e: Error) => e instanceof RangeError && /"one" has 1 channel.*at least 2/.test(e.message),
  );
  const single = {
    ...set,
    images: set.images.subarray(0, 4),
    shape: [1, 2, 2, 1] as [number, number, number, number],
  };
  await assert.rejects(() => featureCorrelation(net, single, { layers: ["c"] }), /saw 1 image/);
  model.dispose();
});

Deno.test("featureCorrelation runs on every test architecture without leaks", async () => {
  for (const [name, build] of Object.entries(TEST_ARCHITECTURES)) {
    const model = build();
    const net = wrapModel(model);
    const set = await randomSet(6, net.inputShape, 1);
    const before = tf.memory().numTensors;
    const res = await featureCorrelation(net, set, { batchSize: 4 });
    assert.equal(tf.memory().numTensors, before, name);
    for (const c of res) {
      assert.equal(c.order.length, c.channels);
      assert.ok(c.matrix.every(Number.isFinite), `${name} ${c.layer}`);
    }
    model.dispose();
  }
});
