import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { convLayers, getLayer, wrapModel } from "../../engine/net/net.ts";
import { cam } from "../../engine/cam/cam.ts";
import { CAM_METHODS, type CamMethodName } from "../../engine/cam/registry.ts";
import { TEST_ARCHITECTURES } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

// Every registered method on every test architecture (Sequential, residual
// with BatchNorm, depthwise/separable, Concatenate, nested + shared layer), at
// the last and the first conv layer: right shapes, values in [0, 1], no
// leaked tensors, inputs unchanged, same numbers twice. batchSize 2 with 3
// images exercises the chunking of images and of per-channel expansions.
for (const [arch, build] of Object.entries(TEST_ARCHITECTURES)) {
  Deno.test(`every CAM method on ${arch}`, async () => {
    const model = build();
    const net = wrapModel(model);
    const [h, w, c] = net.inputShape;
    const x = tf.randomUniform([3, h, w, c], 0, 1, "float32", 21);
    const copy = await x.data();
    const convs = convLayers(net);
    const layers = [...new Set([convs[convs.length - 1]!.name, convs[0]!.name])];
    const before = tf.memory().numTensors;
    for (const name of Object.keys(CAM_METHODS) as CamMethodName[]) {
      for (const layer of layers) {
        const what = `${name} at ${layer}`;
        const a = await cam(net, x, { method: name, layer, batchSize: 2 });
        const b = await cam(net, x, { method: name, layer, batchSize: 2 });
        const [lh, lw] = getLayer(net, layer).outputShape;
        assert.equal(a.method, name, what);
        assert.equal(a.layer, layer, what);
        assert.deepEqual(a.shape, [3, h, w], what);
        assert.deepEqual(a.rawShape, [3, lh, lw], what);
        assert.equal(a.values.length, 3 * h * w, what);
        assert.ok(a.values.every((v) => v >= 0 && v <= 1), `${what}: values in [0, 1]`);
        assert.ok(a.raw.every((v) => v >= 0), `${what}: ReLU applied`);
        assert.ok(a.scores.every(Number.isFinite), what);
        assert.ok(a.classes.every((k) => k >= 0 && k < net.numClasses), what);
        assert.deepEqual(a.raw, b.raw, `${what}: deterministic`);
        assert.deepEqual(a.values, b.values, `${what}: deterministic`);
      }
    }
    assert.equal(tf.memory().numTensors, before, "no leaked tensors");
    assert.ok(!x.isDisposed);
    assert.deepEqual(await x.data(), copy, "input unchanged");
    x.dispose();
    model.dispose();
  });
}
