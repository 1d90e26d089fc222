/**
 * The attribution registry: by name, by function, unknown names; and every
 * method on a neuron target. (The shared table of every map method on every
 * test architecture is tests/maps/methods_table_test.ts.)
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import type { Target } from "../../engine/net/targets.ts";
import {
  attribute,
  ATTRIBUTION_METHODS,
  type AttributionName,
  integratedGradients,
  type MapResult,
  saliency,
} from "../../engine/attribution/mod.ts";
import { resnetLike } from "../_nets.ts";
import { linearNet, smallOptions } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

function checkShape(m: MapResult, n: number, h: number, w: number, what: string) {
  assert.deepEqual(m.shape, [n, h, w], what);
  assert.deepEqual(m.rawShape, [n, h, w], what);
  assert.equal(m.values.length, n * h * w, what);
  assert.equal(m.layer, null, what);
  assert.equal(m.classes.length, n, what);
  assert.equal(m.scores.length, n, what);
  assert.ok(m.values.every((v) => v >= 0 && v <= 1), `${what}: values in [0, 1]`);
  assert.ok(m.raw.every(Number.isFinite), `${what}: finite raw maps`);
}

const names = Object.keys(ATTRIBUTION_METHODS) as AttributionName[];

Deno.test("every method explains a neuron target (an inner conv unit of a residual net)", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 13);
  const background = tf.randomUniform([3, ...net.inputShape], 0, 1, "float32", 14);
  const targets: Target[] = [
    { kind: "neuron", layer: "res1_conv1", unit: 2 },
    { kind: "neuron", layer: "res2_add", unit: 1, reduce: "max" },
    { kind: "neuron", layer: "down", unit: 0, reduce: { position: [1, 2] } },
  ];
  const before = tf.memory().numTensors;
  for (const target of targets) {
    for (const name of names) {
      const m = await attribute(net, x, {
        method: name,
        ...smallOptions(name, background),
        target,
      });
      checkShape(m, 2, 12, 12, `${name} on ${JSON.stringify(target)}`);
      assert.deepEqual([...m.classes], [-1, -1]);
    }
  }
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  tf.dispose([x, background]);
  model.dispose();
});

Deno.test("attribute: by name, by function, and unknown names list the known ones", async () => {
  const net = linearNet();
  const x = tf.randomUniform([2, 2, 2, 2], 0, 1, "float32", 3);
  const direct = await saliency(net, x, { reduce: "l2" });
  const byName = await attribute(net, x, { method: "saliency", reduce: "l2" });
  assert.deepEqual(byName, direct);
  const ig = await attribute(net, x, { method: integratedGradients, steps: 4 });
  assert.equal(ig.method, "integratedGradients");
  let called = false;
  await attribute(net, x, {
    method: (n, images, options) => {
      called = options?.steps === 7;
      return saliency(n, images, options);
    },
    steps: 7,
  });
  assert.ok(called, "a function method receives the other options");
  await assert.rejects(
    () => attribute(net, x, { method: "gradCam" as AttributionName }),
    (e: Error) =>
      e instanceof TypeError && /"gradCam"/.test(e.message) &&
      names.every((n) => e.message.includes(n)),
  );
  await assert.rejects(
    () => attribute(net, x, { method: "toString" as AttributionName }),
    TypeError,
  );
  assert.deepEqual(names, [
    "saliency",
    "gradientTimesInput",
    "smoothGrad",
    "integratedGradients",
    "expectedGradients",
    "occlusion",
    "deconvolution",
    "guidedBackprop",
  ]);
  x.dispose();
  net.model.dispose();
});
