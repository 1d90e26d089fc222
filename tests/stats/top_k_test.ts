import assert from "node:assert/strict";
import { createRng } from "../../engine/random.ts";
import { createTopK, mergeTopK, pushTopK, topKOf } from "../../engine/stats/top_k.ts";

/** Values with many ties (rounded), as units × items. */
function data(units: number, items: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from(
    { length: units },
    () => Array.from({ length: items }, () => Math.round(rng.normal() * 4) / 4),
  );
}

/** The reference: a full stable sort by value descending (ties: smaller id first). */
function fullSort(values: number[], k: number): number[] {
  return values.map((v, id) => ({ v, id })).sort((a, b) => b.v - a.v || a.id - b.id)
    .slice(0, k).map((e) => e.id);
}

Deno.test("streaming top-k equals a full sort, for every batch size and merge order", () => {
  const units = 5;
  const items = 53;
  const k = 9;
  const values = data(units, items, 11);
  for (const batch of [1, 4, 10, 53]) {
    // Map each batch to a partial, then merge (left fold and reversed fold).
    const parts = [];
    for (let start = 0; start < items; start += batch) {
      const t = createTopK(units, k);
      for (let id = start; id < Math.min(start + batch, items); id++) {
        for (let u = 0; u < units; u++) pushTopK(t, u, values[u]![id]!, id, id * 10 + u);
      }
      parts.push(t);
    }
    const forward = parts.reduce((a, b) => mergeTopK(a, b));
    const backward = parts.slice().reverse().reduce((a, b) => mergeTopK(a, b));
    for (let u = 0; u < units; u++) {
      const expected = fullSort(values[u]!, k);
      for (const merged of [forward, backward]) {
        const got = topKOf(merged, u);
        assert.deepEqual([...got.ids], expected, `batch ${batch}, unit ${u}`);
        assert.deepEqual([...got.values], expected.map((id) => values[u]![id]!));
        assert.deepEqual([...got.tags], expected.map((id) => id * 10 + u));
      }
    }
  }
});

Deno.test("top-k keeps fewer entries than k when fewer items came, and k = 0 keeps none", () => {
  const t = createTopK(2, 4);
  pushTopK(t, 0, 1, 0);
  pushTopK(t, 0, 3, 1);
  assert.deepEqual([...topKOf(t, 0).ids], [1, 0]);
  assert.equal(topKOf(t, 1).ids.length, 0);
  const z = createTopK(1, 0);
  pushTopK(z, 0, 1, 0);
  assert.equal(topKOf(z, 0).ids.length, 0);
});

Deno.test("top-k errors: bad sizes, non-finite values, mismatched merges, unit out of range", () => {
  assert.throws(() => createTopK(-1, 2), RangeError);
  assert.throws(() => createTopK(1, 1.5), /k is 1.5/);
  assert.throws(() => pushTopK(createTopK(1, 1), 0, NaN, 3), /NaN of item 3/);
  assert.throws(() => mergeTopK(createTopK(1, 2), createTopK(1, 3)), RangeError);
  assert.throws(() => topKOf(createTopK(2, 1), 2), /Unit 2 is outside 0..1/);
});
