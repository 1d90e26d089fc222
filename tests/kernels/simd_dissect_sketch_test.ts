import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { simdBucket, simdMinMax } from "../../engine/kernels/_simd_dissect_sketch.ts";
import { wasmHeap } from "../../engine/kernels/_simd_runtime.ts";
import { createRng } from "../../engine/random.ts";
import { type QuantileSketch, sketchBatch } from "../../engine/stats/quantile.ts";

await useBackend("wasm", { quiet: true });

const f = Math.fround;

/** ReLU-like values (many exact zeros), a unit far from 0, a negative unit: [rows, K] as plain data. */
function values(rows: number, k: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * k }, (_, i) => {
    const u = i % k;
    if (u === 1) return 1000 + rng.next(); // grid offset far from 0
    if (u === 2) return -3 * rng.next();
    if (u === 3) return 0.5; // all equal
    return Math.max(0, rng.normal());
  });
}

Deno.test("SIMD min/max and bucketing equal plain-JS references", () => {
  const heap = wasmHeap(tf.backend())!;
  for (const [rows, k] of [[37, 4], [100, 8], [50, 64]] as const) {
    const data = values(rows, k, k);
    const x = tf.tensor2d(data, [rows, k]);
    const before = tf.memory().numTensors;
    const lohi = simdMinMax(heap, x);
    for (let u = 0; u < k; u++) {
      const col = data.filter((_, i) => i % k === u);
      assert.equal(lohi[u], Math.min(...col), `min of unit ${u}`);
      assert.equal(lohi[k + u], Math.max(...col), `max of unit ${u}`);
    }
    const bins = 16;
    const scale = Float32Array.from({ length: k }, (_, u) => 2 ** -(u % 5));
    const shift = Float32Array.from({ length: k }, (_, u) => -Math.floor(lohi[u]! * scale[u]!));
    const counts = simdBucket(heap, x, { scale, shift, bins });
    const want = new Int32Array(k * bins);
    for (let i = 0; i < data.length; i++) {
      const u = i % k;
      const j = Math.floor(f(f(data[i]! * scale[u]!) + shift[u]!));
      want[u * bins + Math.min(bins - 1, Math.max(0, j))]!++;
    }
    assert.deepEqual(counts, want, `rows ${rows}, K ${k}`);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  }
});

Deno.test("SIMD sketch kernels reject a K that is not a multiple of 4 or a non-float dtype", () => {
  const heap = wasmHeap(tf.backend())!;
  const x = tf.zeros([2, 3]), y = tf.zeros([2, 4], "int32");
  assert.throws(() => simdMinMax(heap, x), /multiple of 4, got float32 \[2,3\]/);
  assert.throws(() => simdMinMax(heap, y), /got int32/);
  tf.dispose([x, y]);
});

async function sketches(data: Float32Array, shape: number[], simd: boolean) {
  const x = tf.tensor(data, shape);
  try {
    return await sketchBatch(x, { bins: 64, simd });
  } finally {
    x.dispose();
  }
}

const plain = (s: QuantileSketch) => ({
  ...s,
  exponent: Array.from(s.exponent),
  offset: Array.from(s.offset),
  counts: Array.from(s.counts),
  min: Array.from(s.min),
  max: Array.from(s.max),
});

Deno.test("sketchBatch: the SIMD path equals the tf-op path on WASM and the CPU backend", async () => {
  const cases = [[[2, 5, 7, 8], 1], [[3, 4, 4, 64], 2], [[41, 12], 3]] as const;
  for (const [shape, seed] of cases) {
    const k = shape.at(-1)!;
    const data = values(shape.reduce((a: number, b: number) => a * b, 1) / k, k, seed);
    const before = tf.memory().numTensors;
    const simd = plain(await sketches(data, [...shape], true));
    const viaTf = plain(await sketches(data, [...shape], false));
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(simd, viaTf, `shape [${shape}]`);
    await useBackend("cpu", { quiet: true });
    const cpu = plain(await sketches(data, [...shape], true));
    await useBackend("wasm", { quiet: true });
    assert.deepEqual(simd, cpu, `shape [${shape}]`);
  }
});

Deno.test("sketchBatch on the SIMD path: NaN and ±∞ are RangeErrors", async () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const data = new Float32Array(16).fill(1);
    data[6] = bad;
    const x = tf.tensor2d(data, [4, 4]);
    await assert.rejects(() => sketchBatch(x), RangeError, `value ${bad}`);
    x.dispose();
  }
});
