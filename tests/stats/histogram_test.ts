import assert from "node:assert/strict";
import { createRng } from "../../engine/random.ts";
import {
  addValue,
  addValues,
  createHistogram,
  type Histogram,
  histogramEdges,
  histogramQuantile,
  mergeHistograms,
} from "../../engine/stats/histogram.ts";

const plain = (h: Histogram) => ({ ...h, counts: [...h.counts], sum: Math.round(h.sum * 1e9) });

Deno.test("hand-worked doubling: bins merge pairwise, the first bin holds the minimum", () => {
  const h = createHistogram({ bins: 4, baseWidth: 1 });
  addValues(h, [0.5, 1.5, 2.5, 3.5]); // bins [0,1) [1,2) [2,3) [3,4) at width 1
  assert.deepEqual([...h.counts], [1, 1, 1, 1]);
  assert.equal(h.width, 1);
  addValue(h, 4.5); // 0..4 spans 5 bins of width 1 → width 2: [0,2) [2,4) [4,6)
  assert.equal(h.width, 2);
  assert.equal(h.lo, 0);
  assert.deepEqual([...h.counts], [2, 2, 1, 0]);
  addValue(h, -3); // −3..4.5 at width 2: bins −2..2 (5) → width 4: [−4,0) [0,4) [4,8)
  assert.equal(h.width, 4);
  assert.equal(h.lo, -1);
  assert.deepEqual([...h.counts], [1, 4, 1, 0]);
  assert.deepEqual([...histogramEdges(h)], [-4, 0, 4, 8, 12]);
  assert.equal(h.count, 6);
  assert.equal(h.min, -3);
  assert.equal(h.max, 4.5);
});

Deno.test("histograms are identical whatever the order of values and of merges; counts = N", () => {
  const rng = createRng(5);
  const values = Array.from(
    { length: 400 },
    (_, i) => i % 7 === 0 ? 0 : Math.exp(rng.normal() * 2) - 1,
  );
  const whole = createHistogram({ bins: 16 });
  addValues(whole, values);
  assert.equal(whole.count, values.length);
  assert.equal(whole.counts.reduce((s, c) => s + c, 0), values.length);
  for (const seed of [1, 2, 3]) {
    const shuffled = createRng(seed).shuffle(values.slice());
    const one = createHistogram({ bins: 16 });
    addValues(one, shuffled);
    assert.deepEqual(plain(one), plain(whole));
    // Partial histograms of uneven chunks, merged in a random order.
    const parts: Histogram[] = [];
    for (let start = 0; start < shuffled.length; start += 37 * seed) {
      const p = createHistogram({ bins: 16 });
      addValues(p, shuffled.slice(start, start + 37 * seed));
      parts.push(p);
    }
    createRng(seed + 10).shuffle(parts);
    const merged = parts.reduce((a, b) => mergeHistograms(a, b), createHistogram({ bins: 16 }));
    assert.deepEqual(plain(merged), plain(whole));
  }
});

Deno.test("quantiles are within one bin width of the exact ones", () => {
  const rng = createRng(9);
  const values = Array.from({ length: 1000 }, () => rng.normal() * 3);
  const h = createHistogram({ bins: 32 });
  addValues(h, values);
  const sorted = values.slice().sort((a, b) => a - b);
  for (const q of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
    const exact =
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
    assert.ok(Math.abs(histogramQuantile(h, q) - exact) <= h.width, `q ${q}`);
  }
});

Deno.test("histogram errors: bad options, non-finite values, mismatched merges, empty quantile", () => {
  assert.throws(() => createHistogram({ bins: 3 }), /bins is 3/);
  assert.throws(() => createHistogram({ baseWidth: 0.3 }), /power of two/);
  assert.throws(() => addValue(createHistogram(), Infinity), TypeError);
  assert.throws(
    () => mergeHistograms(createHistogram({ bins: 4 }), createHistogram({ bins: 8 })),
    RangeError,
  );
  assert.throws(() => histogramQuantile(createHistogram(), 0.5), /empty/);
  const h = createHistogram();
  addValue(h, 1);
  assert.throws(() => histogramQuantile(h, 1.5), /outside \[0, 1\]/);
});
