import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { relevanceCam } from "../../engine/cam/relevance_cam.ts";
import { shallowRelevanceCam } from "../../engine/cam/shallow_relevance_cam.ts";
import type { CamInput, CamMethod, CamOutput } from "../../engine/cam/types.ts";
import { tf } from "../../engine/deps.ts";
import { convLayers, type Net, wrapModel } from "../../engine/net/net.ts";
import { defaultModelUrl, loadDefaultNet } from "../../engine/train/default_models.ts";
import { scenes } from "../../engine/data/scenes.ts";
import { TEST_ARCHITECTURES } from "../_nets.ts";
import { assertClose, read } from "./_helpers.ts";
import { camToy, R_G, X } from "./_cam_toy.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

function input(net: Net, layer: string, images: tf.Tensor, options = {}): CamInput {
  return {
    net,
    layer,
    images: images as tf.Tensor4D,
    target: { kind: "class" },
    seed: 0,
    batchSize: 32,
    options,
  };
}

async function run(method: CamMethod, cam: CamInput): Promise<CamOutput> {
  return await method(cam);
}

const disposeOut = (o: CamOutput) => tf.dispose([o.maps, o.classes, o.scores]);

Deno.test("Relevance-CAM by hand: w_k = mean of R_k, map = Σ_k w_k A_k", async () => {
  const toy = camToy();
  const before = tf.memory().numTensors;
  const out = await run(relevanceCam, input(toy.net, "conv", toy.images));
  // mean_ij R_k = R_g_k / 4, A = [x, 2x]: map = x · (R_g_0 + 2 R_g_1) / 4.
  const w = (R_G[0]! + 2 * R_G[1]!) / 4;
  assertClose(await read(out.maps), X.map((v) => v * w), 1e-5, "map");
  assert.deepEqual(await read(out.classes), [1]);
  assertClose(await read(out.scores), [17.5], 1e-5, "logit");
  disposeOut(out);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  toy.dispose();
});

Deno.test("shallow-layer relevance CAM by hand: α_k = Σ R_k, S_k = A_k ⊙ ReLU(∂y/∂A_k)", async () => {
  const toy = camToy();
  const before = tf.memory().numTensors;
  const out = await run(shallowRelevanceCam, input(toy.net, "conv", toy.images));
  // y = logit 1 = g_0 + 3 g_1: ∂y/∂A_0 = 1/4, ∂y/∂A_1 = 3/4, so S_0 = x/4, S_1 = 1.5x;
  // α = R_g: map = x · (R_g_0 / 4 + 1.5 R_g_1).
  const w = R_G[0]! / 4 + 1.5 * R_G[1]!;
  assertClose(await read(out.maps), X.map((v) => v * w), 1e-5, "map");
  disposeOut(out);
  // Class 0 instead: y = 2 g_0 + g_1; start R = [1, −1/2].
  const cls0 = await run(shallowRelevanceCam, {
    ...input(toy.net, "conv", toy.images),
    target: { kind: "class", index: 0 },
  });
  const rg0 = 5 / 10 - 0.5 * 2.5 / 17.5;
  const rg1 = 5 / 10 - 0.5 * 15 / 17.5;
  assertClose(
    await read(cls0.maps),
    X.map((v) => v * (rg0 * 0.5 + rg1 * 2 * 0.25)),
    1e-5,
    "class 0",
  );
  disposeOut(cls0);
  // Rule options reach LRP: with the score start (R = [0, 17.5]) α = R_g = 17.5 · [2.5, 15] / 17.5.
  const score = await run(
    shallowRelevanceCam,
    input(toy.net, "conv", toy.images, { start: "score" }),
  );
  assertClose(await read(score.maps), X.map((v) => v * (2.5 / 4 + 15 * 1.5)), 1e-4, "score start");
  disposeOut(score);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  toy.dispose();
});

for (
  const [name, method] of [["relevanceCam", relevanceCam], [
    "shallowRelevanceCam",
    shallowRelevanceCam,
  ]] as const
) {
  Deno.test(`${name} works at every conv layer of every test net: shape, finite, no leaks, input kept`, async () => {
    for (const [arch, build] of Object.entries(TEST_ARCHITECTURES)) {
      const model = build();
      const net = wrapModel(model);
      const x = tf.randomUniform([3, ...net.inputShape], 0, 1, "float32", 5);
      const copy = await read(x);
      const before = tf.memory().numTensors;
      for (const layer of convLayers(net)) {
        const out = await run(method, input(net, layer.name, x));
        const [h, w] = layer.outputShape;
        assert.deepEqual(out.maps.shape, [3, h, w], `${arch} ${layer.name}`);
        assert.ok((await read(out.maps)).every(Number.isFinite), `${arch} ${layer.name} finite`);
        assert.equal(out.classes.shape[0], 3);
        disposeOut(out);
      }
      assert.equal(tf.memory().numTensors, before, `${arch}: no tensors leak`);
      assert.deepEqual(await read(x), copy, "input unchanged");
      x.dispose();
      model.dispose();
    }
  });
}

Deno.test("relevance CAMs accept neuron targets (score start) and reject bad options", async () => {
  const model = TEST_ARCHITECTURES.vggLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 1);
  const neuron = {
    ...input(net, "conv1", x),
    target: { kind: "neuron" as const, layer: "conv2", unit: 0 },
  };
  for (const method of [relevanceCam, shallowRelevanceCam]) {
    const out = await run(method, neuron);
    assert.deepEqual(await read(out.classes), [-1, -1]);
    disposeOut(out);
    assert.throws(() => method(input(net, "conv1", x, { epsilon: "small" })), TypeError);
    assert.throws(() => method(input(net, "conv1", x, { composite: "nope" })), TypeError);
    assert.throws(() => method(input(net, "conv1", x, { start: "logit" })), RangeError);
    assert.throws(
      () => method({ ...input(net, "conv1", x), target: { kind: "loss", labels: [0, 1] } }),
      TypeError,
    );
  }
  x.dispose();
  model.dispose();
});

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "relevance CAMs on models/scenes-cnn: every conv layer, 4 scenes",
  ignore: !(await exists(defaultModelUrl("scenes-cnn"))),
  fn: async () => {
    const net = await loadDefaultNet("scenes-cnn");
    const set = scenes({ count: 4, seed: 3 });
    const x = tf.tensor4d(set.images, set.shape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    for (const layer of convLayers(net)) {
      for (const method of [relevanceCam, shallowRelevanceCam]) {
        const out = await run(method, input(net, layer.name, x));
        const values = await read(out.maps);
        assert.ok(values.every(Number.isFinite));
        assert.ok(values.some((v) => v > 0), `${layer.name}: some positive evidence`);
        disposeOut(out);
      }
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    net.model.dispose();
  },
});
