/**
 * Saliency, gradient × input, SmoothGrad, deconvolution and guided backprop
 * on hand-weighted models, with hand-worked expected values.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import {
  deconvolution,
  gradientTimesInput,
  guidedBackprop,
  saliency,
  smoothGrad,
} from "../../engine/attribution/mod.ts";
import { assertClose, BIAS, convNet, dot, K, linearNet, reluNet, W0, W1 } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const XA = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
const XB = [0.9, 0.2, 0.4, 0.6, 0.1, 0.3, 0.7, 0.5];
const images = { images: Float32Array.from([...XA, ...XB]), shape: [2, 2, 2, 2] };

Deno.test("saliency of a linear model is |w|, reduced over channels by max or L2", async () => {
  const net = linearNet();
  const before = tf.memory().numTensors;
  const c0 = await saliency(net, images, { target: { kind: "class", index: 0 } });
  // Pixels (0,0), (0,1), (1,0), (1,1) have channel weights (1, −2), (3, 0.5), (−1, 2), (0, 4).
  assertClose(c0.raw, [2, 3, 2, 4, 2, 3, 2, 4]);
  assert.deepEqual(c0.rawShape, [2, 2, 2]);
  assert.deepEqual(c0.shape, [2, 2, 2]);
  assert.equal(c0.layer, null);
  assert.deepEqual([...c0.classes], [0, 0]);
  assertClose(c0.scores, [dot(W0, XA) + BIAS[0]!, dot(W0, XB) + BIAS[0]!]);
  // Min–max normalised per image: (v − 2) / (4 − 2).
  assertClose(c0.values, [0, 0.5, 0, 1, 0, 0.5, 0, 1]);
  const c1 = await saliency(net, images, { target: { kind: "class", index: [1, 0] } });
  assertClose(c1.raw, [0.5, 1, 3, 1, 2, 3, 2, 4]);
  assert.deepEqual([...c1.classes], [1, 0]);
  const l2 = await saliency(net, images, { target: { kind: "class", index: 0 }, reduce: "l2" });
  assertClose(
    l2.raw,
    [Math.sqrt(5), Math.sqrt(9.25), Math.sqrt(5), 4].flatMap((v) => [v]).concat(
      [Math.sqrt(5), Math.sqrt(9.25), Math.sqrt(5), 4],
    ),
  );
  const raw = await saliency(net, images, {
    target: { kind: "class", index: 0 },
    normalize: false,
  });
  assertClose(raw.values, raw.raw);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  net.model.dispose();
});

Deno.test("saliency defaults to the top-1 class", async () => {
  const net = linearNet();
  const top = (x: number[]) => (dot(W0, x) + BIAS[0]! >= dot(W1, x) + BIAS[1]! ? 0 : 1);
  const m = await saliency(net, images);
  assert.deepEqual([...m.classes], [top(XA), top(XB)]);
  net.model.dispose();
});

Deno.test("gradient × input of a linear model is each pixel's Σ_c w·x", async () => {
  const net = linearNet();
  const m = await gradientTimesInput(net, images, {
    target: { kind: "class", index: 1 },
    normalize: false,
  });
  const expected = [XA, XB].flatMap((x) =>
    [0, 1, 2, 3].map((p) => W1[2 * p]! * x[2 * p]! + W1[2 * p + 1]! * x[2 * p + 1]!)
  );
  // Image A by hand: 0.05 + 0.1, −0.3 + 0.4, 1.0 − 1.8, 0.7 + 0.
  assertClose(expected.slice(0, 4), [0.15, 0.1, -0.8, 0.7]);
  assertClose(m.raw, expected);
  // Completeness of a linear model: the map sums to f(x) − b.
  assert.ok(Math.abs(m.raw.slice(0, 4).reduce((a, b) => a + b) - (m.scores[0]! - BIAS[1]!)) < 1e-5);
  net.model.dispose();
});

Deno.test("gradients of a loss target: −(w_label − Σ_k p_k w_k)", async () => {
  const net = linearNet();
  const m = await saliency(net, images, {
    target: { kind: "loss", labels: [1, 0] },
    normalize: false,
  });
  assert.deepEqual([...m.classes], [1, 0]);
  [XA, XB].forEach((x, i) => {
    const z = [dot(W0, x) + BIAS[0]!, dot(W1, x) + BIAS[1]!];
    const p0 = Math.exp(z[0]!) / (Math.exp(z[0]!) + Math.exp(z[1]!));
    const label = i === 0 ? 1 : 0;
    const g = W0.map((w0, q) => -((label === 0 ? w0 : W1[q]!) - (p0 * w0 + (1 - p0) * W1[q]!)));
    const expected = [0, 1, 2, 3].map((p) =>
      Math.max(Math.abs(g[2 * p]!), Math.abs(g[2 * p + 1]!))
    );
    assertClose(m.raw.slice(4 * i, 4 * i + 4), expected, 1e-5, `image ${i}`);
    assertClose([m.scores[i]!], [-Math.log(label === 0 ? p0 : 1 - p0)], 1e-5);
  });
  net.model.dispose();
});

Deno.test("neuron targets: the mean of a 1×1 conv unit has gradient K[c][u] / 9", async () => {
  const net = convNet();
  const x = tf.randomUniform([2, 3, 3, 2], 0, 1, "float32", 5);
  const m = await saliency(net, x, {
    target: { kind: "neuron", layer: "conv", unit: 1 },
    normalize: false,
  });
  // max(|−2|, |3|) / 9 at every pixel.
  assertClose(m.raw, new Array(18).fill(3 / 9));
  assert.deepEqual([...m.classes], [-1, -1]);
  const gi = await gradientTimesInput(net, x, {
    target: { kind: "neuron", layer: "conv", unit: 0 },
    normalize: false,
  });
  const xs = await x.data();
  const expected = Array.from(
    { length: 18 },
    (_, p) => (K[0]![0]! * xs[2 * p]! + K[1]![0]! * xs[2 * p + 1]!) / 9,
  );
  assertClose(gi.raw, expected);
  // The score is the unit's spatial mean: Σ map + bias.
  assertClose([gi.scores[0]!], [expected.slice(0, 9).reduce((a, b) => a + b) + 0.1]);
  x.dispose();
  net.model.dispose();
});

Deno.test("SmoothGrad of a linear model equals its saliency (the gradient ignores the noise)", async () => {
  const net = linearNet();
  const target = { kind: "class", index: 0 } as const;
  const mean = await smoothGrad(net, images, { target, n: 5, normalize: false });
  assertClose(mean.raw, [2, 3, 2, 4, 2, 3, 2, 4]);
  const abs = await smoothGrad(net, images, { target, n: 5, variant: "meanAbs" });
  assertClose(abs.raw, [2, 3, 2, 4, 2, 3, 2, 4]);
  const squared = await smoothGrad(net, images, { target, n: 3, variant: "squared" });
  assertClose(squared.raw, [4, 9, 4, 16, 4, 9, 4, 16], 1e-4);
  // σ = 0.15 · (max − min) of each image: 0.15 · 0.7 and 0.15 · 0.8.
  assertClose(mean.extras.sigma as Float32Array, [0.105, 0.12]);
  // Scores are f(x) of the original images, not of the noisy copies.
  assertClose(mean.scores, [dot(W0, XA) + BIAS[0]!, dot(W0, XB) + BIAS[0]!]);
  net.model.dispose();
});

Deno.test("SmoothGrad averages over noise: the expected gradient of a ReLU net, seeded", async () => {
  const net = reluNet();
  // A constant image has σ = 0: every copy is the image itself.
  const flat = { images: Float32Array.from([0.5, 0.5]), shape: [1, 1, 2, 1] };
  const same = await smoothGrad(net, flat, { n: 4, normalize: false });
  assert.equal((same.extras.sigma as Float32Array)[0], 0);
  assertClose(same.raw, (await saliency(net, flat, { normalize: false })).raw);

  const y = { images: Float32Array.from([0.2, 0.6]), shape: [1, 1, 2, 1] };
  // Plain gradient at y: h2, h3 active → (1, −1) + (1, 1) = (2, 0).
  assertClose((await saliency(net, y, { normalize: false })).raw, [2, 0]);
  // σ = 2 · (0.6 − 0.2) = 0.8. Unit k is active with probability
  // P1 = Φ(−0.4 / (0.8√2)) = 0.36184, P2 = 1 − P1 = 0.63816, P3 = Φ(0.8 / (0.8√2)) = 0.76025,
  // so E[∇] = 2·P1·(1, −1) − P2·(−1, 1) + P3·(1, 1) = (2.12209, −0.60159).
  const options = { n: 2000, sigmaFraction: 2, normalize: false, seed: 1 };
  const a = await smoothGrad(net, y, options);
  assertClose(a.raw, [2.12209, 0.60159], 0.08);
  const b = await smoothGrad(net, y, options);
  const c = await smoothGrad(net, y, { ...options, seed: 2 });
  assert.deepEqual(a.raw, b.raw, "the same seed gives the same map");
  assert.notDeepEqual(a.raw, c.raw, "another seed gives another sample");
  net.model.dispose();
});

Deno.test("deconvolution and guided backprop on a hand-made ReLU net", async () => {
  const net = reluNet();
  // x = [1, 2]: pre-activations [−1, 1, 3]; dy/dh = [2, −1, 1].
  const x = { images: Float32Array.from([1, 2]), shape: [1, 1, 2, 1] };
  const before = tf.memory().numTensors;
  // Standard: mask [0, 1, 1] → dh = [0, −1, 1] → dx = −1·(−1, 1) + (1, 1) = (2, 0).
  const standard = await saliency(net, x, { normalize: false });
  assertClose(standard.raw, [2, 0]);
  // Deconv: relu(dy) = [2, 0, 1], no mask → dx = 2·(1, −1) + (1, 1) = (3, −1) → |·| = (3, 1).
  const deconv = await deconvolution(net, x, { normalize: false });
  assertClose(deconv.raw, [3, 1]);
  // Guided: mask · relu(dy) = [0, 0, 1] → dx = (1, 1).
  const guided = await guidedBackprop(net, x, { normalize: false });
  assertClose(guided.raw, [1, 1]);
  // Forward values are unchanged by the backward rule.
  assertClose(deconv.scores, standard.scores);
  assertClose(guided.scores, [2 * 0 - 1 + 3]);
  assert.equal(deconv.method, "deconvolution");
  assert.equal(guided.method, "guidedBackprop");
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  net.model.dispose();
});
