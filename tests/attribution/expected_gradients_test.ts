/**
 * Expected Gradients / GradientSHAP on hand-weighted models: exact with one
 * background image, w·(x − mean B) in expectation, neuron targets, seeds.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { expectedGradients } from "../../engine/attribution/mod.ts";
import { vggLike } from "../_nets.ts";
import { assertClose, BIAS, convNet, dot, K, linearNet, W0 } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const XA = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
const XB = [0.9, 0.2, 0.4, 0.6, 0.1, 0.3, 0.7, 0.5];
const images = { images: Float32Array.from([...XA, ...XB]), shape: [2, 2, 2, 2] };
const target = { kind: "class", index: 0 } as const;

Deno.test("one background image: φ = w·(x − b) exactly, whatever α", async () => {
  const net = linearNet();
  const b = [0.5, 0, 1, 0.25, 0.5, 0.5, 0, 1];
  const background = { images: Float32Array.from(b), shape: [1, 2, 2, 2] };
  const before = tf.memory().numTensors;
  const shap = await expectedGradients(net, images, { background, target, n: 7 });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  const phi = [...XA, ...XB].map((x, i) => W0[i % 8]! * (x - b[i % 8]!));
  assertClose(shap.extras.attributions as Float32Array, phi);
  // Image A, pixel (0,0) by hand: 1·(0.1 − 0.5) − 2·(0.2 − 0) = −0.8.
  assertClose([shap.raw[0]!], [-0.8]);
  assertClose(shap.extras.deltaF as Float32Array, [
    dot(W0, XA) - dot(W0, b),
    dot(W0, XB) - dot(W0, b),
  ]);
  assertClose(shap.extras.completenessError as Float32Array, [0, 0]);
  assertClose(shap.scores, [dot(W0, XA) + BIAS[0]!, dot(W0, XB) + BIAS[0]!]);
  assert.equal(shap.method, "expectedGradients");
  net.model.dispose();
});

Deno.test("several background images: φ → w·(x − mean B) as samples grow", async () => {
  const net = linearNet();
  const b1 = [0, 0, 0, 0, 0, 0, 0, 0];
  const b2 = [1, 1, 1, 1, 1, 1, 1, 1];
  const background = { images: Float32Array.from([...b1, ...b2]), shape: [2, 2, 2, 2] };
  const shap = await expectedGradients(net, images, {
    background,
    target,
    n: 4000,
    batchSize: 256,
  });
  // mean B = 0.5 everywhere. Each sample's φ is w·(x − b) with b ∈ {0, 1}; the
  // standard error of the mean over 4000 samples is |w|/2/√4000 ≤ 0.032.
  const phi = [...XA, ...XB].map((x, i) => W0[i % 8]! * (x - 0.5));
  assertClose(shap.extras.attributions as Float32Array, phi, 0.13);
  // deltaF uses the exact mean over B: f(x) − (f(b1) + f(b2)) / 2.
  const mean = (dot(W0, b1) + dot(W0, b2)) / 2;
  assertClose(shap.extras.deltaF as Float32Array, [dot(W0, XA) - mean, dot(W0, XB) - mean]);
  const err = shap.extras.completenessError as Float32Array;
  assert.ok(Math.abs(err[0]!) < 0.3 && Math.abs(err[1]!) < 0.3, `errors ${err}`);
  net.model.dispose();
});

Deno.test("neuron targets: φ = (x − b)·K[c][u] / 9 for a 1×1 conv unit", async () => {
  const net = convNet();
  const x = tf.randomUniform([2, 3, 3, 2], 0, 1, "float32", 4);
  const bg = tf.randomUniform([1, 3, 3, 2], 0, 1, "float32", 5);
  const shap = await expectedGradients(net, x, {
    background: bg,
    target: { kind: "neuron", layer: "conv", unit: 0, reduce: "mean" },
    n: 3,
  });
  const [xs, bs] = [await x.data(), await bg.data()];
  const phi = Array.from(xs, (v, i) => ((v - bs[i % 18]!) * K[i % 2]![0]!) / 9);
  assertClose(shap.extras.attributions as Float32Array, phi);
  assertClose(shap.extras.completenessError as Float32Array, [0, 0]);
  assert.deepEqual([...shap.classes], [-1, -1]);
  tf.dispose([x, bg]);
  net.model.dispose();
});

Deno.test("the seed fixes the samples; another seed draws others; batchSize does not matter", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, ...net.inputShape], 0, 1, "float32", 1);
  const bg = tf.randomUniform([5, ...net.inputShape], 0, 1, "float32", 2);
  const run = (seed: number, batchSize: number) =>
    expectedGradients(net, x, { background: bg, n: 12, seed, batchSize });
  const a = await run(3, 32);
  const b = await run(3, 5);
  const c = await run(4, 32);
  assertClose(b.extras.attributions as Float32Array, a.extras.attributions as Float32Array, 1e-6);
  assertClose(b.values, a.values, 1e-5);
  assert.notDeepEqual(a.extras.attributions, c.extras.attributions);
  assert.deepEqual(a.classes, c.classes);
  tf.dispose([x, bg]);
  model.dispose();
});
