import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { evaluate, predict, scoreLogits } from "../../engine/net/predict.ts";
import { pruningCurves } from "../../engine/prune/curves.ts";
import { pruningMask } from "../../engine/prune/masks.ts";
import { resnetLike, vggLike } from "../_nets.ts";
import { labelledSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);

Deno.test("0 % pruned is exactly evaluate(); every step matches evaluate() with its mask", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(10, [12, 12, 1], 1);
  const base = await evaluate(net, set);
  const before = tf.memory().numTensors;
  for (const layers of [["conv2"], ["conv1", "conv2"]]) {
    const r = await pruningCurves(net, set, {
      layers,
      rankings: ["l1", "random"],
      ratios: [0, 0.3, 0.6],
      repeats: 2,
      batchSize: 4,
      rowBatchSize: 12,
    });
    assert.equal(r.baseline.accuracy, base.accuracy);
    assert.equal(r.baseline.loss, base.loss);
    for (const curve of r.curves) {
      assert.equal(curve.accuracy[0], base.accuracy);
      assert.equal(curve.loss[0], base.loss);
      for (const [rep, acc] of curve.accuracyByRepeat.entries()) {
        for (const [j, ratio] of r.ratios.entries()) {
          const masks = Object.fromEntries(
            layers.map((l) => [l, tf.tensor1d(pruningMask(curve.orders[l]![rep]!, ratio))]),
          );
          const e = await evaluate(net, set, { channelMask: masks });
          tf.dispose(Object.values(masks));
          assert.equal(acc[j], e.accuracy, `${curve.ranking} ${layers} ${ratio}`);
          close(curve.lossByRepeat[rep]![j]!, e.loss, `${curve.ranking} ${layers} ${ratio}`);
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("100 % of a layer pruned gives a constant prediction", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(9, [12, 12, 1], 2);
  const r = await pruningCurves(net, set, { layers: ["conv2"], rankings: ["l1"], ratios: [1] });
  const zeros = { conv2: tf.zeros([6]) };
  const logits = await predict(net, set, { channelMask: zeros });
  tf.dispose(zeros.conv2);
  for (let i = 1; i < 9; i++) {
    assert.deepEqual([...logits.subarray(i * 3, i * 3 + 3)], [...logits.subarray(0, 3)]);
  }
  const constant = scoreLogits(logits, set.labels, 3);
  assert.equal(r.curves[0]!.accuracy[0], constant.accuracy);
  assert.equal(r.curves[0]!.accuracy[0], 3 / 9); // labels cycle through 3 classes
  close(r.curves[0]!.loss[0]!, constant.loss, "loss");
  model.dispose();
});

Deno.test("a residual layer (its skip bypasses the mask) prunes like evaluate(); random is seeded", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const set = await labelledSet(6, [12, 12, 3], 3, 4);
  const opts = {
    layers: ["res1_conv1"],
    rankings: ["random"],
    ratios: [0, 0.5, 1],
    repeats: 3,
    seed: 4,
  };
  const a = await pruningCurves(net, set, opts);
  const b = await pruningCurves(net, set, opts);
  const c = await pruningCurves(net, set, { ...opts, seed: 5 });
  assert.deepEqual(a.curves, b.curves);
  assert.notDeepEqual(a.curves[0]!.orders, c.curves[0]!.orders);
  const curve = a.curves[0]!;
  assert.equal(curve.repeats, 3);
  assert.equal(curve.accuracyStd!.length, 3);
  assert.equal(curve.accuracyStd![0], 0); // nothing pruned: every repeat is the baseline
  const order = curve.orders.res1_conv1![1]!;
  const mask = { res1_conv1: tf.tensor1d(pruningMask(order, 0.5)) };
  const e = await evaluate(net, set, { channelMask: mask });
  tf.dispose(mask.res1_conv1);
  assert.equal(curve.accuracyByRepeat[1]![1], e.accuracy);
  close(curve.lossByRepeat[1]![1]!, e.loss, "loss");
  model.dispose();
});

Deno.test("NeuronIM rankings use the given scores; default rankings include them only with scores", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(4, [12, 12, 1], 6);
  const scores = { conv1: [0.4, 0.1, 0.3, 0.2] };
  const r = await pruningCurves(net, set, { layers: ["conv1"], scores, ratios: [0, 0.5] });
  assert.deepEqual(r.curves.map((c) => c.ranking), [
    "l1",
    "meanActivation",
    "taylor",
    "random",
    "neuronImAscending",
    "neuronImDescending",
    "randomReversed",
  ]);
  assert.deepEqual(r.curves[4]!.orders.conv1, [[1, 3, 2, 0]]);
  assert.deepEqual(r.curves[5]!.orders.conv1, [[0, 2, 3, 1]]);
  const plain = await pruningCurves(net, set, { layers: ["conv1"], ratios: [0] });
  assert.equal(plain.curves.length, 4);
  model.dispose();
});

Deno.test("pruning errors: ranking, scores, layers, ratios, empty set", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(3, [12, 12, 1], 7);
  const run = (o: Record<string, unknown>, s = set) =>
    pruningCurves(net, s, { layers: ["conv2"], ratios: [0, 0.5], ...o });
  await assert.rejects(
    run({ rankings: ["magnitude"] }),
    /Unknown pruning ranking "magnitude"; known: /,
  );
  await assert.rejects(run({ rankings: ["neuronImAscending"] }), /needs options.scores\["conv2"\]/);
  await assert.rejects(run({ layers: ["fc"] }), TypeError);
  await assert.rejects(run({ layers: ["nope"] }), /Unknown layer "nope"/);
  await assert.rejects(run({ layers: [] }), /layers is empty/);
  await assert.rejects(run({ layers: ["conv2", "conv2"] }), /listed twice/);
  await assert.rejects(run({ ratios: [0, 1.5] }), /Pruning ratio 1.5 is outside \[0, 1\]/);
  await assert.rejects(run({ ratios: [-0.1] }), RangeError);
  await assert.rejects(run({ repeats: 0 }), /repeats is 0/);
  await assert.rejects(
    run({}, {
      ...set,
      images: new Float32Array(0),
      shape: [0, 12, 12, 1],
      labels: new Int32Array(0),
    }),
    /empty/,
  );
  await assert.rejects(
    run({}, { ...set, labels: Int32Array.from([0, 1, 7]) }),
    /Label 7 of image 2/,
  );
  model.dispose();
});

Deno.test("mnist-cnn: pruning block3_conv1 on a few test images, 0 % = evaluate(), 100 % constant", async () => {
  const { defaultData, loadDefaultNet } = await import("../../engine/train/default_models.ts");
  const mnist = await loadDefaultNet("mnist-cnn");
  const set = await defaultData("mnist-cnn", "test", 16);
  const base = await evaluate(mnist, set);
  const before = tf.memory().numTensors;
  const r = await pruningCurves(mnist, set, {
    layers: ["block3_conv1"],
    rankings: ["l1"],
    ratios: [0, 0.5, 1],
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.curves[0]!.accuracy[0], base.accuracy);
  assert.equal(r.curves[0]!.loss[0], base.loss);
  const zero = { block3_conv1: tf.zeros([r.units[0]!]) };
  const logits = await predict(mnist, set, { channelMask: zero });
  tf.dispose(zero.block3_conv1);
  const k = mnist.numClasses;
  for (let i = 1; i < 16; i++) {
    assert.deepEqual([...logits.subarray(i * k, (i + 1) * k)], [...logits.subarray(0, k)]);
  }
  assert.equal(r.curves[0]!.accuracy[2], scoreLogits(logits, set.labels, k).accuracy);
  mnist.model.dispose();
});

Deno.test("a custom ranking object plugs in; an order that is not a permutation is refused", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(4, [12, 12, 1], 8);
  const reversed = {
    name: "reversed",
    description: "last unit first",
    random: false,
    order: () => Promise.resolve([Int32Array.from([5, 4, 3, 2, 1, 0])]),
  };
  const r = await pruningCurves(net, set, {
    layers: ["conv2"],
    rankings: [reversed],
    ratios: [0.5],
  });
  assert.deepEqual(r.curves[0]!.orders.conv2, [[5, 4, 3, 2, 1, 0]]);
  const mask = { conv2: tf.tensor1d([1, 1, 1, 0, 0, 0]) };
  const e = await evaluate(net, set, { channelMask: mask });
  tf.dispose(mask.conv2);
  assert.equal(r.curves[0]!.accuracy[0], e.accuracy);
  const bad = { ...reversed, order: () => Promise.resolve([Int32Array.from([0, 0, 1, 2, 3, 4])]) };
  await assert.rejects(
    pruningCurves(net, set, { layers: ["conv2"], rankings: [bad] }),
    /gave 6 units \(5 distinct\) for conv2; expected a permutation/,
  );
  model.dispose();
});
