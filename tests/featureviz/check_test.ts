import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { maximisationCheck, quantileSorted } from "../../engine/featureviz/check.ts";
import { featureVisualization } from "../../engine/featureviz/feature_viz.ts";
import type { ImageSet } from "../../engine/data/types.ts";
import { wrapModel } from "../../engine/net/net.ts";

await useBackend("wasm", { quiet: true });

/** 1×1 conv on 2×2 grey images: unit 0 = x (max 1), unit 1 = −x (max 0). */
function greyNet() {
  return wrapModel(tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c",
        inputShape: [2, 2, 1],
        filters: 2,
        kernelSize: 1,
        weights: [tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([0, 0])],
      }),
      tfl.layers.flatten({ name: "flat" }),
      tfl.layers.dense({ name: "out", units: 2 }),
    ],
  }));
}

/** Five constant images of values 0, 0.25, 0.5, 0.75, 1. */
function ramp(): ImageSet {
  const images = new Float32Array(20);
  for (let i = 0; i < 5; i++) images.fill(i / 4, i * 4, i * 4 + 4);
  return {
    name: "ramp",
    images,
    shape: [5, 2, 2, 1],
    labels: new Int32Array(5),
    classNames: ["x"],
  };
}

Deno.test("quantileSorted: numpy's linear interpolation", () => {
  assert.equal(quantileSorted([0, 0.25, 0.5, 0.75, 1], 0.9), 0.9);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([7], 0.99), 7);
  assert.equal(quantileSorted([1, 2], 1), 2);
  assert.throws(() => quantileSorted([], 0.5), RangeError);
});

Deno.test("hand-worked check: percentiles of the ramp and viz against them", async () => {
  const net = greyNet();
  const before = tf.memory().numTensors;
  const r = await maximisationCheck(net, "c", ramp(), {
    percentile: 90,
    batchSize: 2,
    featureViz: { parameterization: "pixel", transforms: false, steps: 60, learningRate: 0.2 },
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.images, 5);
  const l = r.layers[0]!;
  // Unit 0 sees 0 … 1: p90 = 0.75 + 0.6·0.25 = 0.9; unit 1 sees −1 … 0: p90 = −0.1.
  assert.ok(Math.abs(l.datasetPercentile[0]! - 0.9) < 1e-6);
  assert.ok(Math.abs(l.datasetPercentile[1]! + 0.1) < 1e-6);
  assert.deepEqual(Array.from(l.datasetMax), [1, 0]);
  // The visualisations saturate the sigmoid: x → 1⁻ for unit 0, x → 0⁺ for unit 1.
  assert.ok(l.vizActivation[0]! > 0.9 && l.vizActivation[0]! < 1, `unit 0: ${l.vizActivation[0]}`);
  assert.ok(l.vizActivation[1]! < 0 && l.vizActivation[1]! > -0.1, `unit 1: ${l.vizActivation[1]}`);
  assert.deepEqual(Array.from(l.passed), [1, 1]);
  assert.equal(r.fraction, 1);
  // Unit 1 never exceeds 0 on the ramp: dead on the data.
  assert.deepEqual(Array.from(l.deadOnData), [0, 1]);
  assert.equal(l.fractionLive, 1);
  // Against the maximum (p100), a sigmoid image can never win: 1 and 0 are not reached.
  const strict = await maximisationCheck(net, "c", ramp(), {
    percentile: 100,
    visualizations: [l.viz],
  });
  assert.deepEqual(Array.from(strict.layers[0]!.passed), [0, 0]);
  assert.equal(strict.fraction, 0);
  assert.equal(strict.fractionLive, 0);
  net.model.dispose();
});

Deno.test("given visualisations are reused, several layers in one pass", async () => {
  const net = greyNet();
  const viz = await featureVisualization(net, "c", { steps: 2, units: [1] });
  const r = await maximisationCheck(net, ["c", "out"], ramp(), {
    visualizations: [viz],
    featureViz: { steps: 2 },
  });
  assert.equal(r.layers[0]!.viz, viz);
  assert.deepEqual(Array.from(r.layers[0]!.units), [1]);
  assert.equal(r.layers[1]!.units.length, 2);
  assert.equal(r.percentile, 99);
  net.model.dispose();
});

Deno.test("bad inputs: empty or mismatched data set, unknown layer, bad percentile", async () => {
  const net = greyNet();
  const empty: ImageSet = { ...ramp(), images: new Float32Array(0), shape: [0, 2, 2, 1] };
  await assert.rejects(
    maximisationCheck(net, "c", empty),
    (e) => e instanceof RangeError && /empty/.test(e.message),
  );
  const wrong: ImageSet = { ...ramp(), shape: [5, 4, 1, 1] };
  await assert.rejects(
    maximisationCheck(net, "c", wrong),
    (e) => e instanceof RangeError && /expects \[N, 2, 2, 1\]/.test(e.message),
  );
  await assert.rejects(maximisationCheck(net, "zz", ramp()), /Unknown layer "zz"/);
  await assert.rejects(maximisationCheck(net, [], ramp()), RangeError);
  await assert.rejects(maximisationCheck(net, "c", ramp(), { percentile: 0 }), /percentile/);
  await assert.rejects(maximisationCheck(net, "c", ramp(), { batchSize: 0 }), /batchSize/);
  net.model.dispose();
});
