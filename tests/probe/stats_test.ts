import assert from "node:assert/strict";
import { pearson, ranks, spearman } from "../../engine/stats/rank.ts";
import { clusterOrder } from "../../engine/stats/cluster.ts";

Deno.test("ranks: ties share their mean rank", () => {
  assert.deepEqual([...ranks([5, 1, 5, 3, 5])], [4, 1, 4, 2, 4]);
  assert.deepEqual([...ranks([])], []);
});

Deno.test("spearman: hand-worked values", () => {
  // No ties: d = ranks differences (0, 0, -1, 1, 0) → 1 − 6·2/(5·24) = 0.9.
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [10, 20, 40, 30, 50]) - 0.9) < 1e-12);
  assert.equal(spearman([1, 2, 3], [9, 4, 1]), -1);
  // Monotone but non-linear is still 1.
  assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  // With ties: ranks a = (1.5, 1.5, 3, 4), b = (1, 2, 3, 4); Pearson of the ranks.
  const ra = [1.5, 1.5, 3, 4];
  const rb = [1, 2, 3, 4];
  const ma = 2.5;
  const cov = ra.reduce((s, v, i) => s + (v - ma) * (rb[i]! - 2.5), 0);
  const va = ra.reduce((s, v) => s + (v - ma) ** 2, 0);
  const vb = rb.reduce((s, v) => s + (v - 2.5) ** 2, 0);
  const expected = cov / Math.sqrt(va * vb); // = 4.5 / √(4.5 · 5) ≈ 0.9487
  assert.ok(Math.abs(spearman([7, 7, 8, 9], [1, 2, 3, 4]) - expected) < 1e-12);
  assert.ok(Math.abs(expected - 0.9486832980505138) < 1e-12);
});

Deno.test("pearson/spearman: bad inputs raise clear errors", () => {
  assert.throws(() => spearman([1, 2], [1, 2, 3]), /2 and 3 values/);
  assert.throws(() => pearson([1], [2]), /at least 2 values/);
  assert.throws(() => spearman([1, 1, 1], [1, 2, 3]), /first sample is constant/);
  assert.throws(() => spearman([1, NaN], [1, 2]), TypeError);
});

Deno.test("clusterOrder: two perfectly correlated groups sit together", () => {
  // Items 0, 2, 4 form one group and 1, 3 another (|r| = 1 inside a group,
  // 0.1 across), interleaved on purpose.
  const group = [0, 1, 0, 1, 0];
  const n = 5;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : group[i] === group[j] ? 0 : 0.9;
  }
  const order = clusterOrder(d, n);
  assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
  const labels = order.map((i) => group[i]);
  // One switch between the groups: [a, a, a, b, b] or [b, b, a, a, a].
  const switches = labels.slice(1).filter((g, i) => g !== labels[i]).length;
  assert.equal(switches, 1);
  assert.deepEqual(order, [0, 2, 4, 1, 3]);
});

Deno.test("clusterOrder: average linkage merges by mean distance; bad sizes throw", () => {
  // 0–1 close (1), 2 at 4 from 0 and 6 from 1 (mean 5), 3 at 4.5 from both
  // (mean 4.5): after {0,1}, item 3 joins before 2.
  const d = Float64Array.from([
    0,
    1,
    4,
    4.5,
    1,
    0,
    6,
    4.5,
    4,
    6,
    0,
    20,
    4.5,
    4.5,
    20,
    0,
  ]);
  assert.deepEqual(clusterOrder(d, 4), [0, 1, 3, 2]);
  assert.deepEqual(clusterOrder(new Float64Array(0), 0), []);
  assert.throws(() => clusterOrder(new Float64Array(3), 2), /n×n with n = 2/);
});
