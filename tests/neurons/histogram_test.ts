import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { runNet } from "../../engine/net/executor.ts";
import { wrapModel } from "../../engine/net/net.ts";
import {
  activationHistograms,
  mergeLayerHistograms,
  neuronProfiles,
  neuronQuantiles,
} from "../../engine/neurons/histogram.ts";
import type { NeuronImages } from "../../engine/neurons/top_k.ts";
import { topActivating } from "../../engine/neurons/top_k.ts";
import { vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

function images(n: number, seed: number): NeuronImages {
  const t = tf.randomUniform([n, 12, 12, 1], 0, 1, "float32", seed);
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return { name: "random", images: v, shape: [n, 12, 12, 1] };
}

const plain = (h: { counts: Float64Array; sum: number }) => ({
  ...h,
  counts: [...h.counts],
  sum: Math.round(h.sum * 1e6),
});

Deno.test("histograms hold every image once, exact min/max, shards merge to the whole", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(12, 7);
  const before = tf.memory().numTensors;
  const whole = await activationHistograms(net, set, { bins: 8, batchSize: 5 });
  assert.equal(tf.memory().numTensors, before);
  // Reference per-image means of conv2 from one capture.
  const x = tf.tensor4d(set.images, set.shape);
  const r = runNet(net, x, { capture: ["conv2"], skipOutput: true });
  const means = tf.mean(r.captured.conv2!, [1, 2]);
  const m = await means.data();
  tf.dispose([x, r.output, r.captured.conv2!, means]);
  const conv2 = whole.find((h) => h.layer === "conv2")!;
  assert.equal(conv2.count, 12);
  conv2.histograms.forEach((h, u) => {
    const col = Array.from({ length: 12 }, (_, i) => m[i * 6 + u]!);
    assert.equal(h.count, 12);
    assert.equal(h.counts.reduce((s, c) => s + c, 0), 12);
    assert.ok(Math.abs(h.min - Math.min(...col)) < 1e-6);
    assert.ok(Math.abs(h.max - Math.max(...col)) < 1e-6);
  });
  const per = 144;
  const part = (from: number, to: number): NeuronImages => ({
    name: "p",
    images: set.images.subarray(from * per, to * per),
    shape: [to - from, 12, 12, 1],
  });
  const a = await activationHistograms(net, part(0, 5), { bins: 8 });
  const b = await activationHistograms(net, part(5, 12), { bins: 8 });
  for (const merged of [mergeLayerHistograms(a, b), mergeLayerHistograms(b, a)]) {
    merged.forEach((rec, li) => {
      assert.equal(rec.count, 12);
      rec.histograms.forEach((h, u) =>
        assert.deepEqual(plain(h), plain(whole[li]!.histograms[u]!))
      );
    });
  }
  const q = neuronQuantiles(conv2, 1);
  conv2.histograms.forEach((h, u) => assert.equal(q[u], h.max));
  model.dispose();
});

Deno.test("neuronProfiles gives the top-k and the histograms of separate calls in one pass", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(7, 8);
  const p = await neuronProfiles(net, set, { k: 3, reduce: "max", bins: 8, crops: false });
  const top = await topActivating(net, set, { k: 3, reduce: "max", crops: false });
  const hist = await activationHistograms(net, set, { reduce: "max", bins: 8 });
  p.top.forEach((t, li) => assert.deepEqual([...t.indices], [...top[li]!.indices]));
  p.histograms.forEach((h, li) =>
    h.histograms.forEach((x, u) => assert.deepEqual(plain(x), plain(hist[li]!.histograms[u]!)))
  );
  model.dispose();
});

Deno.test("histogram errors: dense layer, empty set, odd bins", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(2, 9);
  await assert.rejects(activationHistograms(net, set, { layers: ["out"] }), TypeError);
  await assert.rejects(
    activationHistograms(net, { name: "e", images: new Float32Array(0), shape: [0, 12, 12, 1] }),
    /empty/,
  );
  await assert.rejects(activationHistograms(net, set, { bins: 5 }), /bins is 5/);
  assert.throws(
    () =>
      mergeLayerHistograms([], [{
        layer: "a",
        units: 1,
        reduce: "mean",
        count: 0,
        histograms: [],
      }]),
    RangeError,
  );
  model.dispose();
});
