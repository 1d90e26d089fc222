/**
 * Eigen-CAM's Lanczos solver on activations chosen exactly: a 1×1 identity
 * conv makes A the image itself, so sparse, dense, rank-deficient, wide
 * (K > h·w) and all-zero activations can be checked against a float64
 * reference (power iteration run to convergence on the formed Gram matrix).
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { cam } from "../../engine/cam/cam.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

/** A = the input: a 1×1 conv with identity weights, then a dense head. */
function identityNet(h: number, w: number, k: number) {
  const eye = new Float32Array(k * k);
  for (let i = 0; i < k; i++) eye[i * k + i] = 1;
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [h, w, k],
        filters: k,
        kernelSize: 1,
        useBias: false,
        name: "conv",
        weights: [tf.tensor4d(eye, [1, 1, k, k])],
      }),
      tfl.layers.flatten({}),
      tfl.layers.dense({ units: 2, kernelInitializer: "ones" }),
    ],
  });
}

/** A·v₁ in float64 with the sign rule of eigen_cam.ts, v₁ by 20 000 power steps. */
function reference(a: Float32Array, p: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < p; r++) {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) g[i * k + j]! += a[r * k + i]! * a[r * k + j]!;
    }
  }
  let v = Float64Array.from({ length: k }, (_, i) => 1 + i / 7);
  for (let it = 0; it < 20000; it++) {
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) next[i]! += g[i * k + j]! * v[j]!;
    const len = Math.hypot(...next);
    if (len === 0) return new Float64Array(p);
    v = next.map((x) => x / len);
  }
  const map = Float64Array.from(
    { length: p },
    (_, r) => v.reduce((s, x, c) => s + x * a[r * k + c]!, 0),
  );
  const mean = Float64Array.from(
    { length: p },
    (_, r) => a.subarray(r * k, (r + 1) * k).reduce((s, x) => s + x, 0) / k,
  );
  const mm = map.reduce((s, x) => s + x, 0) / p;
  const ma = mean.reduce((s, x) => s + x, 0) / p;
  let corr = 0;
  for (let r = 0; r < p; r++) corr += (map[r]! - mm) * (mean[r]! - ma);
  return corr < 0 ? map.map((x) => -x) : map;
}

Deno.test("Eigen-CAM (Lanczos) matches a converged float64 power iteration on chosen activations", async () => {
  const rng = createRng(21);
  const cases: { name: string; h: number; w: number; k: number; value: () => number }[] = [
    // ReLU-like: 70 % zeros, like mnist-cnn's last conv layer.
    { name: "sparse", h: 5, w: 6, k: 24, value: () => rng.next() < 0.7 ? 0 : rng.next() },
    { name: "dense signed", h: 4, w: 4, k: 10, value: () => rng.normal() },
    // K > h·w: rank ≤ 6, the Krylov space becomes invariant early.
    { name: "wide", h: 2, w: 3, k: 20, value: () => rng.next() },
    { name: "zero", h: 3, w: 3, k: 5, value: () => 0 },
  ];
  for (const { name, h, w, k, value } of cases) {
    const model = identityNet(h, w, k);
    const pixels = Float32Array.from({ length: 2 * h * w * k }, value);
    const x = tf.tensor4d(pixels, [2, h, w, k]);
    const before = tf.memory().numTensors;
    const m = await cam(wrapModel(model), x, {
      method: "eigenCam",
      normalize: false,
      relu: false,
      target: { kind: "class", index: 0 },
    });
    assert.equal(tf.memory().numTensors, before, `${name}: no leaks`);
    const p = h * w;
    for (let n = 0; n < 2; n++) {
      const want = reference(pixels.subarray(n * p * k, (n + 1) * p * k), p, k);
      const got = m.raw.subarray(n * p, (n + 1) * p);
      const scale = Math.max(1e-30, ...want.map(Math.abs));
      for (let r = 0; r < p; r++) {
        assert.ok(
          Math.abs(got[r]! - want[r]!) <= 1e-5 * scale,
          `${name} image ${n} position ${r}: ${got[r]} vs ${want[r]}`,
        );
      }
      if (name === "zero") assert.ok(got.every((v) => v === 0), "all-zero activations → zero map");
    }
    x.dispose();
    model.dispose();
  }
});
