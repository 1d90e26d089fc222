/**
 * SHAP images of neurons on a hand-weighted 1×1 conv (a linear neuron: the
 * closed form |w·(x − b)|), at top-activating images, batching and seed
 * invariances, and errors.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import { neuronShapImages } from "../../engine/neurons/shap_image.ts";
import { vggLike } from "../_nets.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

/** 1×1 conv weights: unit 0 computes 2·x_c0 − x_c1 + 0.1, unit 1 0.5·x_c0 + 3·x_c1 − 0.2. */
const W = [[2, -1], [0.5, 3]];
const BIAS = [0.1, -0.2];

/** Input [3, 3, 2] → 1×1 conv "pix" (2 linear units) → GAP → dense head. */
function pixelNet(): Net {
  const model = tfl.sequential({
    name: "pixel_net",
    layers: [
      tfl.layers.conv2d({ inputShape: [3, 3, 2], filters: 2, kernelSize: 1, name: "pix" }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({ units: 2, name: "logits" }),
    ],
  });
  // Kernel [1, 1, in, out]: kernel[c][u] = W[u][c].
  const kernel = tf.tensor4d([W[0]![0]!, W[1]![0]!, W[0]![1]!, W[1]![1]!], [1, 1, 2, 2]);
  const bias = tf.tensor1d(BIAS);
  model.getLayer("pix").setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return wrapModel(model);
}

/** Image values from a formula, HWC order, 3×3×2. */
function image(f: (p: number, c: number) => number): number[] {
  return Array.from({ length: 18 }, (_, i) => f(Math.floor(i / 2), i % 2));
}

function minMax(v: number[]): number[] {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
}

/** The closed form for a linear neuron with one background image b: Σ_c |w_c (x − b)| / 9. */
function closedForm(unit: number, x: number[], b: number[]): number[] {
  return minMax(Array.from({ length: 9 }, (_, p) => {
    let s = 0;
    for (let c = 0; c < 2; c++) s += Math.abs(W[unit]![c]! * (x[p * 2 + c]! - b[p * 2 + c]!)) / 9;
    return s;
  }));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, "lengths");
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tol,
      `index ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`,
    );
  }
}

const XA = image((p, c) => (c === 0 ? p / 8 : 1 - p / 8));
const XB = image((p, c) => (c === 0 ? ((p * 5) % 9) / 9 : (p % 3) / 3));
const B = image((p, c) => (c === 0 ? 0.2 : 0.1 * (p % 2)));

Deno.test("linear neuron, one background image: the map is |w·(x − b)| normalised", async () => {
  const net = pixelNet();
  const before = tf.memory().numTensors;
  const r = await neuronShapImages(net, "pix", {
    at: { images: Float32Array.from([...XA, ...XB]), shape: [2, 3, 3, 2] },
    background: { images: Float32Array.from(B), shape: [1, 3, 3, 2] },
    n: 5,
    batchSize: 3,
  });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  assert.deepEqual([...r.units], [0, 1]);
  assert.deepEqual(r.shape, [2, 3, 3]);
  // Unit 0 at XA, pixel 0: x = (0, 1), b = (0.2, 0): |2·(0 − 0.2)| + |−1·(1 − 0)| = 1.4 (÷ 9);
  // the whole map is then min–max normalised, so compare with the closed form.
  assertClose(r.maps.subarray(0, 9), closedForm(0, XA, B));
  assertClose(r.maps.subarray(9, 18), closedForm(1, XB, B));
  // Activations at the explained images: mean over pixels of w·x + bias.
  const act = (u: number, x: number[]) =>
    Array.from({ length: 9 }, (_, p) => W[u]![0]! * x[p * 2]! + W[u]![1]! * x[p * 2 + 1]!)
        .reduce((a, b) => a + b, 0) / 9 + BIAS[u]!;
  assertClose(r.activations, [act(0, XA), act(1, XB)]);
  assert.equal(r.topIndices, null);
  net.model.dispose();
});

Deno.test("explainAt topImages: mean of the maps at each unit's most activating images", async () => {
  const net = pixelNet();
  const X3 = image((p, c) => (c === 0 ? 1 : 0) * (p % 2));
  const X4 = image(() => 0.4);
  const data = [XA, XB, X3, X4];
  const before = tf.memory().numTensors;
  const r = await neuronShapImages(net, "pix", {
    explainAt: "topImages",
    data: { images: Float32Array.from(data.flat()), shape: [4, 3, 3, 2] },
    topImages: 2,
    background: { images: Float32Array.from(B), shape: [1, 3, 3, 2] },
    n: 3,
  });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  // Unit 0's activation (mean of 2·x_c0 − x_c1, + 0.1): XA mean(3p/8 − 1) + 0.1 = 0.6,
  // XB 2·(4/9) − 1/3 + 0.1 = 0.6556, X3 2·4/9 + 0.1 = 8.9/9, X4 2·0.4 − 0.4 + 0.1 = 0.5
  // → its top-2 are X3, then XB.
  const act = (u: number, x: number[]) =>
    Array.from({ length: 9 }, (_, p) => W[u]![0]! * x[p * 2]! + W[u]![1]! * x[p * 2 + 1]!)
        .reduce((a, b) => a + b, 0) / 9 + BIAS[u]!;
  assertClose([act(0, XA), act(0, XB), act(0, X3), act(0, X4)], [0.6, 5.9 / 9, 8.9 / 9, 0.5]);
  const top = [0, 1].map((u) =>
    [0, 1, 2, 3].sort((i, j) => act(u, data[j]!) - act(u, data[i]!) || i - j).slice(0, 2)
  );
  assert.deepEqual(top[0], [2, 1]);
  assert.deepEqual([...r.topIndices!], top.flat());
  for (const u of [0, 1]) {
    const [i, j] = top[u]!;
    const a = closedForm(u, data[i!]!, B);
    const b = closedForm(u, data[j!]!, B);
    assertClose(r.maps.subarray(u * 9, u * 9 + 9), a.map((v, p) => (v + b[p]!) / 2));
    assertClose([r.activations[u]!], [(act(u, data[i!]!) + act(u, data[j!]!)) / 2]);
  }
  net.model.dispose();
});

Deno.test("maps depend neither on batchSize nor on the other units; seeds matter", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const at = tf.randomUniform([3, 12, 12, 1], 0, 1, "float32", 7);
  const background = tf.randomUniform([5, 12, 12, 1], 0, 1, "float32", 8);
  const before = tf.memory().numTensors;
  const base = { background, n: 6 } as const;
  const a = await neuronShapImages(net, "conv2", { ...base, units: [0, 2, 5], at, batchSize: 4 });
  const b = await neuronShapImages(net, "conv2", { ...base, units: [0, 2, 5], at, batchSize: 64 });
  assertClose(a.maps, b.maps, 1e-4);
  const one = tf.slice(at, [1], [1]);
  const c = await neuronShapImages(net, "conv2", { ...base, units: [2], at: one });
  one.dispose();
  assertClose(c.maps, a.maps.subarray(144, 288), 1e-4);
  const d = await neuronShapImages(net, "conv2", { ...base, units: [0, 2, 5], at, seed: 1 });
  assert.ok(d.maps.some((v, i) => Math.abs(v - a.maps[i]!) > 1e-3), "another seed differs");
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  for (const v of a.maps) assert.ok(v >= 0 && v <= 1 + 1e-6, `map value ${v} in [0, 1]`);
  tf.dispose([at, background]);
  model.dispose();
});

Deno.test("errors: dense layer, unit out of range, empty or misshapen sets", async () => {
  const net = pixelNet();
  const at = { images: new Float32Array(18), shape: [1, 3, 3, 2] };
  const background = { images: new Float32Array(18), shape: [1, 3, 3, 2] };
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => neuronShapImages(net, "logits", { at, background }),
    (e: Error) => e instanceof TypeError && /not a convolution/.test(e.message),
  );
  await assert.rejects(
    () => neuronShapImages(net, "pix", { units: [2], at, background }),
    (e: Error) => e instanceof RangeError && /Unit 2 is out of range.*0\.\.1/.test(e.message),
  );
  await assert.rejects(
    () =>
      neuronShapImages(net, "pix", {
        units: [0],
        at,
        background: { images: new Float32Array(0), shape: [0, 3, 3, 2] },
      }),
    (e: Error) => e instanceof RangeError && /background holds no image/.test(e.message),
  );
  await assert.rejects(
    () =>
      neuronShapImages(net, "pix", {
        units: [0],
        at,
        background: { images: new Float32Array(16), shape: [1, 4, 4, 1] },
      }),
    (e: Error) =>
      e instanceof RangeError && /^background: .*expected \[N, 3, 3, 2\]/.test(e.message),
  );
  await assert.rejects(
    () => neuronShapImages(net, "pix", { at, background }),
    (e: Error) => e instanceof RangeError && /at holds 1 images for 2 units/.test(e.message),
  );
  await assert.rejects(
    () => neuronShapImages(net, "pix", { units: [0], explainAt: "topImages", background }),
    (e: Error) => e instanceof TypeError && /needs options.data/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before, "no tensors leak on errors");
  net.model.dispose();
});
