import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { lrp } from "../../engine/lrp/lrp.ts";
import { wrapModel } from "../../engine/net/net.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  defaultModelUrl,
  loadDefaultNet,
} from "../../engine/train/default_models.ts";
import { mobilenetLike, vggLike } from "../_nets.ts";
import { assertClose, biasFreeCopy, read } from "./_helpers.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test("lrp returns a MapResult: raw = input relevance summed over channels, extras per image", async () => {
  const model = mobilenetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([5, ...net.inputShape], 0, 1, "float32", 2);
  const copy = await read(x);
  const before = tf.memory().numTensors;
  const m = await lrp(net, x, { composite: "epsilonPlus", batchSize: 2 });
  assert.equal(m.method, "lrp-epsilonPlus");
  assert.equal(m.layer, null);
  assert.deepEqual(m.shape, [5, 16, 16]);
  assert.deepEqual(m.rawShape, [5, 16, 16]);
  assert.equal(m.values.length, 5 * 16 * 16);
  assert.ok(m.values.every((v) => v >= 0 && v <= 1), "normalised");
  assert.ok(m.raw.every(Number.isFinite));
  const sums = m.extras.relevanceSum as Float32Array;
  const explained = m.extras.explainedScore as Float32Array;
  assert.equal(sums.length, 5);
  for (let i = 0; i < 5; i++) {
    const raw = m.raw.subarray(i * 256, (i + 1) * 256).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(raw - sums[i]!) < 1e-4 * Math.max(1, Math.abs(sums[i]!)));
  }
  assertClose(explained, m.scores, 1e-6, "explained score = logit");
  // One batch or several: the same maps.
  const whole = await lrp(net, x, { composite: "epsilonPlus", normalize: false });
  assertClose(whole.raw, m.raw, 1e-6, "batching");
  assert.deepEqual(whole.classes, m.classes);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.deepEqual(await read(x), copy, "input unchanged");
  // ImageSet-like input and an explicit class.
  const set = {
    images: new Float32Array(copy),
    shape: x.shape as [number, number, number, number],
  };
  const fixed = await lrp(net, set, { target: { kind: "class", index: 2 } });
  assert.deepEqual(Array.from(fixed.classes), [2, 2, 2, 2, 2]);
  assert.equal(fixed.method, "lrp-epsilon");
  x.dispose();
  model.dispose();
});

Deno.test("lrp rejects a bad batch size and propagates image shape errors", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.zeros([1, 12, 12, 1]);
  await assert.rejects(() => lrp(net, x, { batchSize: 0 }), RangeError);
  const wrong = tf.zeros([1, 10, 10, 1]);
  await assert.rejects(() => lrp(net, wrong), RangeError);
  tf.dispose([x, wrong]);
  model.dispose();
});

for (const name of DEFAULT_MODEL_NAMES) {
  Deno.test({
    name:
      `conservation on models/${name} with zero biases (a bias-free copy; the model is untouched)`,
    ignore: !(await exists(defaultModelUrl(name))),
    fn: async () => {
      const net = await loadDefaultNet(name);
      const copy = await biasFreeCopy(net.model);
      const bare = wrapModel(copy, { name: `${name}-bias-free` });
      const data = await defaultData(name, "test", 4);
      const before = tf.memory().numTensors;
      const m = await lrp(bare, data, { epsilon: 1e-9, normalize: false });
      assert.equal(tf.memory().numTensors, before, "no tensors leak");
      const sums = m.extras.relevanceSum as Float32Array;
      for (let i = 0; i < 4; i++) {
        const rel = Math.abs(sums[i]! - m.scores[i]!) / Math.abs(m.scores[i]!);
        assert.ok(rel < 1e-4, `image ${i}: Σ R = ${sums[i]}, logit ${m.scores[i]}, rel ${rel}`);
      }
      // The loaded model still has its biases (it was copied, not modified).
      const dense = net.model.getLayer("predictions").getWeights()[1]!;
      assert.ok((await read(dense)).some((b) => b !== 0));
      copy.dispose();
      net.model.dispose();
    },
  });
}
