import assert from "node:assert/strict";
import { batches, permutation, subset } from "../../engine/data/batching.ts";
import { scenes } from "../../engine/data/scenes.ts";
import type { ImageSet } from "../../engine/data/types.ts";

/** N images of 2×2×1 whose pixels all equal the image index. */
function toy(n: number): ImageSet {
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, 4 * i, 4 * i + 4);
  return {
    name: "toy",
    images,
    shape: [n, 2, 2, 1],
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    classNames: ["a", "b", "c"],
  };
}

Deno.test("batches: every index once per epoch, contents match the indices", () => {
  const set = toy(23);
  for (const shuffle of [false, true]) {
    const seen: number[] = [];
    for (const b of batches(set, { batchSize: 5, shuffle, seed: 1 })) {
      assert.equal(b.indices.length, b.shape[0]);
      assert.equal(b.images.length, b.shape[0] * 4);
      b.indices.forEach((i, k) => {
        assert.equal(b.images[4 * k], i);
        assert.equal(b.labels[k], i % 3);
      });
      seen.push(...b.indices);
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [...Array(23).keys()]);
    if (!shuffle) assert.deepEqual(seen, [...Array(23).keys()]);
  }
});

Deno.test("batches: deterministic under a seed, different across seeds", () => {
  const set = toy(40);
  const order = (seed: number) =>
    [...batches(set, { batchSize: 8, shuffle: true, seed })].flatMap((b) => [...b.indices]);
  assert.deepEqual(order(3), order(3));
  assert.notDeepEqual(order(3), order(4));
  assert.deepEqual(order(3), [...permutation(40, 3)]);
});

Deno.test("batches: no copy without shuffling; dropLast; bad batch size", () => {
  const set = toy(10);
  const first = batches(set, { batchSize: 4 }).next().value!;
  assert.equal(first.images.buffer, set.images.buffer);
  const sizes = [...batches(set, { batchSize: 4, dropLast: true })].map((b) => b.shape[0]);
  assert.deepEqual(sizes, [4, 4]);
  assert.throws(
    () => batches(set, { batchSize: 0 }).next(),
    /batchSize must be a positive integer/,
  );
});

Deno.test("batches and subset carry scene label maps", () => {
  const set = scenes({ count: 6, size: 16, seed: 2 });
  const px = 16 * 16;
  for (const b of batches(set, { batchSize: 4, shuffle: true, seed: 9 })) {
    assert.ok(b.labelMaps !== undefined);
    b.indices.forEach((i, k) => {
      assert.deepEqual(
        b.labelMaps!.color!.subarray(k * px, (k + 1) * px),
        set.labelMaps.color.subarray(i * px, (i + 1) * px),
      );
    });
  }
  const s = subset(set, [5, 1]);
  assert.deepEqual(s.shape, [2, 16, 16, 3]);
  assert.deepEqual(s.images.subarray(0, px * 3), set.images.subarray(5 * px * 3, 6 * px * 3));
  assert.deepEqual(s.labelMaps.shape.subarray(px), set.labelMaps.shape.subarray(px, 2 * px));
  assert.deepEqual(s.objectMask.subarray(0, px), set.objectMask.subarray(5 * px, 6 * px));
  assert.deepEqual(s.scenes, [set.scenes[5], set.scenes[1]]);
  assert.deepEqual([...s.labels], [set.labels[5], set.labels[1]]);
  assert.throws(() => subset(set, [6]), /subset index 6 \(at position 0\) is outside \[0, 6\)/);
});
