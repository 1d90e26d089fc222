/**
 * Bad inputs are clear errors (TypeError/RangeError naming the value and
 * what was expected), from every method, and leave no tensors behind.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import {
  attribute,
  ATTRIBUTION_METHODS,
  type AttributionName,
  type AttributionOptions,
  expectedGradients,
  type ExpectedGradientsOptions,
  integratedGradients,
  occlusion,
  saliency,
  smoothGrad,
} from "../../engine/attribution/mod.ts";
import { linearNet } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const names = Object.keys(ATTRIBUTION_METHODS) as AttributionName[];
const good = { images: new Float32Array(16).fill(0.5), shape: [2, 2, 2, 2] };
const background = { images: new Float32Array(8).fill(0.1), shape: [1, 2, 2, 2] };
const extra = (name: AttributionName): AttributionOptions =>
  name === "expectedGradients" ? { background, n: 2 } : { n: 2, steps: 2 };

function expectError(kind: typeof TypeError | typeof RangeError, pattern: RegExp) {
  return (e: Error) => {
    assert.ok(
      e instanceof kind,
      `expected a ${kind.name}, got ${e.constructor.name}: ${e.message}`,
    );
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("every method: NaN pixels, wrong shapes, classes out of range, bad batch sizes", async () => {
  const net = linearNet();
  const before = tf.memory().numTensors;
  const nan = { images: Float32Array.from(good.images), shape: [2, 2, 2, 2] };
  nan.images[5] = NaN;
  for (const name of names) {
    const run = (images: unknown, options: AttributionOptions = {}) =>
      attribute(net, images as typeof good, { method: name, ...extra(name), ...options });
    await assert.rejects(() => run(nan), expectError(TypeError, /NaN at index 5/));
    await assert.rejects(
      () => run({ images: new Float32Array(18), shape: [2, 3, 3, 1] }),
      expectError(RangeError, /\[2, 3, 3, 1\].*expected \[N, 2, 2, 2\]/),
    );
    await assert.rejects(
      () => run({ images: new Float32Array(15), shape: [2, 2, 2, 2] }),
      expectError(RangeError, /15 values/),
    );
    await assert.rejects(
      () => run({ images: new Float32Array(0), shape: [0, 2, 2, 2] }),
      expectError(RangeError, /no image/),
    );
    await assert.rejects(
      () => run(good, { target: { kind: "class", index: 2 } }),
      expectError(RangeError, /Class index 2 is out of range: .*0\.\.1/),
    );
    await assert.rejects(
      () => run(good, { target: { kind: "class", index: [0] } }),
      expectError(RangeError, /1 class indices given for 2 images/),
    );
    await assert.rejects(
      () => run(good, { target: { kind: "neuron", layer: "nope", unit: 0 } }),
      expectError(RangeError, /Unknown layer "nope".*flat, logits/),
    );
    await assert.rejects(
      () => run(good, { target: { kind: "neuron", layer: "logits", unit: 5 } }),
      expectError(RangeError, /Neuron 5 is out of range/),
    );
    await assert.rejects(
      () => run(good, { batchSize: 0 }),
      expectError(RangeError, /batchSize must be a positive integer; got 0/),
    );
    await assert.rejects(
      () => run(good, { seed: NaN }),
      expectError(RangeError, /seed must be a finite number/),
    );
  }
  assert.equal(tf.memory().numTensors, before, "errors leave no tensors behind");
  net.model.dispose();
});

Deno.test("method options: missing background, bad reduce, steps, n, σ, patch and baselines", async () => {
  const net = linearNet();
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => expectedGradients(net, good, {} as ExpectedGradientsOptions),
    expectError(TypeError, /needs options\.background/),
  );
  await assert.rejects(
    () => expectedGradients(net, good, undefined as unknown as ExpectedGradientsOptions),
    expectError(TypeError, /needs options\.background/),
  );
  await assert.rejects(
    () => attribute(net, good, { method: "expectedGradients" }),
    expectError(TypeError, /needs options\.background/),
  );
  await assert.rejects(
    () =>
      expectedGradients(net, good, {
        background: { images: new Float32Array(9), shape: [1, 3, 3, 1] },
      }),
    expectError(RangeError, /\[1, 3, 3, 1\]/),
  );
  await assert.rejects(
    () =>
      expectedGradients(net, good, {
        background: { images: new Float32Array(0), shape: [0, 2, 2, 2] },
      }),
    expectError(RangeError, /background hold no image/),
  );
  await assert.rejects(
    () => saliency(net, good, { reduce: "mean" as "max" }),
    expectError(TypeError, /reduce must be one of "max", "l2"; got "mean"/),
  );
  await assert.rejects(
    () => smoothGrad(net, good, { variant: "abs" as "mean" }),
    expectError(TypeError, /variant must be one of/),
  );
  await assert.rejects(
    () => smoothGrad(net, good, { n: 2.5 }),
    expectError(RangeError, /n must be a positive integer; got 2.5/),
  );
  await assert.rejects(
    () => smoothGrad(net, good, { sigmaFraction: -1 }),
    expectError(RangeError, /sigmaFraction/),
  );
  await assert.rejects(
    () => integratedGradients(net, good, { steps: 0 }),
    expectError(RangeError, /steps must be a positive integer; got 0/),
  );
  await assert.rejects(
    () => integratedGradients(net, good, { baseline: new Float32Array(5) }),
    expectError(RangeError, /baseline holds 5 values; expected 8/),
  );
  const wrong = tf.zeros([3, 2, 2, 2]);
  await assert.rejects(
    () => integratedGradients(net, good, { baseline: wrong }),
    expectError(RangeError, /baseline has shape \[3, 2, 2, 2\]/),
  );
  wrong.dispose();
  await assert.rejects(
    () => integratedGradients(net, good, { baseline: NaN }),
    expectError(TypeError, /baseline contains NaN/),
  );
  await assert.rejects(
    () => occlusion(net, good, { patch: 3 }),
    expectError(RangeError, /patch 3×3 is larger than the 2×2 input/),
  );
  await assert.rejects(
    () => occlusion(net, good, { stride: [1, 0] }),
    expectError(RangeError, /stride\[1\] must be a positive integer; got 0/),
  );
  await assert.rejects(
    () => occlusion(net, good, { baseline: Infinity }),
    expectError(RangeError, /baseline must be a finite number/),
  );
  assert.equal(tf.memory().numTensors, before, "errors leave no tensors behind");
  net.model.dispose();
});
