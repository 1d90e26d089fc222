import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { getConvLayer, getLayer, wrapModel } from "../../engine/net/net.ts";
import { runNet } from "../../engine/net/executor.ts";
import { disposeGradients, targetGradients } from "../../engine/net/targets.ts";
import {
  concatNet,
  mobilenetLike,
  nestedNet,
  resnetLike,
  TEST_ARCHITECTURES,
  vggLike,
} from "../_nets.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

function randomImages(shape: number[], seed: number): tf.Tensor4D {
  return tf.randomUniform(shape, 0, 1, "float32", seed) as unknown as tf.Tensor4D;
}

for (const [name, build] of Object.entries(TEST_ARCHITECTURES)) {
  Deno.test(`executor reproduces model.predict: ${name}`, async () => {
    const model = build();
    const net = wrapModel(model);
    const x = randomImages([3, ...net.inputShape], 7);
    const before = tf.memory().numTensors;
    const r = runNet(net, x, { output: "raw" });
    const expected = model.predict(x) as tf.Tensor;
    assert.deepEqual(r.output.shape, expected.shape);
    assert.ok(await maxAbsDiff(r.output, expected) <= 1e-5);
    tf.dispose([r.output, expected]);
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    x.dispose();
    model.dispose();
  });
}

Deno.test("logits are the pre-softmax scores for fused and separate softmax heads", async () => {
  for (const build of [vggLike, resnetLike]) {
    const model = build();
    const net = wrapModel(model);
    assert.equal(net.head.activation, "softmax");
    const x = randomImages([2, ...net.inputShape], 3);
    const logits = runNet(net, x).output;
    const probs = runNet(net, x, { output: "probabilities" }).output;
    const expected = model.predict(x) as tf.Tensor;
    const soft = tf.softmax(logits);
    assert.ok(await maxAbsDiff(soft, expected) <= 1e-6);
    assert.ok(await maxAbsDiff(probs, expected) <= 1e-6);
    // Logits are not probabilities: they do not sum to one.
    const sums = await tf.sum(logits, 1).data();
    assert.ok(Math.abs(sums[0]! - 1) > 1e-3);
    tf.dispose([x, logits, probs, expected, soft]);
    model.dispose();
  }
  assert.equal(wrapModel(resnetLike()).head.placement, "separate");
  assert.equal(wrapModel(vggLike()).head.placement, "fused");
});

Deno.test("capture, replace and channel masks", async () => {
  const model = resnetLike();
  const net = wrapModel(model);
  const x = randomImages([2, ...net.inputShape], 11);
  const base = runNet(net, x, { capture: ["res1_conv1", "res2_add"] });
  // Replacing a layer by its own captured value changes nothing, even with the
  // skip connection around it.
  const same = runNet(net, x, { replace: { res1_conv1: base.captured.res1_conv1! } });
  assert.ok(await maxAbsDiff(same.output, base.output) <= 1e-5);
  // Replacing the input of the head with the captured value needs no images.
  const fromAdd = runNet(net, null, { replace: { res2_add: base.captured.res2_add! } });
  assert.ok(await maxAbsDiff(fromAdd.output, base.output) <= 1e-5);
  // A mask zeroes exactly the masked channel of the captured output.
  const mask = tf.tensor1d([1, 0, 1, 1, 1, 1]);
  const masked = runNet(net, x, { capture: ["res1_conv1"], channelMask: { res1_conv1: mask } });
  const a = masked.captured.res1_conv1!;
  const ch1Sum = tf.sum(tf.abs(tf.slice(a, [0, 0, 0, 1], [2, 12, 12, 1])));
  assert.equal((await ch1Sum.data())[0], 0);
  // Per-image masks: image 0 unmasked, image 1 fully masked at "down".
  const perImage = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]]);
  const pm = runNet(net, x, { channelMask: { down: perImage }, capture: ["gap"] });
  const gap = await pm.captured.gap!.data();
  assert.ok(gap.slice(8).every((v) => v === 0));
  assert.ok(gap.slice(0, 8).some((v) => v !== 0));
  tf.dispose([x, base.output, ...Object.values(base.captured), same.output, fromAdd.output, mask]);
  tf.dispose([masked.output, a, ch1Sum, perImage, pm.output, pm.captured.gap!]);
  model.dispose();
});

Deno.test("unknown layers and non-conv layers give errors that list the known ones", () => {
  const net = wrapModel(vggLike());
  assert.throws(() => getLayer(net, "conv9"), /Unknown layer "conv9".*conv1, pool1, conv2/);
  assert.throws(() => getConvLayer(net, "fc"), /"fc" is a Dense.*conv layers: conv1, conv2/);
  const x = tf.zeros([1, 5, 5, 1]);
  assert.throws(() => runNet(net, x), /\[1, 5, 5, 1\].*expected \[N, 12, 12, 1\]/);
  assert.throws(() => runNet(net, null, { capture: ["nope"] }), /Unknown layer "nope"/);
  x.dispose();
  net.model.dispose();
});

Deno.test("nested models and reused layers get unique, capturable names", async () => {
  const model = nestedNet();
  const net = wrapModel(model);
  const names = net.layers.map((l) => l.name);
  assert.deepEqual(names, [
    "features/inner_conv",
    "features/inner_pool",
    "features",
    "shared",
    "shared#1",
    "gap",
    "out",
  ]);
  const x = randomImages([2, ...net.inputShape], 5);
  const r = runNet(net, x, { capture: ["features/inner_conv", "shared#1"], output: "raw" });
  assert.deepEqual(r.captured["features/inner_conv"]!.shape, [2, 8, 8, 4]);
  assert.deepEqual(r.captured["shared#1"]!.shape, [2, 4, 4, 4]);
  const expected = model.predict(x) as tf.Tensor;
  assert.ok(await maxAbsDiff(r.output, expected) <= 1e-5);
  tf.dispose([x, r.output, expected, ...Object.values(r.captured)]);
  model.dispose();
});

/** Central finite difference of a scalar function of one tensor element. */
async function finiteDifference(
  f: (t: tf.Tensor) => tf.Tensor,
  at: tf.Tensor,
  flatIndex: number,
  h: number,
): Promise<number> {
  const values = await at.data() as Float32Array;
  const plus = Float32Array.from(values);
  const minus = Float32Array.from(values);
  plus[flatIndex]! += h;
  minus[flatIndex]! -= h;
  const [fp, fm] = tf.tidy(() => [
    f(tf.tensor(plus, at.shape)),
    f(tf.tensor(minus, at.shape)),
  ]);
  const result = ((await fp!.data())[0]! - (await fm!.data())[0]!) / (2 * h);
  tf.dispose([fp!, fm!]);
  return result;
}

Deno.test("gradient with respect to an inner activation matches finite differences", async () => {
  // tanh everywhere in nestedNet keeps the function smooth for finite differences.
  const model = nestedNet(9);
  const net = wrapModel(model);
  const x = randomImages([1, ...net.inputShape], 21);
  const target = { kind: "class", index: 2 } as const;
  const g = targetGradients(net, x, target, { wrtLayers: ["shared"] });
  const grad = await g.layerGrads.shared!.data();
  const act = g.activations.shared!;
  const score = (a: tf.Tensor) =>
    tf.tidy(() => {
      const logits = runNet(net, null, { replace: { shared: a } }).output;
      return tf.slice(logits, [0, 2], [1, 1]);
    });
  for (const i of [0, 5, 17, 40, 63]) {
    const fd = await finiteDifference(score, act, i, 1e-2);
    assert.ok(
      Math.abs(fd - grad[i]!) <= 2e-3 * Math.max(1, Math.abs(fd)),
      `element ${i}: finite difference ${fd} vs gradient ${grad[i]}`,
    );
  }
  // The input gradient too.
  const gx = await g.inputGrad!.data();
  const scoreOfInput = (img: tf.Tensor) =>
    tf.tidy(() => tf.slice(runNet(net, img).output, [0, 2], [1, 1]));
  for (const i of [0, 31, 100]) {
    const fd = await finiteDifference(scoreOfInput, x, i, 1e-2);
    assert.ok(
      Math.abs(fd - gx[i]!) <= 2e-3 * Math.max(1, Math.abs(fd)),
      `input ${i}: ${fd} vs ${gx[i]}`,
    );
  }
  disposeGradients(g);
  x.dispose();
  model.dispose();
});

Deno.test("gradients of neuron targets, batched, per image; repeated calls leak nothing", async () => {
  const model = mobilenetLike();
  const net = wrapModel(model);
  const x = randomImages([3, ...net.inputShape], 4);
  const warm = targetGradients(net, x, { kind: "class" }, { wrtLayers: ["dw1"] });
  disposeGradients(warm);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const g = targetGradients(net, x, { kind: "neuron", layer: "pw1", unit: 3 }, {
      wrtLayers: ["dw1", "sep1"],
    });
    assert.deepEqual(g.layerGrads.dw1!.shape, [3, 8, 8, 8]);
    assert.deepEqual(g.scores.shape, [3]);
    // The neuron's score is the spatial mean of its channel.
    const pw = g.activations.pw1!;
    const mean = tf.tidy(() => tf.mean(tf.slice(pw, [0, 0, 0, 3], [3, 8, 8, 1]), [1, 2, 3]));
    assert.ok(await maxAbsDiff(mean, g.scores) <= 1e-6);
    // sep1 comes after pw1: the neuron does not depend on it.
    const downstream = tf.tidy(() => tf.sum(tf.abs(g.layerGrads.sep1!)));
    assert.equal((await downstream.data())[0], 0);
    tf.dispose([mean, downstream]);
    disposeGradients(g);
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

Deno.test("bad targets are clear errors", () => {
  const model = concatNet();
  const net = wrapModel(model);
  const x = tf.zeros([2, ...net.inputShape]);
  assert.throws(
    () => targetGradients(net, x, { kind: "class", index: 3 }),
    /Class index 3.*0\.\.2/,
  );
  assert.throws(
    () => targetGradients(net, x, { kind: "class", index: [0] }),
    /1 class indices given for 2 images/,
  );
  assert.throws(
    () => targetGradients(net, x, { kind: "neuron", layer: "branch_a", unit: 3 }),
    /Neuron 3 is out of range: layer "branch_a" has units 0\.\.2/,
  );
  x.dispose();
  model.dispose();
});

Deno.test("reluBackward: deconv and guided change gradients, never forward values", async () => {
  // y = Σ w2 · relu(w1 · x) with one hidden ReLU unit per input pixel (1×1 convs).
  const { tfl } = await import("../../engine/deps.ts");
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c1",
        inputShape: [1, 2, 1],
        filters: 1,
        kernelSize: 1,
        activation: "relu",
        useBias: false,
        weights: [tf.tensor4d([1], [1, 1, 1, 1])],
      }),
      tfl.layers.flatten({ name: "f" }),
      tfl.layers.dense({
        name: "out",
        units: 1,
        useBias: false,
        weights: [tf.tensor2d([[-2], [3]])],
      }),
    ],
  });
  const net = wrapModel(model);
  const gradAt = async (values: number[], mode: "standard" | "deconv" | "guided") => {
    const x = tf.tensor4d(values, [1, 1, 2, 1]);
    const g = tf.grad((img: tf.Tensor) => tf.sum(runNet(net, img, { reluBackward: mode }).output))(
      x,
    );
    const v = Array.from(await g.data());
    tf.dispose([x, g]);
    return v;
  };
  // The gradient reaching the ReLU outputs is dy = [-2, 3].
  // x = [1, 2], both units on: standard passes dy, deconv and guided drop the negative part.
  assert.deepEqual(await gradAt([1, 2], "standard"), [-2, 3]);
  assert.deepEqual(await gradAt([1, 2], "deconv"), [0, 3]);
  assert.deepEqual(await gradAt([1, 2], "guided"), [0, 3]);
  // x = [-1, -2], both off: deconv ignores the forward mask and still passes relu(dy).
  assert.deepEqual(await gradAt([-1, -2], "standard"), [0, 0]);
  assert.deepEqual(await gradAt([-1, -2], "deconv"), [0, 3]);
  assert.deepEqual(await gradAt([-1, -2], "guided"), [0, 0]);
  const x2 = tf.tensor4d([1, 2], [1, 1, 2, 1]);
  const a = runNet(net, x2, { reluBackward: "guided" }).output;
  const b = runNet(net, x2).output;
  assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
  tf.dispose([x2, a, b]);
  model.dispose();
});
