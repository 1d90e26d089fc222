import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { cam, camAllLayers } from "../../engine/cam/cam.ts";
import { CAM_METHODS, type CamMethodName, getCamMethod } from "../../engine/cam/registry.ts";
import { vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

const model = vggLike();
const net = wrapModel(model);
const x = tf.randomUniform([2, 12, 12, 1], 0, 1, "float32", 31);

/** Runs `f`, expects it to reject with `type` and a message matching `re`, and no leaked tensors. */
async function rejects(
  f: () => Promise<unknown>,
  type: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor,
  re: RegExp,
) {
  const before = tf.memory().numTensors;
  await assert.rejects(f, (e: Error) => {
    assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, "no leaked tensors");
}

Deno.test("a dense layer as CAM layer: TypeError naming it and listing the conv layers", async () => {
  await rejects(() => cam(net, x, { layer: "fc" }), TypeError, /"fc" is a Dense.*conv1, conv2/);
  await rejects(() => camAllLayers(net, x, { layers: ["conv1", "out"] }), TypeError, /"out"/);
});

Deno.test("an unknown layer name: RangeError listing the layers", async () => {
  await rejects(() => cam(net, x, { layer: "conv9" }), RangeError, /conv9.*conv1/);
});

Deno.test("an unknown method name: TypeError listing every known method", async () => {
  for (
    const f of [
      () => cam(net, x, { method: "gradcam" as CamMethodName }),
      () => camAllLayers(net, x, { method: "grad-cam" as CamMethodName }),
    ]
  ) {
    await rejects(f, TypeError, /Unknown CAM method "grad-?cam"/);
  }
  const message = (() => {
    try {
      getCamMethod("nope");
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  })();
  for (const name of Object.keys(CAM_METHODS)) assert.ok(message.includes(name), name);
  assert.throws(() => getCamMethod("toString"), TypeError);
});

Deno.test("a class out of range, or a class list of the wrong length: RangeError", async () => {
  await rejects(
    () => cam(net, x, { target: { kind: "class", index: 3 } }),
    RangeError,
    /Class index 3 .*0\.\.2/,
  );
  await rejects(
    () => cam(net, x, { method: "scoreCam", target: { kind: "class", index: [0] } }),
    RangeError,
    /1 class indices given for 2 images/,
  );
  await rejects(
    () => cam(net, x, { target: { kind: "neuron", layer: "fc", unit: 8 } }),
    RangeError,
    /Neuron 8/,
  );
});

Deno.test("images of the wrong shape, or with NaN: clear errors", async () => {
  const wrong = tf.zeros([2, 10, 10, 1]);
  await rejects(() => cam(net, wrong), RangeError, /\[2, 10, 10, 1\].*\[N, 12, 12, 1\]/);
  wrong.dispose();
  await rejects(
    () => cam(net, { images: new Float32Array(100), shape: [1, 10, 10, 1] }),
    RangeError,
    /expected \[N, 12, 12, 1\]/,
  );
  const values = new Float32Array(144);
  values[5] = NaN;
  await rejects(
    () => cam(net, { images: values, shape: [1, 12, 12, 1] }),
    TypeError,
    /NaN at index 5/,
  );
  const nan = tf.tensor4d(values, [1, 12, 12, 1]);
  await rejects(() => cam(net, nan, { method: "eigenCam" }), TypeError, /NaN/);
  nan.dispose();
});

Deno.test("bad options: batchSize, method options, a net without conv layers", async () => {
  await rejects(() => cam(net, x, { batchSize: 0 }), RangeError, /batchSize is 0/);
  await rejects(() => cam(net, x, { batchSize: 1.5 }), RangeError, /positive integer/);
  await rejects(
    () => cam(net, x, { method: "layerCam", options: { gamma: -1 } }),
    RangeError,
    /gamma is -1/,
  );
  await rejects(
    () => cam(net, x, { method: "layerCam", options: { shallowScaling: "yes" } }),
    TypeError,
    /shallowScaling/,
  );
  await rejects(
    () => cam(net, x, { method: "eigenCam", options: { center: 1 } }),
    TypeError,
    /center/,
  );
  const dense = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [2, 2, 1] }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const denseNet = wrapModel(dense);
  const img = tf.zeros([1, 2, 2, 1]);
  await rejects(() => cam(denseNet, img), TypeError, /no conv layer/);
  await rejects(() => camAllLayers(denseNet, img), TypeError, /no conv layer/);
  await rejects(() => camAllLayers(net, x, { layers: [] }), RangeError, /empty list of layers/);
  img.dispose();
  dense.dispose();
});

Deno.test("a user-supplied CamMethod is used and named; its errors propagate without leaks", async () => {
  const m = await cam(net, x, {
    method: function constant({ images }) {
      const n = images.shape[0];
      return {
        maps: tf.ones([n, 4, 4]) as tf.Tensor3D,
        classes: tf.zeros([n], "int32") as tf.Tensor1D,
        scores: tf.zeros([n]) as tf.Tensor1D,
      };
    },
    normalize: false,
    batchSize: 1,
  });
  assert.equal(m.method, "constant");
  assert.deepEqual(m.rawShape, [2, 4, 4]);
  assert.ok(m.values.every((v) => v === 1));
  await rejects(
    () =>
      cam(net, x, {
        method: () => {
          throw new RangeError("boom");
        },
      }),
    RangeError,
    /boom/,
  );
  await rejects(
    () =>
      cam(net, x, {
        method: function wrongShape({ images }) {
          const n = images.shape[0];
          return {
            maps: tf.ones([n, 5, 5]) as tf.Tensor3D,
            classes: tf.zeros([n], "int32") as tf.Tensor1D,
            scores: tf.zeros([n]) as tf.Tensor1D,
          };
        },
      }),
    RangeError,
    /wrongShape returned maps \[2, 5, 5\].*expected \[2, 4, 4\]/,
  );
  await rejects(
    () => cam(net, { images: new Float32Array(0), shape: [0, 12, 12, 1] }),
    RangeError,
    /No images/,
  );
});

Deno.test("cleanup", () => {
  x.dispose();
  model.dispose();
});
