import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { bilinearAxis, type ResizeAxis, simdOnPixels } from "../../engine/kernels/_simd_dissect.ts";
import { wasmHeap } from "../../engine/kernels/_simd_runtime.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

// [N, h, w, K] → [H, W]: same size, ×2, ×8, non-integer ratios, a partial second word (K = 36).
const CASES: { shape: [number, number, number, number]; out: [number, number] }[] = [
  { shape: [2, 6, 6, 4], out: [6, 6] },
  { shape: [2, 4, 4, 8], out: [8, 8] },
  { shape: [1, 2, 3, 4], out: [16, 24] },
  { shape: [1, 3, 3, 36], out: [8, 8] },
  { shape: [2, 5, 7, 64], out: [7, 9] },
];

const f = Math.fround;

/** The kernel's records, by a plain per-pixel loop in float32 arithmetic. */
function reference(
  a: Float32Array,
  t: Float32Array,
  shape: number[],
  y: ResizeAxis,
  x: ResizeAxis,
) {
  const [n, h, w, k] = shape as [number, number, number, number];
  const d = a.map((v, i) => f(v - t[i % k]!));
  const words = Math.ceil(k / 32);
  const out: number[] = [];
  const at = (i: number, r: number, c: number, u: number) => d[((i * h + r) * w + c) * k + u]!;
  for (let i = 0, px = 0; i < n; i++) {
    for (let oy = 0; oy < y.lo.length; oy++) {
      for (let ox = 0; ox < x.lo.length; ox++, px++) {
        const bits = new Array<number>(words).fill(0);
        for (let u = 0; u < k; u++) {
          const [ya, yb, xa, xb] = [y.lo[oy]!, y.hi[oy]!, x.lo[ox]!, x.hi[ox]!];
          const ah = x.alpha[ox]!, av = y.alpha[oy]!;
          const lerp = (a: number, b: number, t: number) => f(a + f(f(b - a) * t));
          const top = lerp(at(i, ya, xa, u), at(i, ya, xb, u), ah);
          const bottom = lerp(at(i, yb, xa, u), at(i, yb, xb, u), ah);
          if (lerp(top, bottom, av) > 0) bits[u >> 5]! |= 1 << (u & 31);
        }
        if (bits.some((b) => b !== 0)) out.push(px, ...bits);
      }
    }
  }
  return Int32Array.from(out);
}

/** The same from tf.image.resizeBilinear and a per-value test, packed the same way. */
async function fromResize(d: tf.Tensor4D, out: [number, number]) {
  const k = d.shape[3];
  const words = Math.ceil(k / 32);
  const up = tf.image.resizeBilinear(d, out, false, true);
  const v = await up.data();
  up.dispose();
  const records: number[] = [];
  for (let px = 0; px < v.length / k; px++) {
    const bits = new Array<number>(words).fill(0);
    for (let u = 0; u < k; u++) if (v[px * k + u]! > 0) bits[u >> 5]! |= 1 << (u & 31);
    if (bits.some((b) => b !== 0)) records.push(px, ...bits);
  }
  return Int32Array.from(records);
}

Deno.test("SIMD on-pixels equal a plain-JS float32 reference and resizeBilinear, bit for bit", async () => {
  const heap = wasmHeap(tf.backend())!;
  assert.ok(heap, "the wasm backend exposes its heap");
  // Warm the axis cache first (it keeps no tensors), then count tensors.
  for (const { shape, out } of CASES) {
    await bilinearAxis(shape[1], out[0], "y");
    await bilinearAxis(shape[2], out[1], "x");
  }
  const before = tf.memory().numTensors;
  let listed = 0;
  for (const [c, { shape, out }] of CASES.entries()) {
    const y = await bilinearAxis(shape[1], out[0], "y");
    const x = await bilinearAxis(shape[2], out[1], "x");
    // ReLU-like activations, most exactly 0; thresholds: 0 for some units (A − T = 0 is
    // not on), small, or large; level −1: every unit on everywhere, 9: none.
    const rng = createRng(c);
    for (const level of [0.3, -1, 9]) {
      const a = tf.tidy(() =>
        tf.relu(tf.add(tf.randomUniform(shape, -1, 1, "float32", 30 + c), -0.6))
      ) as tf.Tensor4D;
      const t = Float32Array.from(
        { length: shape[3] },
        (_, u) => level === 0.3 ? [0, 0.05, 0.3][u % 3]! * rng.next() : level,
      );
      const on = simdOnPixels(heap, { activations: a, thresholds: t, y, x });
      const want = reference((await a.data()) as Float32Array, t, shape, y, x);
      assert.equal(on.words, Math.ceil(shape[3] / 32));
      assert.deepEqual(on.records, want, `case ${c}, level ${level}`);
      const centred = tf.tidy(() => tf.sub(a, tf.tensor1d(t))) as tf.Tensor4D;
      assert.deepEqual(on.records, await fromResize(centred, out), `case ${c}, level ${level}`);
      assert.equal(on.count * (1 + on.words), on.records.length);
      if (level === 9) assert.equal(on.count, 0, "nothing on above every value");
      if (level === -1) assert.equal(on.count, shape[0] * out[0] * out[1]);
      if (level === -1) assert.ok(on.records.every((v, i) => i % (1 + on.words) === 0 || v !== 0));
      if (level === 0.3) listed += on.count;
      tf.dispose([a, centred]);
    }
  }
  assert.ok(listed > 0);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("SIMD on-pixels: K not a multiple of 4, or thresholds not K, is a RangeError", async () => {
  const heap = wasmHeap(tf.backend())!;
  const d = tf.zeros([1, 2, 2, 3]);
  const axis = await bilinearAxis(2, 2, "x");
  const input = { activations: d, thresholds: [0, 0, 0], y: axis, x: axis };
  assert.throws(() => simdOnPixels(heap, input), /\[1,2,2,3\]/);
  const four = tf.zeros([1, 2, 2, 4]);
  assert.throws(
    () => simdOnPixels(heap, { ...input, activations: four }),
    /3 thresholds for K = 4/,
  );
  tf.dispose([d, four]);
});

Deno.test("bilinear axes: edges clamp to one source, a ×2 resize has weights 1/4 and 3/4", async () => {
  const a = await bilinearAxis(2, 4, "x");
  assert.deepEqual(Array.from(a.lo), [0, 0, 0, 1]);
  assert.deepEqual(Array.from(a.hi), [0, 1, 1, 1]);
  assert.deepEqual(Array.from(a.alpha), [0, 0.25, 0.75, 0]);
  assert.deepEqual(await bilinearAxis(2, 4, "y"), a);
});

Deno.test("no heap on a non-wasm backend: callers take the tf-op path", async () => {
  await useBackend("cpu", { quiet: true });
  assert.equal(wasmHeap(tf.backend()), null);
  await useBackend("wasm", { quiet: true });
});
