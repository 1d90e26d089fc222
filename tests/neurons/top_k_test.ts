import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { runNet } from "../../engine/net/executor.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import { cropReceptiveField } from "../../engine/neurons/receptive_field.ts";
import {
  fillCrops,
  type LayerTopActivating,
  mergeTopActivating,
  type NeuronImages,
  topActivating,
} from "../../engine/neurons/top_k.ts";
import { vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

function images(n: number, shape: [number, number, number], seed: number): NeuronImages {
  const t = tf.randomUniform([n, ...shape], 0, 1, "float32", seed);
  const images = t.dataSync() as Float32Array;
  t.dispose();
  return { name: "random", images: Float32Array.from(images), shape: [n, ...shape] };
}

/** Reference: every image's scalar activation and arg-max, from one full capture, sorted in JS. */
async function reference(
  net: Net,
  set: NeuronImages,
  layer: string,
  k: number,
  reduce: "mean" | "max",
) {
  const x = tf.tensor4d(set.images, set.shape);
  const r = runNet(net, x, { capture: [layer], skipOutput: true });
  const a = await r.captured[layer]!.data();
  const [n, h, w, c] = r.captured[layer]!.shape as number[];
  tf.dispose([x, r.output, r.captured[layer]!]);
  return Array.from({ length: c! }, (_, u) => {
    const rows = Array.from({ length: n! }, (_, i) => {
      let sum = 0, best = -Infinity, arg = 0;
      for (let p = 0; p < h! * w!; p++) {
        const v = a[(i * h! * w! + p) * c! + u]!;
        sum += v;
        if (v > best) [best, arg] = [v, p];
      }
      return {
        i,
        value: reduce === "mean" ? sum / (h! * w!) : best,
        pos: [Math.floor(arg / w!), arg % w!],
      };
    });
    return rows.sort((p, q) => q.value - p.value || p.i - q.i).slice(0, k);
  });
}

Deno.test("streaming top-k equals a full sort of every image, for several batch sizes", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(20, [12, 12, 1], 1);
  const before = tf.memory().numTensors;
  for (const reduce of ["mean", "max"] as const) {
    const runs: LayerTopActivating[][] = [];
    for (const batchSize of [1, 3, 7, 20]) {
      runs.push(await topActivating(net, set, { k: 5, reduce, batchSize }));
    }
    for (const layer of ["conv1", "conv2"]) {
      const ref = await reference(net, set, layer, 5, reduce);
      for (const run of runs) {
        const r = run.find((x) => x.layer === layer)!;
        assert.equal(r.k, 5);
        assert.equal(r.count, 20);
        ref.forEach((rows, u) => {
          assert.deepEqual(
            [...r.indices.subarray(u * 5, u * 5 + 5)],
            rows.map((x) => x.i),
            `${layer} unit ${u}`,
          );
          rows.forEach((x, s) => {
            assert.ok(Math.abs(r.values[u * 5 + s]! - x.value) < 1e-5);
            assert.deepEqual(
              [r.positions[2 * (u * 5 + s)], r.positions[2 * (u * 5 + s) + 1]],
              x.pos,
            );
          });
        });
        // Batch size changes nothing at all.
        assert.deepEqual([...r.values], [...runs[0]!.find((x) => x.layer === layer)!.values]);
      }
    }
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("crops are the receptive fields around the arg-max positions of the kept images", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(6, [12, 12, 1], 2);
  const [r] = await topActivating(net, set, { layers: ["conv2"], k: 3 });
  // conv1 same 3×3 → pool 2 → conv2 valid 3×3: size 3 + 1 + 2·2 = 8, stride 2, offset −1.
  assert.deepEqual(r!.receptiveField!.size, [8, 8]);
  assert.deepEqual(r!.receptiveField!.offset, [-1, -1]);
  const per = 8 * 8;
  for (const u of [0, 5]) {
    for (let s = 0; s < 3; s++) {
      const e = u * 3 + s;
      const expected = cropReceptiveField(set, r!.indices[e]!, r!.receptiveField!, [
        r!.positions[2 * e]!,
        r!.positions[2 * e + 1]!,
      ]);
      assert.deepEqual(r!.crops![u]!.subarray(s * per, (s + 1) * per), expected);
    }
  }
  model.dispose();
});

Deno.test("top-k of shards merged equals top-k of the whole set; k is capped at N", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(9, [12, 12, 1], 3);
  const per = 12 * 12;
  const half = (from: number, to: number): NeuronImages => ({
    name: "part",
    images: set.images.subarray(from * per, to * per),
    shape: [to - from, 12, 12, 1],
  });
  const whole = await topActivating(net, set, { k: 4, batchSize: 4 });
  const a = await topActivating(net, half(0, 3), { k: 4, crops: false });
  const b = await topActivating(net, half(3, 9), { k: 4, crops: false, firstIndex: 3 });
  assert.equal(a[0]!.k, 3); // only 3 images in the first shard
  const merged = fillCrops(set, mergeTopActivating(a, b));
  merged.forEach((m, li) => {
    assert.equal(m.k, 4);
    assert.equal(m.count, 9);
    assert.deepEqual([...m.indices], [...whole[li]!.indices]);
    assert.deepEqual([...m.positions], [...whole[li]!.positions]);
    assert.deepEqual(m.crops, whole[li]!.crops);
  });
  const capped = await topActivating(net, half(0, 2), { k: 9, crops: false });
  assert.equal(capped[0]!.k, 2);
  assert.equal(capped[0]!.indices.length, 2 * 4);
  model.dispose();
});

Deno.test("top-k errors: dense layer, unknown layer, empty set, bad k, bad reduce", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = images(2, [12, 12, 1], 4);
  await assert.rejects(topActivating(net, set, { layers: ["fc"] }), TypeError);
  await assert.rejects(topActivating(net, set, { layers: ["nope"] }), /Unknown layer "nope"/);
  await assert.rejects(
    topActivating(net, { name: "empty", images: new Float32Array(0), shape: [0, 12, 12, 1] }),
    /empty/,
  );
  await assert.rejects(topActivating(net, set, { k: 0 }), /k is 0/);
  await assert.rejects(topActivating(net, set, { reduce: "median" as "mean" }), TypeError);
  await assert.rejects(
    topActivating(net, { name: "bad", images: new Float32Array(4), shape: [1, 2, 2, 1] }),
    RangeError,
  );
  model.dispose();
});

Deno.test("hand-weighted: a 1×1 conv ranks images by their mean and finds the brightest pixel", async () => {
  // conv 1×1, weights [1, −1], no bias: unit 0 = x, unit 1 = −x.
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({
      name: "c",
      inputShape: [2, 2, 1],
      filters: 2,
      kernelSize: 1,
      weights: [tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.zeros([2])],
    })],
  });
  const net = wrapModel(model);
  const set: NeuronImages = {
    name: "hand",
    // means 0.25, 0.5, 0.1; the max of image 1 is at (1, 0).
    images: Float32Array.from([0, 1, 0, 0, 0.5, 0, 1, 0.5, 0.1, 0.1, 0.1, 0.1]),
    shape: [3, 2, 2, 1],
  };
  const [r] = await topActivating(net, set, { k: 2 });
  assert.deepEqual([...r!.indices], [1, 0, 2, 0]);
  assert.deepEqual([...r!.values].map((v) => Math.round(v * 1e6) / 1e6), [0.5, 0.25, -0.1, -0.25]);
  assert.deepEqual([...r!.positions.subarray(0, 2)], [1, 0]);
  assert.deepEqual([...r!.crops![0]!], [1, 1]); // 1×1 fields: the pixel values at the arg-max
  model.dispose();
});

Deno.test("mnist-cnn: top-k and crops of every conv layer on a few test images, no leaks", async () => {
  const { defaultData, loadDefaultNet } = await import("../../engine/train/default_models.ts");
  const mnist = await loadDefaultNet("mnist-cnn");
  const set = await defaultData("mnist-cnn", "test", 12);
  const before = tf.memory().numTensors;
  const top = await topActivating(mnist, set, { k: 3, batchSize: 5 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(top.map((t) => t.layer), [
    "block1_conv1",
    "block1_conv2",
    "block2_conv1",
    "block2_conv2",
    "block3_conv1",
  ]);
  const last = top.at(-1)!;
  assert.deepEqual(last.receptiveField!.size, [24, 24]);
  assert.equal(last.crops!.length, last.units);
  assert.equal(last.crops![0]!.length, 3 * 24 * 24);
  for (const t of top) {
    for (let u = 0; u < t.units; u++) {
      for (let s = 1; s < 3; s++) assert.ok(t.values[u * 3 + s - 1]! >= t.values[u * 3 + s]!);
    }
  }
  mnist.model.dispose();
});

Deno.test("without crops, a layer with no known receptive field still ranks; crops then refuse", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.upSampling2d({ name: "up", inputShape: [3, 3, 1] }),
      tfl.layers.conv2d({ name: "c", filters: 2, kernelSize: 3, kernelInitializer: "ones" }),
    ],
  });
  const net = wrapModel(model);
  const set = images(3, [3, 3, 1], 5);
  const [r] = await topActivating(net, set, { k: 2, crops: false });
  assert.equal(r!.receptiveField, null);
  assert.deepEqual(r!.outputSize, [4, 4]);
  assert.equal(r!.indices.length, 4);
  await assert.rejects(topActivating(net, set), /UpSampling2D/);
  assert.throws(() => fillCrops(set, [r!]), /No receptive field is known for c/);
  model.dispose();
});
