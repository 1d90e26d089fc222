import assert from "node:assert/strict";
import { createRng, subSeed } from "../../engine/random.ts";

Deno.test("createRng: same seed gives the same stream, another seed another", () => {
  const draw = (seed: number) => {
    const r = createRng(seed);
    return Array.from({ length: 20 }, () => r.next());
  };
  assert.deepEqual(draw(1), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
  assert.notDeepEqual(draw(0), draw(2 ** 32)); // seeds beyond 32 bits stay distinct
  assert.notDeepEqual(draw(0.5), draw(0));
});

Deno.test("createRng: next in [0, 1) with mean ≈ 1/2, normal ≈ N(0, 1)", () => {
  const r = createRng(3);
  const n = 100_000;
  let sum = 0, sumN = 0, sumN2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const z = r.normal();
    sumN += z;
    sumN2 += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(Math.abs(sumN / n) < 0.02);
  assert.ok(Math.abs(sumN2 / n - 1) < 0.03);
});

Deno.test("createRng: int covers [0, n) uniformly and rejects bad n", () => {
  const r = createRng(4);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `count ${c}`);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => r.int(2.5), /positive integer/);
  assert.throws(() => createRng(NaN), /finite/);
});

Deno.test("createRng: shuffle is a deterministic permutation", () => {
  const a = createRng(5).shuffle([...Array(50).keys()]);
  const b = createRng(5).shuffle([...Array(50).keys()]);
  assert.deepEqual(a, b);
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(50).keys()]);
  assert.notDeepEqual(a, [...Array(50).keys()]);
});

Deno.test("subSeed: distinct across indices and seeds", () => {
  const seen = new Set<number>();
  for (let s = 0; s < 10; s++) for (let i = 0; i < 1000; i++) seen.add(subSeed(s, i));
  assert.equal(seen.size, 10_000);
});

Deno.test("createRng: the stream is pinned (sfc32 checked against an independent implementation)", () => {
  // Every seeded data set and model in the project depends on this stream: a
  // change here must be deliberate. Values from a Python sfc32 with the same seeding.
  const r = createRng(42);
  assert.deepEqual(
    [r.uint32(), r.uint32(), r.uint32(), r.uint32()],
    [2906410145, 3034646602, 3228488495, 42130297],
  );
});
