import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { convLayers, wrapModel } from "../../engine/net/net.ts";
import { runNet } from "../../engine/net/executor.ts";
import { cam, camAllLayers } from "../../engine/cam/cam.ts";
import { CAM_METHODS, type CamMethodName } from "../../engine/cam/registry.ts";
import { resnetLike, vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

const METHODS = Object.keys(CAM_METHODS) as CamMethodName[];

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / Math.max(scale, 1e-12);
}

Deno.test("GAP head: Grad-CAM = the original CAM w^c·A / (h·w) = HiResCAM = XGrad-CAM", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([3, 12, 12, 3], 0, 1, "float32", 7);
  const before = tf.memory().numTensors;
  const grad = await cam(net, x, { layer: "down", normalize: false, relu: false });
  // The original CAM (Zhou et al. 2016): Σ_k W_kc A_k with W the dense kernel after GAP.
  const r = runNet(net, x, { capture: ["down"] });
  const a = await r.captured.down!.data();
  tf.dispose([r.output, r.captured.down!]);
  const w = await (model.getLayer("logits").getWeights()[0]!).data();
  const [h, wd, k] = [6, 6, 8];
  const classes = 4;
  const expected = new Float32Array(3 * h * wd);
  for (let n = 0; n < 3; n++) {
    const c = grad.classes[n]!;
    for (let p = 0; p < h * wd; p++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w[j * classes + c]! * a[(n * h * wd + p) * k + j]!;
      expected[n * h * wd + p] = s / (h * wd);
    }
  }
  assert.deepEqual(grad.rawShape, [3, 6, 6]);
  assert.ok(maxRelDiff(grad.raw, expected) < 1e-5, `vs CAM: ${maxRelDiff(grad.raw, expected)}`);
  for (const method of ["hiResCam", "xGradCam"] as const) {
    const m = await cam(net, x, { method, layer: "down", normalize: false, relu: false });
    assert.ok(maxRelDiff(m.raw, grad.raw) < 1e-4, `${method}: ${maxRelDiff(m.raw, grad.raw)}`);
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

Deno.test("normalised maps do not change when the explained score is scaled by a positive factor", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 8);
  const before = await cam(net, x, { method: "gradCam" });
  const dense = model.getLayer("logits");
  const [kernel, bias] = dense.getWeights();
  dense.setWeights([tf.mul(kernel!, 3), tf.mul(bias!, 3)]);
  const after = await cam(net, x, { method: "gradCam" });
  assert.ok(maxRelDiff(after.values, before.values) < 1e-4);
  assert.ok(maxRelDiff(after.raw, before.raw.map((v) => 3 * v)) < 1e-4);
  x.dispose();
  model.dispose();
});

Deno.test("every method works at the first conv layer (input resolution)", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 9);
  const first = convLayers(net)[0]!.name;
  assert.equal(first, "stem");
  for (const method of METHODS) {
    // Without the ReLU: a shallow Grad-CAM can be negative everywhere.
    const m = await cam(net, x, { method, layer: first, normalize: false, relu: false });
    assert.deepEqual(m.rawShape, [2, 12, 12], method);
    assert.deepEqual(m.shape, [2, 12, 12], method);
    assert.ok(m.raw.every(Number.isFinite), method);
    assert.ok(m.raw.some((v) => v !== 0), `${method}: the map is not all zero`);
  }
  x.dispose();
  model.dispose();
});

Deno.test("Score-CAM and Ablation-CAM: batched equals unbatched; per-image class lists follow chunks", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([3, 12, 12, 1], 0, 1, "float32", 10);
  const target = { kind: "class", index: [2, 0, 1] } as const;
  for (const method of ["scoreCam", "ablationCam"] as const) {
    // batchSize 1: one image and one masked input per pass; 5: chunks straddle images.
    const results = await Promise.all(
      [1, 5, 64].map((batchSize) => cam(net, x, { method, target, batchSize, normalize: false })),
    );
    assert.ok(results[0]!.raw.some((v) => v !== 0), `${method}: a non-trivial map`);
    for (const r of results.slice(1)) {
      assert.ok(maxRelDiff(r.raw, results[0]!.raw) < 1e-5, method);
      assert.deepEqual(Array.from(r.classes), [2, 0, 1]);
      assert.ok(maxRelDiff(r.scores, results[0]!.scores) < 1e-6);
    }
  }
  x.dispose();
  model.dispose();
});

Deno.test("Ablation-CAM equals explicit one-channel ablations, one forward pass each", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, 12, 12, 1], 0, 1, "float32", 11);
  const m = await cam(net, x, {
    method: "ablationCam",
    layer: "conv2",
    normalize: false,
    relu: false,
  });
  const r = runNet(net, x, { capture: ["conv2"] });
  const [a, logits] = await Promise.all([r.captured.conv2!.data(), r.output.data()]);
  tf.dispose([r.output, r.captured.conv2!]);
  const k = 6;
  const hw = 16;
  const expected = new Float32Array(2 * hw);
  for (let j = 0; j < k; j++) {
    const mask = tf.tensor1d(Array.from({ length: k }, (_, i) => (i === j ? 0 : 1)));
    const ab = runNet(net, x, { channelMask: { conv2: mask } });
    const z = await ab.output.data();
    tf.dispose([mask, ab.output]);
    for (let n = 0; n < 2; n++) {
      const c = m.classes[n]!;
      const y = logits[n * 3 + c]!;
      const wk = (y - z[n * 3 + c]!) / y;
      for (let p = 0; p < hw; p++) expected[n * hw + p]! += wk * a[(n * hw + p) * k + j]!;
    }
  }
  assert.ok(expected.some((v) => v !== 0), "a non-trivial map");
  assert.ok(maxRelDiff(m.raw, expected) < 1e-4, `${maxRelDiff(m.raw, expected)}`);
  x.dispose();
  model.dispose();
});

Deno.test("Eigen-CAM equals the projection on the top right singular vector (float64 reference)", async () => {
  const cases = [
    { build: vggLike, layer: "conv2", shape: [12, 12, 1], hw: 16, k: 6, center: false },
    { build: resnetLike, layer: "down", shape: [12, 12, 3], hw: 36, k: 8, center: true },
  ] as const;
  for (const { build, layer, shape, hw, k, center } of cases) {
    const model = build();
    const net = wrapModel(model);
    const x = tf.randomUniform([2, ...shape], 0, 1, "float32", 12);
    const m = await cam(net, x, {
      method: "eigenCam",
      layer,
      normalize: false,
      relu: false,
      options: { center },
    });
    const r = runNet(net, x, { capture: [layer] });
    const a = await r.captured[layer]!.data();
    tf.dispose([r.output, r.captured[layer]!]);
    for (let n = 0; n < 2; n++) {
      const acts = Array.from(
        { length: hw },
        (_, p) => Array.from({ length: k }, (_, j) => a[(n * hw + p) * k + j]!),
      );
      const colMean = Array.from(
        { length: k },
        (_, j) => center ? acts.reduce((s, row) => s + row[j]!, 0) / hw : 0,
      );
      const rows = acts.map((row) => row.map((q, j) => q - colMean[j]!));
      const gram = Array.from(
        { length: k },
        (_, i) =>
          Array.from({ length: k }, (_, j) => rows.reduce((s, row) => s + row[i]! * row[j]!, 0)),
      );
      let v = Array.from({ length: k }, (_, i) => 1 + i / 10);
      for (let it = 0; it < 5000; it++) {
        const next = gram.map((row) => row.reduce((s, g, j) => s + g * v[j]!, 0));
        const len = Math.hypot(...next);
        v = next.map((u) => u / len);
      }
      let proj = rows.map((row) => row.reduce((s, q, j) => s + q * v[j]!, 0));
      const meanAct = acts.map((row) => row.reduce((s, q) => s + q, 0) / k);
      const mp = proj.reduce((s, q) => s + q, 0) / hw;
      const mm = meanAct.reduce((s, q) => s + q, 0) / hw;
      if (proj.reduce((s, q, p) => s + (q - mp) * (meanAct[p]! - mm), 0) < 0) {
        proj = proj.map((q) => -q);
      }
      const got = m.raw.subarray(n * hw, (n + 1) * hw);
      assert.ok(proj.some((q) => q !== 0), "a non-trivial map");
      assert.ok(maxRelDiff(got, proj) < 1e-4, `${layer} image ${n}: ${maxRelDiff(got, proj)}`);
    }
    x.dispose();
    model.dispose();
  }
});

Deno.test("camAllLayers gives cam() at every conv layer, in order; neuron targets work", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, 12, 12, 1], 0, 1, "float32", 13);
  const before = tf.memory().numTensors;
  const all = await camAllLayers(net, x, { method: "layerCam", batchSize: 1 });
  assert.deepEqual(all.map((r) => r.layer), ["conv1", "conv2"]);
  for (const r of all) {
    assert.ok(r.raw.some((v) => v !== 0), `${r.layer}: a non-trivial map`);
    const one = await cam(net, x, { method: "layerCam", layer: r.layer! });
    assert.deepEqual(r.raw, one.raw);
    assert.deepEqual(r.values, one.values);
  }
  const target = { kind: "neuron", layer: "fc", unit: 3 } as const;
  for (const method of METHODS) {
    const m = await cam(net, x, { method, target, layer: "conv1", batchSize: 3 });
    assert.deepEqual(Array.from(m.classes), [-1, -1], method);
    assert.ok(m.values.every((v) => v >= 0 && v <= 1), method);
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

const mnistModel = new URL("../../models/mnist-cnn/model.json", import.meta.url);
const haveMnist = await Deno.stat(mnistModel).then(() => true, () => false);

Deno.test({
  name: "default mnist-cnn: every method at its first and last conv layer; fused LayerCAM",
  ignore: !haveMnist,
  fn: async () => {
    const { defaultData, loadDefaultNet } = await import(
      "../../engine/train/default_models.ts"
    );
    const { fuseLayerCams } = await import("../../engine/cam/layer_cam.ts");
    const net = await loadDefaultNet("mnist-cnn");
    const data = await defaultData("mnist-cnn", "test", 2);
    const before = tf.memory().numTensors;
    for (const layer of ["block1_conv1", "block3_conv1"]) {
      for (const method of METHODS) {
        const m = await cam(net, data, { method, layer });
        assert.deepEqual(m.shape, [2, 28, 28], `${method} at ${layer}`);
        assert.ok(m.values.every((v) => v >= 0 && v <= 1), `${method} at ${layer}`);
      }
    }
    const all = await camAllLayers(net, data, {
      method: "layerCam",
      options: { shallowScaling: true },
    });
    assert.equal(all.length, 5);
    const fused = fuseLayerCams(all);
    assert.deepEqual(fused.shape, [2, 28, 28]);
    assert.equal(tf.memory().numTensors, before);
    net.model.dispose();
  },
});
