import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { layerProbes, pooledFeatures } from "../../engine/probe/layer_probes.ts";
import { probeProbabilities, trainSoftmaxProbe } from "../../engine/probe/softmax_probe.ts";
import { createRng } from "../../engine/random.ts";
import { vggLike } from "../_nets.ts";
import { randomSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

/** 3 classes in 4-D: class c centred at 3·e_c, features spread ±1 around it. */
function separable(n: number, seed: number) {
  const rng = createRng(seed);
  const features = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let j = 0; j < 4; j++) features[i * 4 + j] = (j === c ? 3 : 0) + (rng.next() * 2 - 1);
  }
  return { features, labels, numClasses: 3 };
}

Deno.test("softmax probe: linearly separable features reach 100 %, deterministic", async () => {
  const before = tf.memory().numTensors;
  const train = separable(90, 1);
  const test = separable(60, 2);
  const probe = await trainSoftmaxProbe(train, { epochs: 200 });
  const again = await trainSoftmaxProbe(train, { epochs: 200 });
  assert.deepEqual(probe.weights, again.weights);
  const p = await probeProbabilities(probe, test.features);
  let correct = 0;
  for (let i = 0; i < 60; i++) {
    const row = [...p.subarray(i * 3, i * 3 + 3)];
    if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
    assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
  }
  assert.equal(correct, 60);
  // Mini-batches with a seed are deterministic too, and also separate the data.
  const mb = await trainSoftmaxProbe(train, { epochs: 30, batchSize: 16, seed: 3 });
  const mb2 = await trainSoftmaxProbe(train, { epochs: 30, batchSize: 16, seed: 3 });
  assert.deepEqual(mb.weights, mb2.weights);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("softmax probe: the L2 penalty shrinks the weights", async () => {
  const train = separable(60, 4);
  const norm = (w: Float32Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  const free = await trainSoftmaxProbe(train, { epochs: 100, l2: 0 });
  const tight = await trainSoftmaxProbe(train, { epochs: 100, l2: 1 });
  assert.ok(norm(tight.weights) < 0.5 * norm(free.weights));
});

Deno.test("softmax probe: bad inputs raise clear errors", async () => {
  const ok = separable(6, 1);
  await assert.rejects(
    () => trainSoftmaxProbe({ ...ok, labels: Int32Array.from([0, 1, 2, 3, 0, 1]) }),
    /Label 3 of row 3 is outside 0..2/,
  );
  await assert.rejects(
    () => trainSoftmaxProbe({ ...ok, features: new Float32Array(7) }),
    /do not split into 6 rows/,
  );
  await assert.rejects(() => trainSoftmaxProbe({ ...ok, numClasses: 1 }), RangeError);
  const bad = Float32Array.from(ok.features);
  bad[5] = NaN;
  await assert.rejects(() => trainSoftmaxProbe({ ...ok, features: bad }), TypeError);
});

Deno.test("layerProbes: a hand-weighted colour detector is probed perfectly at every layer", async () => {
  // conv 1×1 with identity weights copies the two input channels; images of
  // class 0 are bright in channel 0, class 1 in channel 1. The pooled
  // features are therefore separable at "conv", and at the dense layer.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [3, 3, 2],
        filters: 2,
        kernelSize: 1,
        weights: [tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]), tf.zeros([2])],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "fc",
        units: 2,
        activation: "softmax",
        weights: [tf.tensor2d([1, -1, -1, 1], [2, 2]), tf.zeros([2])],
      }),
    ],
  });
  const net = wrapModel(model);
  const set = (n: number, seed: number) => {
    const rng = createRng(seed);
    const images = new Float32Array(n * 18);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 9; p++) {
        images[i * 18 + p * 2 + (i % 2)] = 0.6 + 0.4 * rng.next();
        images[i * 18 + p * 2 + 1 - (i % 2)] = 0.4 * rng.next();
      }
    }
    return {
      name: "colours",
      images,
      shape: [n, 3, 3, 2] as [number, number, number, number],
      labels,
      classNames: ["a", "b"],
    };
  };
  const before = tf.memory().numTensors;
  const r = await layerProbes(net, { train: set(20, 1), test: set(10, 2) }, {
    layers: ["conv", "fc"],
    topK: 5,
    featureBatchSize: 7,
    epochs: 100,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.topK, 2); // clamped to the number of classes
  assert.equal(r.testCount, 10);
  assert.deepEqual(r.layers.map((l) => [l.layer, l.dims]), [["conv", 2], ["fc", 2]]);
  for (const l of r.layers) {
    assert.equal(l.trainAccuracy, 1);
    assert.equal(l.testAccuracy, 1);
    for (let i = 0; i < 10; i++) {
      assert.equal(l.topClasses[i * 2], i % 2);
      assert.ok(l.topConfidences[i * 2]! >= l.topConfidences[i * 2 + 1]!);
      assert.ok(Math.abs(l.topConfidences[i * 2]! + l.topConfidences[i * 2 + 1]! - 1) < 1e-5);
    }
  }
  model.dispose();
});

Deno.test("pooledFeatures: one pass for all layers equals the spatial mean per layer, any batch size", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const set = await randomSet(5, [12, 12, 1], 3);
  const before = tf.memory().numTensors;
  const a = await pooledFeatures(net, set, { layers: ["conv1", "conv2"], batchSize: 2 });
  const b = await pooledFeatures(net, set, { layers: ["conv1", "conv2"], batchSize: 5 });
  const mx = await pooledFeatures(net, set, { layers: ["conv1"], pooling: "max" });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(a, b);
  const x = tf.tensor4d(set.images, set.shape);
  const direct = tf.mean(model.getLayer("conv1").apply(x) as tf.Tensor, [1, 2]);
  const d = await direct.data();
  a.conv1!.forEach((v, i) => assert.ok(Math.abs(v - d[i]!) < 1e-5));
  const directMax = tf.max(model.getLayer("conv1").apply(x) as tf.Tensor, [1, 2]);
  const dm = await directMax.data();
  mx.conv1!.forEach((v, i) => assert.equal(v, dm[i]!));
  await assert.rejects(
    () => pooledFeatures(net, set, { pooling: "median" as "max" }),
    /pooling is "median"/,
  );
  tf.dispose([x, direct, directMax]);
  model.dispose();
});

Deno.test("layerProbes: bad inputs raise clear errors", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const set = await randomSet(4, [12, 12, 1], 3);
  await assert.rejects(
    () => layerProbes(net, { train: set, test: set }, { layers: ["nope"] }),
    RangeError,
  );
  const wrong = await randomSet(4, [10, 10, 1], 3);
  await assert.rejects(
    () => layerProbes(net, { train: set, test: wrong }),
    /expects \[N, 12, 12, 1\]/,
  );
  const badLabels = { ...set, labels: Int32Array.from([0, 1, 2, 7]) };
  await assert.rejects(
    () => layerProbes(net, { train: set, test: badLabels }),
    /Label 7 of image 3/,
  );
  model.dispose();
});
