import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { cam } from "../../engine/cam/cam.ts";
import { fuseLayerCams } from "../../engine/cam/layer_cam.ts";
import type { MapResult } from "../../engine/maps/map.ts";
import { flatImage, flatNet, gapImage, gapNet } from "./_models.ts";

await useBackend("wasm", { quiet: true });

function close(actual: ArrayLike<number>, expected: number[], what: string, tol = 1e-5) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)),
      `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (all: ${Array.from(actual)})`,
    );
  }
}

/** w_0 A_0 + w_1 A_1 for the flat net's activations (see _models.ts). */
const A0 = [1, 0.5, 0, 0.25];
const A1 = [3, 2, 1, 1.5];
const combine = (w0: number, w1: number) => A0.map((a, i) => w0 * a + w1 * A1[i]!);

async function flatCam(method: string, extra: Record<string, unknown> = {}): Promise<MapResult> {
  const model = flatNet();
  const x = flatImage();
  try {
    return await cam(wrapModel(model), x, {
      method: method as "gradCam",
      normalize: false,
      target: { kind: "class", index: 0 },
      ...extra,
    });
  } finally {
    x.dispose();
    model.dispose();
  }
}

// The flat net: A_0 = x = [1, .5, 0, .25], A_1 = 2x + 1 = [3, 2, 1, 1.5],
// G_0 = [1, 2, −1, 0], G_1 = [−1, 0, 1, 2] (row-major 2×2), z_0 = Σ G·A = 3.

Deno.test("Grad-CAM by hand: w_k = mean G_k = 0.5, 0.5 → map = (A_0 + A_1)/2", async () => {
  const m = await flatCam("gradCam");
  close(m.raw, [2, 1.25, 0.5, 0.875], "gradCam");
  close(m.scores, [3], "score");
  assert.deepEqual(Array.from(m.classes), [0]);
  assert.equal(m.layer, "conv");
  assert.equal(m.method, "gradCam");
  // Upsampling 2×2 → 2×2 is the identity; normalisation (0.5 → 0, 2 → 1):
  const n = await flatCam("gradCam", { normalize: true });
  close(n.values, [1, 0.5, 0, 0.25], "normalised");
});

Deno.test("HiResCAM by hand: Σ_k G_k ⊙ A_k = [−2, 1, 1, 3], ReLU → [0, 1, 1, 3]", async () => {
  close((await flatCam("hiResCam", { relu: false })).raw, [-2, 1, 1, 3], "hiResCam raw");
  close((await flatCam("hiResCam")).raw, [0, 1, 1, 3], "hiResCam");
});

Deno.test("LayerCAM by hand: Σ_k ReLU(G_k) ⊙ A_k = [1, 1, 1, 3]; shallow scaling tanh(2M/3)", async () => {
  close((await flatCam("layerCam")).raw, [1, 1, 1, 3], "layerCam");
  const scaled = await flatCam("layerCam", { options: { shallowScaling: true } });
  close(scaled.raw, [1, 1, 1, 3].map((v) => Math.tanh((2 * v) / 3)), "layerCam scaled");
  const gamma = await flatCam("layerCam", { options: { shallowScaling: true, gamma: 0.5 } });
  close(gamma.raw, [1, 1, 1, 3].map((v) => Math.tanh((0.5 * v) / 3)), "layerCam γ = 0.5");
});

Deno.test("XGrad-CAM by hand: w_0 = (1 + 1)/1.75 = 8/7, w_1 = (−3 + 1 + 3)/7.5 = 2/15", async () => {
  const m = await flatCam("xGradCam");
  close(m.raw, combine(8 / 7, 2 / 15), "xGradCam");
  close(m.raw, [54 / 35, 88 / 105, 2 / 15, 17 / 35], "xGradCam (fractions)");
});

Deno.test("Grad-CAM++ by hand: α = g²/(2g² + ΣA·g³), w = Σ α ReLU(g)", async () => {
  // Channel 0 (ΣA = 1.75): g = 1 → α = 1/3.75 = 4/15; g = 2 → α = 4/(8 + 14) = 2/11;
  //   g = −1 has ReLU(g) = 0; g = 0 has α = 0. w_0 = 4/15 + 2·2/11 = 104/165.
  // Channel 1 (ΣA = 7.5): g = 1 → 1/9.5 = 2/19; g = 2 → 4/68 = 1/17. w_1 = 2/19 + 2/17 = 72/323.
  const m = await flatCam("gradCamPlusPlus");
  close(m.raw, combine(104 / 165, 72 / 323), "gradCamPlusPlus");
});

Deno.test("Ablation-CAM by hand: y = 3; zeroing A_0 leaves 1, A_1 leaves 2 → w = 2/3, 1/3", async () => {
  const m = await flatCam("ablationCam");
  close(m.raw, [5 / 3, 1, 1 / 3, 2 / 3], "ablationCam");
  close(m.scores, [3], "score");
});

Deno.test("Score-CAM by hand: both masks are x, masked logit 1.75, weight σ(1.75)", async () => {
  // norm(A_0) = norm(2x + 1) = x (min 0, max 1), so both masked inputs are x² =
  // [1, .25, 0, .0625]: z_0 = (1 + .5) + (−3 + 1 + 2.25) = 1.75, z_1 = 0, and the
  // softmax probability of class 0 is 1/(1 + e^−1.75). Map = p (A_0 + A_1).
  const p = 1 / (1 + Math.exp(-1.75));
  close((await flatCam("scoreCam")).raw, combine(p, p), "scoreCam");
  const logit = await flatCam("scoreCam", { target: { kind: "class", index: 0, space: "logit" } });
  close(logit.raw, combine(1.75, 1.75), "scoreCam on logits");
});

Deno.test("Score-CAM by hand: constant channels give all-zero masks, never a random one", async () => {
  // x ≡ 0.5: A_0 ≡ 0.5 and A_1 ≡ 2 are constant, both masks are zero, the masked
  // input is black: A_0 = 0, A_1 = 1, z_0 = Σ G_1 = 2, weight σ(2). Map = 2.5·σ(2).
  const model = flatNet();
  const x = tf.fill([1, 2, 2, 1], 0.5);
  const m = await cam(wrapModel(model), x, {
    method: "scoreCam",
    normalize: false,
    target: { kind: "class", index: 0 },
  });
  close(m.raw, new Array(4).fill(2.5 / (1 + Math.exp(-2))), "scoreCam, constant channels");
  x.dispose();
  model.dispose();
});

Deno.test("Eigen-CAM by hand: A = x·[1, 2] has rank one → map = √5·x (centred: √5(x − x̄))", async () => {
  const model = flatNet({ bias: false });
  const x = flatImage();
  const net = wrapModel(model);
  const m = await cam(net, x, { method: "eigenCam", normalize: false });
  close(m.raw, A0.map((v) => Math.sqrt(5) * v), "eigenCam");
  const c = await cam(net, x, {
    method: "eigenCam",
    normalize: false,
    relu: false,
    options: { center: true },
  });
  close(c.raw, A0.map((v) => Math.sqrt(5) * (v - 0.4375)), "eigenCam centred");
  x.dispose();
  model.dispose();
});

// The GAP net on the identity image: A_0 = [[2,1,0],[1,2,1],[0,1,2]], A_1 = I₃,
// z = mean(A)·W = [10/9 + 6/9, −10/9 + 3/9] = [16/9, −7/9], top-1 = class 0.
const GAP_A0 = [2, 1, 0, 1, 2, 1, 0, 1, 2];
const GAP_A1 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

Deno.test("GAP net: Grad-CAM, HiResCAM, XGrad-CAM and LayerCAM all equal CAM/9 = (A_0 + 2A_1)/9", async () => {
  const model = gapNet();
  const net = wrapModel(model);
  const x = gapImage();
  const expected = GAP_A0.map((a, i) => (a + 2 * GAP_A1[i]!) / 9);
  for (const method of ["gradCam", "hiResCam", "xGradCam", "layerCam"] as const) {
    const m = await cam(net, x, { method, normalize: false });
    close(m.raw, expected, method);
    assert.deepEqual(Array.from(m.classes), [0]);
    close(m.scores, [16 / 9], `${method} score`);
  }
  // Grad-CAM++ with constant g: w_k = 9g/(2 + ΣA_k g): w_0 = 1/(2 + 10/9) = 9/28,
  // w_1 = 2/(2 + 6/9) = 3/4.
  const pp = await cam(net, x, { method: "gradCamPlusPlus", normalize: false });
  close(pp.raw, GAP_A0.map((a, i) => (9 / 28) * a + 0.75 * GAP_A1[i]!), "gradCamPlusPlus");
  x.dispose();
  model.dispose();
});

Deno.test("GAP net, class 1: Grad-CAM (−A_0 + A_1)/9 is negative; ReLU zeroes it; LayerCAM keeps A_1/9", async () => {
  const model = gapNet();
  const net = wrapModel(model);
  const x = gapImage();
  const target = { kind: "class", index: 1 } as const;
  const raw = await cam(net, x, { target, relu: false, normalize: false });
  close(raw.raw, GAP_A0.map((a, i) => (-a + GAP_A1[i]!) / 9), "gradCam without ReLU");
  const relu = await cam(net, x, { target });
  close(relu.raw, new Array(9).fill(0), "gradCam raw");
  close(relu.values, new Array(16).fill(0), "constant map normalises to zeros, not NaN");
  const layer = await cam(net, x, { target, method: "layerCam", normalize: false });
  close(layer.raw, GAP_A1.map((a) => a / 9), "layerCam");
  close(layer.scores, [-7 / 9], "score");
  x.dispose();
  model.dispose();
});

Deno.test("fuseLayerCams: element-wise max of per-image normalised maps", () => {
  const result = (values: number[], layer: string, shape: [number, number, number]) => ({
    method: "layerCam",
    layer,
    values: Float32Array.from(values),
    shape,
    raw: Float32Array.from(values),
    rawShape: shape,
    classes: new Int32Array(shape[0]),
    scores: new Float32Array(shape[0]),
    extras: {},
  });
  // Image 0: [0, 2, 4, 4] → [0, .5, 1, 1] and [1, 0, 0, 0]; image 1: constant → 0, and [0, 3, 3, 6].
  const a = result([0, 2, 4, 4, 5, 5, 5, 5], "shallow", [2, 2, 2]);
  const b = result([1, 0, 0, 0, 0, 3, 3, 6], "deep", [2, 2, 2]);
  const f = fuseLayerCams([a, b]);
  close(f.values, [1, 0.5, 1, 1, 0, 0.5, 0.5, 1], "fused");
  assert.equal(f.layer, "shallow+deep");
  assert.deepEqual(f.shape, [2, 2, 2]);
  assert.throws(() => fuseLayerCams([]), RangeError);
  assert.throws(
    () => fuseLayerCams([a, result([0, 1, 2, 3], "other", [1, 2, 2])]),
    (e: Error) => e instanceof RangeError && /other/.test(e.message),
  );
  const otherClass = { ...b, classes: Int32Array.of(1, 0) };
  assert.throws(() => fuseLayerCams([a, otherClass]), RangeError);
});
