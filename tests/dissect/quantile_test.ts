import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { createRng } from "../../engine/random.ts";
import {
  emptySketch,
  exactQuantiles,
  mergeSketches,
  sketchBatch,
  sketchQuantiles,
} from "../../engine/stats/quantile.ts";

await useBackend("wasm", { quiet: true });

/** Units with different distributions: ReLU'd normal (many zeros), uniform, shifted/scaled, heavy tail, constant. */
function column(k: number, n: number, seed: number): Float32Array {
  const rng = createRng(seed * 31 + k);
  return Float32Array.from({ length: n }, () => {
    switch (k) {
      case 0:
        return Math.max(0, rng.normal());
      case 1:
        return rng.next();
      case 2:
        return 1000 + 0.01 * rng.normal();
      case 3:
        return Math.exp(3 * rng.normal());
      default:
        return 2.5;
    }
  });
}

Deno.test("sketch quantiles are within one bin width of the full sort, over merged batches", async () => {
  const before = tf.memory().numTensors;
  const units = 5, batches = 4, per = 3000;
  const cols = Array.from({ length: units }, () => [] as number[]);
  let sketch = emptySketch(units, { bins: 256 });
  for (let b = 0; b < batches; b++) {
    const data = new Float32Array(per * units);
    for (let k = 0; k < units; k++) {
      const c = column(k, per, b);
      c.forEach((v, i) => (data[i * units + k] = v));
      cols[k]!.push(...c);
    }
    const x = tf.tensor2d(data, [per, units]);
    sketch = mergeSketches(sketch, await sketchBatch(x, { bins: 256 }));
    x.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  assert.equal(sketch.count, batches * per);
  for (const q of [0, 0.5, 0.9, 0.995, 1]) {
    const { values, binWidth } = sketchQuantiles(sketch, q);
    for (let k = 0; k < units; k++) {
      const sorted = Float64Array.from(cols[k]!).sort();
      const r = q * (sorted.length - 1);
      const lo = sorted[Math.floor(r)]!, hi = sorted[Math.ceil(r)]!;
      const w = binWidth[k]!;
      const slack = w * 1e-3 + 1e-9 * Math.abs(lo);
      assert.ok(
        values[k]! >= lo - w - slack && values[k]! <= hi + w + slack,
        `unit ${k} q=${q}: ${values[k]} not within ${w} of [${lo}, ${hi}]`,
      );
      const exact = exactQuantiles([cols[k]!], q)[0]!;
      assert.ok(exact >= lo && exact <= hi);
      // The stated bound: w < 2·range/(B − 2).
      const range = sorted.at(-1)! - sorted[0]!;
      assert.ok(w <= (2 * range) / 254 + 1e-12, `unit ${k}: bin width ${w} above bound`);
    }
  }
  // A constant unit's quantile is exact.
  assert.equal(sketchQuantiles(sketch, 0.995).values[4], 2.5);
});

Deno.test("merging is order-independent and equals one big batch", async () => {
  const data = Float32Array.from(column(0, 4000, 7));
  const whole = tf.tensor2d(data, [4000, 1]);
  const a = tf.tensor2d(data.subarray(0, 1000), [1000, 1]);
  const b = tf.tensor2d(data.subarray(1000), [3000, 1]);
  const sw = await sketchBatch(whole, { bins: 64 });
  const sa = await sketchBatch(a, { bins: 64 }), sb = await sketchBatch(b, { bins: 64 });
  tf.dispose([whole, a, b]);
  const ab = mergeSketches(sa, sb), ba = mergeSketches(sb, sa);
  assert.deepEqual(ab.counts, ba.counts);
  assert.deepEqual(ab.counts, sw.counts);
  assert.equal(sketchQuantiles(ab, 0.9).values[0], sketchQuantiles(sw, 0.9).values[0]);
});

Deno.test("exact quantiles follow numpy's linear definition; bad inputs throw", () => {
  assert.deepEqual(
    Array.from(exactQuantiles([Float32Array.from([4, 1, 3, 2])], 0.995)),
    [3 + 0.985 * (4 - 3)],
  );
  assert.throws(() => exactQuantiles([[1]], 1.5), RangeError);
  assert.throws(() => sketchQuantiles(emptySketch(1), 0.5), /empty/);
  assert.throws(() => mergeSketches(emptySketch(1), emptySketch(2)), RangeError);
});

Deno.test("a batch of any rank counts every value once per unit, in the unit's own bins; NaN and ∞ throw", async () => {
  const n = 4 * 5 * 6, units = 5;
  const cols = Array.from({ length: units }, (_, k) => column(k, n, 8));
  const flat = new Float32Array(n * units);
  for (let i = 0; i < n; i++) for (let k = 0; k < units; k++) flat[i * units + k] = cols[k]![i]!;
  const x4 = tf.tensor4d(flat, [4, 5, 6, units]);
  const x2 = tf.tensor2d(flat, [n, units]);
  const before = tf.memory().numTensors;
  const s4 = await sketchBatch(x4, { bins: 128 });
  const s2 = await sketchBatch(x2, { bins: 128 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(s4, s2);
  for (let k = 0; k < units; k++) {
    const row = s4.counts.subarray(k * 128, (k + 1) * 128);
    assert.equal(row.reduce((a, b) => a + b, 0), n, `unit ${k} counts`);
    assert.equal(s4.min[k], Math.min(...cols[k]!));
    assert.equal(s4.max[k], Math.max(...cols[k]!));
    // Bucketing in JS: bin j of unit k holds [(o + j)·w, (o + j + 1)·w).
    const w = 2 ** s4.exponent[k]!;
    const want = new Float64Array(128);
    for (const v of cols[k]!) want[Math.floor(v / w) - s4.offset[k]!]!++;
    if (k !== 4) assert.deepEqual(Array.from(row), Array.from(want), `unit ${k} bins`);
  }
  tf.dispose([x4, x2]);
  for (const bad of [NaN, Infinity, -Infinity]) {
    const t = tf.tensor2d([1, 2, bad, 4, 5, 6], [3, 2]);
    await assert.rejects(() => sketchBatch(t), RangeError, `value ${bad}`);
    t.dispose();
  }
});
