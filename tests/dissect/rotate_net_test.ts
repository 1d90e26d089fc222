import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { randomRotation } from "../../engine/dissect/rotation.ts";
import { rotatedEvaluation, rotationAbsorber } from "../../engine/dissect/rotate_net.ts";
import { scenes } from "../../engine/data/scenes.ts";
import { dissect } from "../../engine/dissect/dissect.ts";

await useBackend("wasm", { quiet: true });

function net() {
  return wrapModel(tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c1",
        inputShape: [16, 16, 3],
        filters: 4,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.maxPooling2d({ name: "p1", poolSize: 2 }),
      tfl.layers.conv2d({
        name: "c2",
        filters: 5,
        kernelSize: 3,
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "out",
        units: 3,
        activation: "softmax",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      }),
    ],
  }));
}

Deno.test("a rotation folded into the next linear layer leaves logits and accuracy unchanged", async () => {
  const n = net();
  const set = scenes({ count: 12, size: 16, seed: 1, shapes: ["circle", "square", "cross"] });
  assert.equal(rotationAbsorber(n, "c2").absorber, "out");
  assert.equal(rotationAbsorber(n, "p1").absorber, "c2");
  assert.match(rotationAbsorber(n, "c1").reason!, /MaxPooling2D p1 does not commute/);
  const before = tf.memory().numTensors;
  const weights = await n.model.getLayer("c2").getWeights()[0]!.data();
  for (const [layer, k] of [["c2", 5], ["p1", 4]] as const) {
    const r = await rotatedEvaluation(n, set, { layer, q: randomRotation(k, { seed: 7 }) }, {
      batchSize: 5,
    });
    assert.ok(r.maxLogitDifference < 1e-4, `${layer}: ${r.maxLogitDifference}`);
    assert.equal(r.after.accuracy, r.before.accuracy);
    assert.ok(Math.abs(r.after.loss - r.before.loss) < 1e-4);
  }
  assert.equal(tf.memory().numTensors, before);
  // Weights are restored.
  assert.deepEqual(await n.model.getLayer("c2").getWeights()[0]!.data(), weights);
  await assert.rejects(
    () => rotatedEvaluation(n, set, { layer: "c1", q: randomRotation(4) }),
    (e: Error) => e instanceof TypeError && /MaxPooling2D/.test(e.message),
  );
  n.model.dispose();
});

Deno.test("dissection with Q = I equals no rotation; a rotation changes the units", async () => {
  const n = net();
  const set = scenes({ count: 8, size: 16, seed: 2 });
  const eye = new Float64Array(25);
  for (let i = 0; i < 5; i++) eye[i * 5 + i] = 1;
  const base = await dissect(n, set, { layers: ["c2"], emptyConcepts: "skip", exact: true });
  const same = await dissect(n, set, {
    layers: ["c2"],
    emptyConcepts: "skip",
    exact: true,
    rotation: { c2: eye },
  });
  assert.deepEqual(same.layers[0]!.iou, base.layers[0]!.iou);
  assert.equal(same.layers[0]!.rotated, true);
  const turned = await dissect(n, set, {
    layers: ["c2"],
    emptyConcepts: "skip",
    exact: true,
    rotation: { c2: randomRotation(5, { seed: 1 }) },
  });
  assert.notDeepEqual(turned.layers[0]!.thresholds, base.layers[0]!.thresholds);
  await assert.rejects(
    () => dissect(n, set, { layers: ["c2"], rotation: { c2: new Float64Array(4) } }),
    /K·K = 25/,
  );
  n.model.dispose();
});
