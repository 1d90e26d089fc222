import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { disposeRelevance, propagateRelevance } from "../../engine/lrp/propagate.ts";
import { alphaBetaRule } from "../../engine/lrp/rules.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { disposeGradients, targetGradients } from "../../engine/net/targets.ts";
import { mnistCnn } from "../../engine/train/architectures.ts";
import { concatNet, TEST_ARCHITECTURES, vggLike } from "../_nets.ts";
import { assertClose, read, sumPerImage, zeroShifts } from "./_helpers.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const t2 = (v: number[][]) => tf.tensor2d(v);
const t1 = (v: number[]) => tf.tensor1d(v);

/**
 * x = [x1, x2] → h = ReLU(x W1 + b1) → y = h W2, with
 * W1 = [[1, 2], [−1, 1]], b1 = [0.5, −0.5], W2 = [[1, −1], [1, 2]].
 * At x = [1, 0.5]: h = [1, 2], y = [3, 3].
 */
function denseToy() {
  return tfl.sequential({
    name: "dense_toy",
    layers: [
      tfl.layers.flatten({ name: "flat", inputShape: [1, 2, 1] }),
      tfl.layers.dense({
        name: "h",
        units: 2,
        activation: "relu",
        weights: [t2([[1, 2], [-1, 1]]), t1([0.5, -0.5])],
      }),
      tfl.layers.dense({ name: "out", units: 2, useBias: false, weights: [t2([[1, -1], [1, 2]])] }),
    ],
  });
}

Deno.test("LRP-ε by hand on a two-layer dense model (ε = 1 and ε → 0 with the bias share)", async () => {
  const model = denseToy();
  const net = wrapModel(model);
  const x = tf.tensor4d([1, 0.5], [1, 1, 2, 1]);
  const before = tf.memory().numTensors;
  // ε = 1. Output layer: z = 3 → 4, s = 3/4; R_h = h ⊙ W2[:,1] s = [1·(−1), 2·2]·0.75 = [−0.75, 3].
  // Hidden layer: z = [1, 2] → [2, 3], s = [−0.375, 1]; c = W1 s = [1.625, 1.375]; R_x = x ⊙ c.
  let r = propagateRelevance(net, x, {
    target: { kind: "class", index: 1 },
    epsilon: 1,
    keep: ["h"],
  });
  assertClose(await read(r.layers.h!), [-0.75, 3], 1e-6, "R_h");
  assertClose(await read(r.input!), [1.625, 0.6875], 1e-6, "R_x");
  assertClose(await read(r.explained), [3], 1e-6, "explained logit");
  assert.deepEqual(await read(r.classes), [1]);
  disposeRelevance(r);
  // ε → 0: R_h = [−1, 4]; s = [−1, 2]; c = [3, 3]; R_x = [3, 1.5]. Σ R_x = 4.5 = y − Σ b s
  // = 3 − (0.5·(−1) + (−0.5)·2): the bias took −1.5, so conservation holds bias share included.
  r = propagateRelevance(net, x, {
    target: { kind: "class", index: 1 },
    epsilon: 1e-9,
    keep: ["h"],
  });
  assertClose(await read(r.layers.h!), [-1, 4], 1e-5, "R_h");
  assertClose(await read(r.input!), [3, 1.5], 1e-5, "R_x");
  disposeRelevance(r);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  x.dispose();
  model.dispose();
});

Deno.test("LRP-ε by hand through a 2×2 conv of ones (ε → 0)", async () => {
  // x = [[1, 2, 0], [0, 1, 3], [2, 0, 1]]; conv (ones, valid) = [[4, 6], [3, 5]];
  // y0 = 4 − 6 + 2·3 = 4; R at the conv = [4, −6, 6, 0] → s = [1, −1, 2, 0];
  // c(i, j) = Σ of s over the windows covering (i, j); R_x = x ⊙ c.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c",
        inputShape: [3, 3, 1],
        filters: 1,
        kernelSize: 2,
        useBias: false,
        activation: "relu",
        weights: [tf.ones([2, 2, 1, 1])],
      }),
      tfl.layers.flatten({ name: "flat" }),
      tfl.layers.dense({
        name: "out",
        units: 2,
        useBias: false,
        weights: [t2([[1, 0], [-1, 0], [2, 0], [0, 0]])],
      }),
    ],
  });
  const net = wrapModel(model);
  const x = tf.tensor4d([1, 2, 0, 0, 1, 3, 2, 0, 1], [1, 3, 3, 1]);
  const r = propagateRelevance(net, x, { target: { kind: "class", index: 0 }, epsilon: 1e-9 });
  assertClose(await read(r.input!), [1, 0, 0, 0, 2, -3, 4, 0, 0], 1e-5, "R_x");
  assertClose(await read(r.explained), [4], 1e-6);
  disposeRelevance(r);
  x.dispose();
  model.dispose();
});

Deno.test("Add splits relevance in proportion to each input's contribution", async () => {
  // x = [1, 2]; d1 = x (identity) = [1, 2]; d2 = x·diag(2, 1) = [2, 2]; add = [3, 4];
  // y0 = 3 + 4 = 7. R_add = [3, 4]; R_d1 = d1/add ⊙ R_add = [1, 2]; R_d2 = [2, 2]; R_x = [3, 4].
  const input = tfl.input({ shape: [1, 2, 1], name: "input" });
  const f = tfl.layers.flatten({ name: "flat" }).apply(input) as tfl.SymbolicTensor;
  const d1 = tfl.layers.dense({
    name: "d1",
    units: 2,
    useBias: false,
    weights: [t2([[1, 0], [0, 1]])],
  }).apply(f) as tfl.SymbolicTensor;
  const d2 = tfl.layers.dense({
    name: "d2",
    units: 2,
    useBias: false,
    weights: [t2([[2, 0], [0, 1]])],
  }).apply(f) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: "add" }).apply([d1, d2]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({
    name: "out",
    units: 2,
    useBias: false,
    weights: [t2([[1, 0], [1, 1]])],
  }).apply(sum) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const net = wrapModel(model);
  const x = tf.tensor4d([1, 2], [1, 1, 2, 1]);
  const r = propagateRelevance(net, x, {
    target: { kind: "class", index: 0 },
    epsilon: 1e-9,
    keep: ["d1", "d2", "add"],
  });
  assertClose(await read(r.layers.add!), [3, 4], 1e-5, "R_add");
  assertClose(await read(r.layers.d1!), [1, 2], 1e-5, "R_d1");
  assertClose(await read(r.layers.d2!), [2, 2], 1e-5, "R_d2");
  assertClose(await read(r.input!), [3, 4], 1e-5, "R_x");
  disposeRelevance(r);
  x.dispose();
  model.dispose();
});

/**
 * Conservation (METHODS.md §3): with ε → 0 and every bias zero — conv/dense
 * biases, and BatchNorm betas and moving means, whose folded shift
 * t = β − μ·γ/σ would otherwise act as a bias — each layer passes on exactly
 * the relevance it receives, so Σ input relevance = the explained logit.
 */
const CONSERVATION_NETS = { ...TEST_ARCHITECTURES, mnistCnn: () => mnistCnn({ seed: 1 }) };
for (const [name, build] of Object.entries(CONSERVATION_NETS)) {
  Deno.test(`conservation: Σ R_input = logit with ε → 0 and zero biases (${name})`, async () => {
    const model = build();
    zeroShifts(model);
    const net = wrapModel(model);
    const x = tf.randomUniform([3, ...net.inputShape], 0, 1, "float32", 11);
    const before = tf.memory().numTensors;
    for (const maxPool of ["winner", "average"] as const) {
      const r = propagateRelevance(net, x, { epsilon: 1e-9, maxPool });
      const sums = await sumPerImage(r.input!);
      const logits = await read(r.scores);
      assertClose(await read(r.explained), logits, 1e-6, "explained = logit");
      for (let i = 0; i < sums.length; i++) {
        const rel = Math.abs(sums[i]! - logits[i]!) / Math.abs(logits[i]!);
        assert.ok(
          rel < 1e-4,
          `${name} ${maxPool} image ${i}: Σ R = ${sums[i]}, logit ${logits[i]}, rel ${rel}`,
        );
      }
      disposeRelevance(r);
    }
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    x.dispose();
    model.dispose();
  });
}

Deno.test("conservation holds layer by layer (keep) and for a neuron target", async () => {
  const model = vggLike();
  zeroShifts(model);
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 5);
  const r = propagateRelevance(net, x, { epsilon: 1e-9, keep: ["conv1", "pool1", "conv2", "fc"] });
  const logits = await read(r.scores);
  for (const name of ["conv1", "pool1", "conv2", "fc"]) {
    assert.deepEqual(r.layers[name]!.shape, r.activations[name]!.shape);
    assertClose(
      await sumPerImage(r.layers[name]!),
      logits,
      1e-4 * Math.max(...logits.map(Math.abs)),
      name,
    );
  }
  disposeRelevance(r);
  const neuron = { kind: "neuron" as const, layer: "conv2", unit: 1 };
  const rn = propagateRelevance(net, x, { target: neuron, epsilon: 1e-9 });
  const scores = await read(rn.scores);
  assert.deepEqual(await read(rn.classes), [-1, -1]);
  assertClose(await read(rn.explained), scores, 1e-6, "explained = neuron mean");
  assertClose(
    await sumPerImage(rn.input!),
    scores,
    1e-4 * Math.max(...scores.map(Math.abs)),
    "Σ R_x",
  );
  disposeRelevance(rn);
  x.dispose();
  model.dispose();
});

Deno.test("stopAt returns the same layer relevance as a full pass, and no input relevance", async () => {
  const model = TEST_ARCHITECTURES.resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 6);
  const before = tf.memory().numTensors;
  const full = propagateRelevance(net, x, { composite: "zPlus", keep: ["res1_conv2"] });
  const stop = propagateRelevance(net, x, { composite: "zPlus", stopAt: "res1_conv2" });
  assert.equal(stop.input, null);
  assertClose(await read(stop.layers.res1_conv2!), await read(full.layers.res1_conv2!), 1e-6);
  disposeRelevance(full);
  disposeRelevance(stop);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  x.dispose();
  model.dispose();
});

Deno.test("z⁺ relevance has the sign of the explained logit everywhere", async () => {
  for (const build of [vggLike, concatNet, () => mnistCnn({ seed: 1 })]) {
    const model = build();
    const net = wrapModel(model);
    const x = tf.randomUniform([3, ...net.inputShape], 0, 1, "float32", 8);
    const r = propagateRelevance(net, x, { composite: "zPlus" });
    const logits = await read(r.explained);
    const values = await read(r.input!);
    const per = values.length / logits.length;
    values.forEach((v, i) => {
      const sign = Math.sign(logits[Math.floor(i / per)]!);
      assert.ok(v * sign >= -1e-9, `${model.name}: R[${i}] = ${v}, logit sign ${sign}`);
    });
    disposeRelevance(r);
    x.dispose();
    model.dispose();
  }
});

Deno.test("α–β with α = 1, β = 0 equals z⁺ on a whole net", async () => {
  const model = TEST_ARCHITECTURES.mobilenetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 9);
  const ab = alphaBetaRule({ alpha: 1, beta: 0 });
  const a = propagateRelevance(net, x, { composite: { name: "ab10", conv: ab, dense: ab } });
  const b = propagateRelevance(net, x, { composite: "zPlus" });
  assertClose(await read(a.input!), await read(b.input!), 1e-6);
  disposeRelevance(a);
  disposeRelevance(b);
  x.dispose();
  model.dispose();
});

Deno.test("contrastive start: −1/C at every class and 1 at the target", async () => {
  const model = vggLike();
  zeroShifts(model);
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 4);
  const r = propagateRelevance(net, x, { start: "contrastive", epsilon: 1e-9, keep: ["out"] });
  const c = net.numClasses;
  assertClose(await read(r.explained), [1 / c, 1 / c], 1e-6);
  const classes = await read(r.classes);
  const start = await read(r.layers.out!);
  start.forEach((v, i) => {
    const expected = i % c === classes[Math.floor(i / c)] ? 1 : -1 / c;
    assert.ok(Math.abs(v - expected) < 1e-6, `start[${i}] = ${v}`);
  });
  assertClose(await sumPerImage(r.input!), [1 / c, 1 / c], 1e-4);
  disposeRelevance(r);
  x.dispose();
  model.dispose();
});

Deno.test("unsupported layers raise an error naming the layer and its class", () => {
  const up = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "c1",
        inputShape: [4, 4, 1],
        filters: 2,
        kernelSize: 3,
        padding: "same",
      }),
      tfl.layers.upSampling2d({ name: "up", size: [2, 2] }),
      tfl.layers.flatten({}),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const recurrent = tfl.sequential({
    layers: [
      tfl.layers.reshape({ name: "rows", inputShape: [4, 3, 1], targetShape: [4, 3] }),
      tfl.layers.lstm({ name: "memory", units: 2, recurrentInitializer: "glorotUniform" }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  for (
    const [model, name, cls] of [[up, "up", "UpSampling2D"], [recurrent, "memory", "LSTM"]] as const
  ) {
    const net = wrapModel(model);
    const x = tf.zeros([1, ...net.inputShape]);
    const before = tf.memory().numTensors;
    assert.throws(
      () => propagateRelevance(net, x),
      (e: Error) =>
        e instanceof TypeError && e.message.includes(`"${name}"`) && e.message.includes(cls),
    );
    assert.equal(tf.memory().numTensors, before, "nothing allocated before the check");
    x.dispose();
    model.dispose();
  }
});

Deno.test("bad targets, layers, options are rejected with clear errors", () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.zeros([2, ...net.inputShape]);
  const before = tf.memory().numTensors;
  const cases: [Parameters<typeof propagateRelevance>[2], RegExp, ErrorConstructor][] = [
    [{ target: { kind: "loss", labels: [0, 1] } }, /loss/, TypeError],
    [{ target: { kind: "class", space: "probability" } }, /logit/, TypeError],
    [{ target: { kind: "class", index: 7 } }, /Class index 7/, RangeError],
    [
      { target: { kind: "neuron", layer: "conv1", unit: 0 }, start: "contrastive" },
      /contrastive/,
      TypeError,
    ],
    [
      { target: { kind: "neuron", layer: "conv1", unit: 0 }, keep: ["conv2"] },
      /"conv2" does not feed/,
      RangeError,
    ],
    [{ keep: ["nope"] }, /Unknown layer "nope"/, RangeError],
    [{ composite: "epsilonplus" as "epsilonPlus" }, /epsilonPlus/, TypeError],
    [{ rules: { pool1: "epsilon" } }, /"pool1" is a MaxPooling2D/, TypeError],
    [{ rules: { conv1: "zplus" as "zPlus" } }, /Unknown LRP rule "zplus"/, TypeError],
    [{ maxPool: "sum" as "winner" }, /maxPool/, RangeError],
  ];
  for (const [options, message, type] of cases) {
    assert.throws(
      () => propagateRelevance(net, x, options),
      (e: Error) => e instanceof type && message.test(e.message),
      JSON.stringify(options),
    );
  }
  assert.equal(tf.memory().numTensors, before, "no tensors leak on errors");
  x.dispose();
  model.dispose();
});

Deno.test("gradientsAt returns ∂score/∂A from the same pass, equal to targetGradients", async () => {
  const model = TEST_ARCHITECTURES.resnetLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 12);
  const before = tf.memory().numTensors;
  const r = propagateRelevance(net, x, {
    stopAt: "res2_conv1",
    gradientsAt: ["res2_conv1", "stem"],
  });
  const g = targetGradients(net, x, { kind: "class" }, {
    wrtInput: false,
    wrtLayers: ["res2_conv1", "stem"],
  });
  for (const name of ["res2_conv1", "stem"]) {
    assertClose(await read(r.gradients[name]!), await read(g.layerGrads[name]!), 1e-6, name);
  }
  assert.deepEqual(await read(r.classes), await read(g.classes));
  disposeGradients(g);
  disposeRelevance(r);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  x.dispose();
  model.dispose();
});
