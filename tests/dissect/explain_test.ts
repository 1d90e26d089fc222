import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { colorDetectorModel, colorProbeOptions } from "../../engine/dissect/color_detector.ts";
import { dissect } from "../../engine/dissect/dissect.ts";
import { explainWithUnits } from "../../engine/dissect/explain.ts";
import { scenes } from "../../engine/data/scenes.ts";

await useBackend("wasm", { quiet: true });

Deno.test("hand-worked unit contributions sum to the logit; maps are the upsampled activations", async () => {
  // conv 1×1 on a 2×2 image (maps stay 2×2: upsampling is the identity); GAP; dropout; dense.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c",
        inputShape: [2, 2, 1],
        filters: 3,
        kernelSize: 1,
        weights: [tf.tensor4d([1, 2, -1], [1, 1, 1, 3]), tf.tensor1d([0, 0, 1])],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.dense({
        name: "out",
        units: 2,
        activation: "softmax",
        weights: [tf.tensor2d([1, 0, 1, 5, 4, 0], [3, 2]), tf.tensor1d([0.25, -1])],
      }),
    ],
  });
  const net = wrapModel(model);
  // x = [1, 2, 3, 4]: A0 = x (mean 2.5), A1 = 2x (mean 5), A2 = 1 − x (mean −1.5).
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const before = tf.memory().numTensors;
  const [e] = await explainWithUnits(net, x, { top: 3, classIndex: 1 });
  assert.equal(tf.memory().numTensors, before);
  // Class 1 weights: [0, 5, 0] → contributions [0, 25, 0]; logit = 25 − 1.
  assert.deepEqual(Array.from(e!.contributions), [0, 25, -0]);
  assert.equal(e!.logit, 24);
  assert.equal(e!.bias, -1);
  assert.equal(e!.units[0]!.unit, 1);
  assert.deepEqual(Array.from(e!.units[0]!.map), [2, 4, 6, 8]);
  // Default class: top-1 logit. Class 0 logit = 2.5 + 5 − 6 + 0.25 = 1.75 < 24.
  const [d] = await explainWithUnits(net, x);
  assert.equal(d!.classIndex, 1);
  x.dispose();
  model.dispose();
});

Deno.test("explanations carry dissection labels (colour detector); bad layers throw", async () => {
  const net = wrapModel(colorDetectorModel({ size: 32 }));
  const probe = scenes(colorProbeOptions(60, { size: 32, seed: 2 }));
  const r = await dissect(net, probe, { layers: ["colors"], emptyConcepts: "skip" });
  const one = scenes({ count: 1, size: 32, seed: 9, textures: ["solid"], distractor: 0 });
  const [e] = await explainWithUnits(net, one, { dissection: r, top: 1 });
  assert.equal(e!.units[0]!.concept, one.scenes[0]!.main.color);
  assert.ok(e!.units[0]!.iou! > 0.9);
  const sum = e!.contributions.reduce((a, b) => a + b, 0) + e!.bias;
  assert.ok(Math.abs(sum - e!.logit) < 1e-5);
  await assert.rejects(
    () => explainWithUnits(net, one, { layer: "color_diff" }),
    /GlobalAveragePooling2D/,
  );
  net.model.dispose();
});
