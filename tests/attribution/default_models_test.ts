/**
 * Input attributions on the trained default models (skipped until
 * `models/<name>/model.json` exists): IG completeness on mnist-cnn, and every
 * method on two scenes.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import {
  defaultData,
  type DefaultModelName,
  defaultModelUrl,
  loadDefaultNet,
} from "../../engine/train/default_models.ts";
import { ATTRIBUTION_METHODS, integratedGradients } from "../../engine/attribution/mod.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

function exists(name: DefaultModelName): boolean {
  try {
    return Deno.statSync(defaultModelUrl(name)).isFile;
  } catch {
    return false;
  }
}

Deno.test({
  name: "mnist-cnn: IG completeness error below 1 % of |f(x) − f(x′)| with 64 steps",
  ignore: !exists("mnist-cnn"),
  fn: async () => {
    const net = await loadDefaultNet("mnist-cnn");
    const data = await defaultData("mnist-cnn", "test", 4);
    const before = tf.memory().numTensors;
    const ig = await integratedGradients(net, data, { steps: 64, batchSize: 65 });
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    const err = ig.extras.completenessError as Float32Array;
    const deltaF = ig.extras.deltaF as Float32Array;
    for (let i = 0; i < err.length; i++) {
      assert.ok(
        Math.abs(err[i]!) < 0.01 * Math.abs(deltaF[i]!),
        `image ${i}: Σφ − (f(x) − f(x′)) = ${err[i]} vs f(x) − f(x′) = ${deltaF[i]}`,
      );
    }
    net.model.dispose();
  },
});

Deno.test({
  name: "scenes-cnn: every method with its defaults on two scenes",
  ignore: !exists("scenes-cnn"),
  fn: async () => {
    const net = await loadDefaultNet("scenes-cnn");
    const data = await defaultData("scenes-cnn", "test", 2);
    const background = await defaultData("scenes-cnn", "train", 8);
    const before = tf.memory().numTensors;
    for (const [name, method] of Object.entries(ATTRIBUTION_METHODS)) {
      const m = await method(net, data, { background });
      assert.deepEqual(m.shape, [2, 64, 64], name);
      assert.ok(m.raw.every(Number.isFinite), name);
    }
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    net.model.dispose();
  },
});
