import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  fashionMnist,
  mnist,
  MNIST_CLASSES,
} from "../../engine/data/mnist.ts";

function checkRange(images: Float32Array): void {
  let min = Infinity, max = -Infinity;
  for (const v of images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.ok(min >= 0 && max <= 1, `values in [${min}, ${max}]`);
  assert.equal(min, 0);
  assert.equal(max, 1);
}

Deno.test("mnist: the 10,000 test images", async () => {
  const set = await mnist({ split: "test" });
  assert.equal(set.name, "mnist/test");
  assert.deepEqual(set.shape, [10_000, 28, 28, 1]);
  assert.equal(set.images.length, 10_000 * 28 * 28);
  assert.equal(set.labels.length, 10_000);
  assert.deepEqual(set.classNames, [...MNIST_CLASSES]);
  checkRange(set.images);
  const counts = new Array(10).fill(0);
  for (const l of set.labels) counts[l]++;
  // Known class counts of the MNIST test split.
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  // The first test digit is a 7.
  assert.equal(set.labels[0], 7);
});

Deno.test("mnist: offset and limit slice the cached split", async () => {
  const all = await mnist({ split: "test" });
  const part = await mnist({ split: "test", offset: 100, limit: 5 });
  assert.deepEqual(part.shape, [5, 28, 28, 1]);
  assert.deepEqual([...part.labels], [...all.labels.subarray(100, 105)]);
  assert.deepEqual(part.images, all.images.slice(100 * 784, 105 * 784));
  // A limit beyond the end returns what is left.
  const tail = await mnist({ split: "test", offset: 9_998, limit: 50 });
  assert.equal(tail.shape[0], 2);
  await assert.rejects(() => mnist({ offset: 10_000 }), RangeError);
  await assert.rejects(() => mnist({ limit: 0 }), /limit must be a positive integer/);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => mnist({ split: "validation" as any }), TypeError);
});

Deno.test("mnist: the training split", async () => {
  const set = await mnist({ split: "train", limit: 1000, offset: 59_000 });
  assert.equal(set.name, "mnist/train");
  assert.deepEqual(set.shape, [1000, 28, 28, 1]);
  checkRange(set.images);
  assert.ok(set.labels.every((l) => l >= 0 && l <= 9));
});

Deno.test("fashionMnist: loads when the Debian package is installed, else says how", async () => {
  if (existsSync(`${FASHION_MNIST_DIR}t10k-images-idx3-ubyte.gz`)) {
    const set = await fashionMnist({ split: "test" });
    assert.equal(set.name, "fashion-mnist/test");
    assert.deepEqual(set.shape, [10_000, 28, 28, 1]);
    assert.deepEqual(set.classNames, [...FASHION_MNIST_CLASSES]);
    checkRange(set.images);
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(1000));
  } else {
    await assert.rejects(() => fashionMnist(), /apt-get install dataset-fashion-mnist/);
  }
  // A folder without the files always gives the installation advice.
  await assert.rejects(
    () => fashionMnist({ dir: "/nonexistent/fashion" }),
    (e: Error) =>
      e.message.includes("/nonexistent/fashion/t10k-images-idx3-ubyte.gz") &&
      e.message.includes("apt-get install dataset-fashion-mnist") && e.message.includes("{ dir }"),
  );
});
