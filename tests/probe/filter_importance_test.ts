import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { convLayers, wrapModel } from "../../engine/net/net.ts";
import { evaluate } from "../../engine/net/predict.ts";
import { neuronStats } from "../../engine/neurons/activation_stats.ts";
import { filterImportance, mergeFilterImportance } from "../../engine/probe/filter_importance.ts";
import { spearman } from "../../engine/stats/rank.ts";
import { resnetLike, TEST_ARCHITECTURES, vggLike } from "../_nets.ts";
import { randomSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

/** Cross-entropy of two logits. */
const ce = (z: [number, number], label: number) =>
  Math.log(Math.exp(z[0]) + Math.exp(z[1])) - z[label]!;

Deno.test("filterImportance: hand-worked ablation; a channel with all-zero next weights changes nothing", async () => {
  // Pooled channels a = (s, 2s, −s) for an image of constant value s;
  // logits z0 = a0 − a2, z1 = −a0 + 0·a1 + 2·a2 + 1 (channel 1 feeds nothing).
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [2, 2, 1],
        filters: 3,
        kernelSize: 1,
        weights: [tf.tensor4d([1, 2, -1], [1, 1, 1, 3]), tf.zeros([3])],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "out",
        units: 2,
        activation: "softmax",
        weights: [tf.tensor2d([1, -1, 0, 0, -1, 2], [3, 2]), tf.tensor1d([0, 1])],
      }),
    ],
  });
  const net = wrapModel(model);
  const s = [0.4, 0.1];
  const set = {
    name: "hand",
    images: Float32Array.from(s.flatMap((v) => [v, v, v, v])),
    shape: [2, 2, 2, 1] as [number, number, number, number],
    labels: Int32Array.from([0, 1]),
    classNames: ["a", "b"],
  };
  // Logits per image: base, channel 0 zeroed, channel 2 zeroed.
  const base = s.map((v): [number, number] => [2 * v, -3 * v + 1]);
  const abl0 = s.map((v): [number, number] => [v, -2 * v + 1]);
  const abl2 = s.map((v): [number, number] => [v, -v + 1]);
  const meanLoss = (z: [number, number][]) => (ce(z[0]!, 0) + ce(z[1]!, 1)) / 2;
  const before = tf.memory().numTensors;
  const [r] = await filterImportance(net, set, { rowBatchSize: 4, batchSize: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r!.layer, "conv");
  assert.equal(r!.channels, 3);
  assert.equal(r!.count, 2);
  // Image 0 (s = 0.4): base (0.8, −0.2) right; channel 2 zeroed (0.4, 0.6) wrong.
  // Image 1 (s = 0.1): (0.2, 0.7) right in every case.
  assert.equal(r!.baseAccuracy, 1);
  assert.deepEqual([...r!.accuracyDrop], [0, 0, 0.5]);
  assert.ok(Math.abs(r!.baseLoss - meanLoss(base)) < 1e-6);
  const want = [meanLoss(abl0) - meanLoss(base), 0, meanLoss(abl2) - meanLoss(base)];
  r!.lossIncrease.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-6, `${k}: ${v}`));
  assert.ok(Math.abs(r!.lossIncrease[1]!) < 1e-7);
  // L1 of the 1×1 filters: |1|, |2|, |−1|.
  assert.deepEqual([...r!.l1!], [1, 2, 1]);
  assert.equal(r!.spearmanL1, spearman([1, 2, 1], r!.lossIncrease));
  // Taylor of channel 1 is 0 (its gradient is 0); the others match neuronStats.
  const [stats] = await neuronStats(net, set, { layers: ["conv"] });
  r!.taylor!.forEach((v, k) => assert.ok(Math.abs(v - stats!.taylor[k]!) < 1e-6));
  assert.equal(r!.taylor![1], 0);
  model.dispose();
});

Deno.test("filterImportance equals evaluate() with a one-channel mask, on a residual net too", async () => {
  for (const [build, pickLayer] of [[vggLike, 0], [resnetLike, 1]] as const) {
    const model = build();
    const net = wrapModel(model);
    const set = await randomSet(5, net.inputShape, 7, net.numClasses);
    const layer = convLayers(net)[pickLayer]!.name;
    const before = tf.memory().numTensors;
    const [r] = await filterImportance(net, set, {
      layers: [layer],
      batchSize: 2,
      rowBatchSize: 5,
      proxies: false,
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r!.l1, null);
    assert.equal(r!.taylor, null);
    const base = await evaluate(net, set);
    assert.ok(Math.abs(r!.baseLoss - base.loss) < 1e-5);
    for (let k = 0; k < r!.channels; k++) {
      const mask = tf.tensor1d(Array.from({ length: r!.channels }, (_, j) => (j === k ? 0 : 1)));
      const e = await evaluate(net, set, { channelMask: { [layer]: mask } });
      mask.dispose();
      assert.ok(Math.abs(r!.lossIncrease[k]! - (e.loss - base.loss)) < 1e-5, `${layer} ${k}`);
      assert.ok(Math.abs(r!.accuracyDrop[k]! - (base.accuracy - e.accuracy)) < 1e-9);
    }
    model.dispose();
  }
});

Deno.test("filterImportance: every test architecture, merge of halves = whole set, no leaks", async () => {
  for (const [name, build] of Object.entries(TEST_ARCHITECTURES)) {
    const model = build();
    const net = wrapModel(model);
    const set = await randomSet(4, net.inputShape, 2, net.numClasses);
    const half = (from: number) => ({
      ...set,
      images: set.images.subarray(
        from * (set.images.length / 4),
        (from + 2) * (set.images.length / 4),
      ),
      shape: [2, ...net.inputShape] as [number, number, number, number],
      labels: set.labels.subarray(from, from + 2),
    });
    const before = tf.memory().numTensors;
    const whole = await filterImportance(net, set, { rowBatchSize: 7 });
    const merged = mergeFilterImportance(
      await filterImportance(net, half(0)),
      await filterImportance(net, half(2)),
    );
    assert.equal(tf.memory().numTensors, before, name);
    assert.equal(whole.length, convLayers(net).length);
    whole.forEach((w, i) => {
      const m = merged[i]!;
      assert.equal(m.count, 4);
      w.lossIncrease.forEach((v, k) => assert.ok(Math.abs(v - m.lossIncrease[k]!) < 1e-5, name));
      w.taylor!.forEach((v, k) => assert.ok(Math.abs(v - m.taylor![k]!) < 1e-5, name));
      assert.ok(w.l1 === null || w.l1.every(Number.isFinite));
    });
    model.dispose();
  }
});

Deno.test("filterImportance: bad inputs raise clear errors", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const set = await randomSet(3, [12, 12, 1], 1);
  await assert.rejects(() => filterImportance(net, set, { layers: ["zzz"] }), RangeError);
  await assert.rejects(() => filterImportance(net, set, { rowBatchSize: 0 }), /rowBatchSize is 0/);
  const bad = { ...set, labels: Int32Array.from([0, 1, 99]) };
  await assert.rejects(() => filterImportance(net, bad), /Label 99 of image 2/);
  model.dispose();
});
