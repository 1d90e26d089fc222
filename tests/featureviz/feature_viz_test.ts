import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { featureVisualization, unitActivations } from "../../engine/featureviz/feature_viz.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { nestedNet, vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

/**
 * A 1×1 conv on 4×4 RGB images: unit 0 = r − g, unit 1 = b − r, unit 2 =
 * −r − g − b + 1. The maximising images are known: unit 0 → r = 1, g = 0
 * (b free); unit 1 → b = 1, r = 0; unit 2 → black.
 */
function colourNet() {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "colour",
        inputShape: [4, 4, 3],
        filters: 3,
        kernelSize: 1,
        weights: [
          tf.tensor4d([1, -1, -1, -1, 0, -1, 0, 1, -1], [1, 1, 3, 3]),
          tf.tensor1d([0, 0, 1]),
        ],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({ name: "out", units: 2 }),
    ],
  });
  return wrapModel(model);
}

/** Mean of each colour channel of image k. */
function channelMeans(images: Float32Array, k: number, hw: number): number[] {
  const m = [0, 0, 0];
  for (let p = 0; p < hw; p++) {
    for (let ch = 0; ch < 3; ch++) m[ch]! += images[(k * hw + p) * 3 + ch]!;
  }
  return m.map((v) => v / hw);
}

for (const parameterization of ["pixel", "fourier"] as const) {
  Deno.test(`${parameterization}: the visualisation moves to the hand-known optimum`, async () => {
    const net = colourNet();
    const before = tf.memory().numTensors;
    // Lucid's colour decorrelation makes r − g a weak direction: many steps.
    const viz = await featureVisualization(net, "colour", {
      parameterization,
      transforms: false,
      steps: 200,
      learningRate: 0.2,
    });
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(Array.from(viz.units), [0, 1, 2]);
    assert.deepEqual(viz.shape, [3, 4, 4, 3]);
    const [r0, g0] = channelMeans(viz.images, 0, 16);
    const [r1, , b1] = channelMeans(viz.images, 1, 16);
    const [r2, g2, b2] = channelMeans(viz.images, 2, 16);
    // From grey (0.5 everywhere, activation 0) most of the way to the optimum.
    // (The optimum of each unit is 1.)
    assert.ok(r0! > 0.7 && g0! < 0.2, `unit 0: r ${r0} g ${g0}`);
    assert.ok(b1! > 0.7 && r1! < 0.3, `unit 1: r ${r1} b ${b1}`);
    assert.ok(r2! < 0.3 && g2! < 0.3 && b2! < 0.3, `unit 2: ${r2} ${g2} ${b2}`);
    for (const a of viz.activations) assert.ok(a > 0.65, `activation ${a}`);
    // The reported activations are the units' values on their own images.
    assert.ok(Math.abs(viz.activations[0]! - (r0! - g0!)) < 1e-5);
    assert.ok(Math.abs(viz.activations[2]! - (1 - r2! - g2! - b2!)) < 1e-5);
    assert.equal(viz.options.parameterization, parameterization);
    assert.equal(viz.options.transforms, null);
    net.model.dispose();
  });
}

Deno.test("without colour decorrelation the optimum is reached sooner", async () => {
  const net = colourNet();
  const viz = await featureVisualization(net, "colour", {
    parameterization: "pixel",
    decorrelate: false,
    transforms: false,
    units: [0],
    steps: 60,
    learningRate: 0.2,
  });
  const [r, g] = channelMeans(viz.images, 0, 16);
  assert.ok(r! > 0.95 && g! < 0.05, `r ${r} g ${g}`);
  assert.equal(viz.options.decorrelate, false);
  net.model.dispose();
});

Deno.test("a unit dead on the grey start image is revived (deconv rescue)", async () => {
  // relu(x − 0.6) is 0 on the start image (≈ 0.5 everywhere): no gradient.
  // Its optimum is x = 1 → 0.4; the second unit, relu(−x − 0.1), can never fire.
  const net = wrapModel(tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "gate",
        inputShape: [3, 3, 1],
        filters: 2,
        kernelSize: 1,
        activation: "relu",
        weights: [tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([-0.6, -0.1])],
      }),
      tfl.layers.flatten({ name: "flat" }),
    ],
  }));
  const before = tf.memory().numTensors;
  const viz = await featureVisualization(net, "gate", {
    parameterization: "pixel",
    transforms: false,
    steps: 60,
    learningRate: 0.1,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(viz.activations[0]! > 0.3, `revived unit: ${viz.activations[0]}`);
  assert.equal(viz.activations[1], 0);
  net.model.dispose();
});

Deno.test("the activation grows with the number of steps (gradients flow, with transforms)", async () => {
  const net = wrapModel(vggLike(1));
  const conv = net.layers.filter((l) => l.kind === "conv").at(-1)!.name;
  const units = [0, 1, 2, 3];
  const acts = [];
  for (const steps of [1, 8, 40]) {
    const viz = await featureVisualization(net, conv, { units, steps, seed: 3 });
    acts.push(viz.activations.reduce((s, v) => s + v, 0));
    for (const v of viz.images) assert.ok(v >= 0 && v <= 1);
  }
  assert.ok(acts[0]! < acts[1]! && acts[1]! < acts[2]!, `activations ${acts.join(", ")}`);
  net.model.dispose();
});

Deno.test("seeded: same seed → identical images, other seed → different; chunking does not matter", async () => {
  const net = wrapModel(vggLike(1));
  const conv = net.layers.find((l) => l.kind === "conv")!.name;
  const run = (seed: number, batchSize = 64) =>
    featureVisualization(net, conv, { units: [0, 2, 3], steps: 6, seed, batchSize });
  const a = await run(5), b = await run(5), c = await run(6), d = await run(5, 2);
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.activations, b.activations);
  assert.notDeepEqual(a.images, c.images);
  // Each unit has its own seeds: split into chunks of 2, the images agree
  // up to floating-point summation order.
  let worst = 0;
  a.images.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - d.images[i]!))));
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
  net.model.dispose();
});

Deno.test("dense layers, max reduce, nested models, progress", async () => {
  const net = wrapModel(nestedNet(5));
  const before = tf.memory().numTensors;
  const dense = net.layers.find((l) => l.kind === "dense")!;
  const calls: number[] = [];
  const viz = await featureVisualization(net, dense.name, {
    units: [1],
    steps: 5,
    batchSize: 1,
    onProgress: (done, total) => {
      assert.equal(total, 5);
      calls.push(done);
    },
  });
  assert.deepEqual(calls, [1, 2, 3, 4, 5]);
  assert.equal(viz.activations.length, 1);
  const conv = net.layers.find((l) => l.kind === "conv")!.name;
  const m = await featureVisualization(net, conv, { units: [0, 1], steps: 3, reduce: "max" });
  assert.equal(m.options.reduce, "max");
  assert.ok(m.activations.every(Number.isFinite));
  assert.equal(tf.memory().numTensors, before);
  net.model.dispose();
});

Deno.test("unitActivations: hand-worked mean and max", async () => {
  const a = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [1, 2, 2, 2]);
  assert.deepEqual(Array.from(await unitActivations(a).data()), [4, 25]);
  assert.deepEqual(Array.from(await unitActivations(a, "max").data()), [7, 40]);
  assert.throws(() => unitActivations(tf.zeros([2, 3, 4])), RangeError);
  a.dispose();
});

Deno.test("bad inputs: clear errors", async () => {
  const net = colourNet();
  await assert.rejects(
    featureVisualization(net, "nope"),
    (e) =>
      e instanceof RangeError && /Unknown layer "nope"/.test(e.message) && /colour/.test(e.message),
  );
  await assert.rejects(
    featureVisualization(net, "colour", { units: [3] }),
    (e) => e instanceof RangeError && /unit 3/.test(e.message) && /3 units/.test(e.message),
  );
  await assert.rejects(featureVisualization(net, "colour", { units: [] }), RangeError);
  await assert.rejects(
    featureVisualization(net, "colour", { steps: 0 }),
    /steps must be a positive integer/,
  );
  await assert.rejects(featureVisualization(net, "colour", { learningRate: -1 }), /learningRate/);
  await assert.rejects(featureVisualization(net, "colour", { batchSize: 1.5 }), /batchSize/);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(featureVisualization(net, "colour", { reduce: "median" as any }), TypeError);
  const input = net.layers.find((l) => l.kind === "input");
  if (input) {
    await assert.rejects(
      featureVisualization(net, input.name),
      (e) => e instanceof TypeError && /no neurons/.test(e.message),
    );
  }
  net.model.dispose();
});
