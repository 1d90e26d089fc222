/**
 * Integrated Gradients: exact values on linear and kinked models, the
 * trapezoid rule by hand, baselines, neuron targets, completeness.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { integratedGradients } from "../../engine/attribution/mod.ts";
import { concatNet, nestedNet, resnetLike, vggLike } from "../_nets.ts";
import { assertClose, BIAS, convNet, dot, K, kinkNet, linearNet, W1 } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const XA = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
const XB = [0.9, 0.2, 0.4, 0.6, 0.1, 0.3, 0.7, 0.5];
const images = { images: Float32Array.from([...XA, ...XB]), shape: [2, 2, 2, 2] };
const target = { kind: "class", index: 1 } as const;

Deno.test("IG of a linear model from black is exactly w·x, with zero completeness error", async () => {
  const net = linearNet();
  const before = tf.memory().numTensors;
  const ig = await integratedGradients(net, images, { target, steps: 3, normalize: false });
  const phi = [...XA, ...XB].map((x, i) => W1[i % 8]! * x);
  assertClose(ig.extras.attributions as Float32Array, phi);
  // Per pixel: Σ_c; image A by hand: 0.15, 0.1, −0.8, 0.7.
  assertClose(ig.raw.slice(0, 4), [0.15, 0.1, -0.8, 0.7]);
  // f(x) − f(0) = w·x (the bias cancels).
  assertClose(ig.extras.deltaF as Float32Array, [dot(W1, XA), dot(W1, XB)]);
  assertClose(ig.extras.completenessError as Float32Array, [0, 0]);
  assertClose(ig.scores, [dot(W1, XA) + BIAS[1]!, dot(W1, XB) + BIAS[1]!]);
  assert.equal(ig.extras.steps, 3);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  net.model.dispose();
});

Deno.test("IG baselines: a number, one image, one image per input", async () => {
  const net = linearNet();
  const xs = [...XA, ...XB];
  const check = async (baseline: number | tf.Tensor | Float32Array, xp: (i: number) => number) => {
    const ig = await integratedGradients(net, images, { target, steps: 2, baseline });
    assertClose(
      ig.extras.attributions as Float32Array,
      xs.map((x, i) => W1[i % 8]! * (x - xp(i))),
      1e-5,
      `baseline ${baseline.constructor.name}`,
    );
    assertClose(ig.extras.completenessError as Float32Array, [0, 0]);
  };
  await check(0.5, () => 0.5);
  const one = Float32Array.from({ length: 8 }, (_, i) => i / 10);
  await check(one, (i) => one[i % 8]!);
  const each = Float32Array.from({ length: 16 }, (_, i) => 1 - i / 20);
  await check(each, (i) => each[i]!);
  const t3 = tf.tensor3d(one, [2, 2, 2]);
  const t4 = tf.tensor4d(each, [2, 2, 2, 2]);
  const before = tf.memory().numTensors;
  await check(t3, (i) => one[i % 8]!);
  await check(t4, (i) => each[i]!);
  assert.equal(tf.memory().numTensors, before, "baselines are neither leaked nor disposed");
  tf.dispose([t3, t4]);
  net.model.dispose();
});

Deno.test("IG uses the trapezoid rule over `steps` intervals (hand-worked on a ReLU kink)", async () => {
  const net = kinkNet();
  const x = { images: Float32Array.from([1]), shape: [1, 1, 1, 1] };
  // f(x) = relu(x − 0.5), path 0 → 1, gradient 0 for α ≤ 0.5 and 1 after.
  // m = 4: α = 0, ¼, ½, ¾, 1 → gradients 0, 0, 0, 1, 1; weights ⅛, ¼, ¼, ¼, ⅛ → 0.375.
  const four = await integratedGradients(net, x, { steps: 4, normalize: false });
  assertClose(four.raw, [0.375]);
  assertClose(four.extras.deltaF as Float32Array, [0.5]);
  assertClose(four.extras.completenessError as Float32Array, [-0.125]);
  // m = 5: α = 0, .2, .4, .6, .8, 1 → 0, 0, 0, 1, 1, 1; weights .1, .2, .2, .2, .2, .1 → 0.5.
  const five = await integratedGradients(net, x, { steps: 5, normalize: false });
  assertClose(five.raw, [0.5]);
  assertClose(five.extras.completenessError as Float32Array, [0]);
  net.model.dispose();
});

Deno.test("IG of a neuron target: a 1×1 conv unit's mean gives x·K[c][u] / 9", async () => {
  const net = convNet();
  const x = tf.randomUniform([2, 3, 3, 2], 0, 1, "float32", 9);
  const ig = await integratedGradients(net, x, {
    target: { kind: "neuron", layer: "conv", unit: 1 },
    steps: 4,
  });
  const xs = await x.data();
  const phi = Array.from(xs, (v, i) => (v * K[i % 2]![1]!) / 9);
  assertClose(ig.extras.attributions as Float32Array, phi);
  assertClose(ig.extras.completenessError as Float32Array, [0, 0]);
  assert.deepEqual([...ig.classes], [-1, -1]);
  x.dispose();
  net.model.dispose();
});

Deno.test("IG completeness within 1 % of |f(x) − f(x′)| with 64 steps (tanh + max pooling)", async () => {
  // The trained default model is checked in default_models_test.ts.
  for (const build of [nestedNet]) {
    const model = build();
    const net = wrapModel(model);
    const x = tf.randomUniform([4, ...net.inputShape], 0, 1, "float32", 21);
    const before = tf.memory().numTensors;
    const ig = await integratedGradients(net, x, { steps: 64, batchSize: 48 });
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    const err = ig.extras.completenessError as Float32Array;
    const deltaF = ig.extras.deltaF as Float32Array;
    for (let i = 0; i < 4; i++) {
      assert.ok(
        Math.abs(err[i]!) < 0.01 * Math.abs(deltaF[i]!),
        `${net.name} image ${i}: error ${err[i]} vs f(x) − f(x′) = ${deltaF[i]}`,
      );
    }
    // The map sums to Σφ: raw is φ summed over channels.
    const size = net.inputShape[0] * net.inputShape[1];
    const sum = ig.raw.slice(0, size).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (deltaF[0]! + err[0]!)) < 1e-5 + 1e-4 * Math.abs(sum));
    x.dispose();
    model.dispose();
  }
});

Deno.test("IG on untrained ReLU nets: the completeness error shrinks with more steps", async () => {
  // Random ReLU nets are nearly flat (|f(x) − f(x′)| ~ 10⁻³) with many kinks
  // on the path, so 1 % is out of reach at 64 steps; the error must still fall.
  for (const build of [vggLike, concatNet, resnetLike]) {
    const model = build();
    const net = wrapModel(model);
    const x = tf.randomUniform([4, ...net.inputShape], 0, 1, "float32", 21);
    const meanError = async (steps: number) => {
      const ig = await integratedGradients(net, x, { steps, batchSize: 64 });
      const err = ig.extras.completenessError as Float32Array;
      return err.reduce((a, e) => a + Math.abs(e), 0) / err.length;
    };
    const coarse = await meanError(8);
    const fine = await meanError(128);
    assert.ok(fine < 0.5 * coarse, `${net.name}: ${coarse} at 8 steps, ${fine} at 128`);
    x.dispose();
    model.dispose();
  }
});
