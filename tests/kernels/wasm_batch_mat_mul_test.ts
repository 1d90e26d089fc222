import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [5, 3], b: [5, 4], ta: true, tb: false },
  { a: [5, 3], b: [4, 5], ta: true, tb: true },
  { a: [2, 6, 3], b: [2, 6, 7], ta: true, tb: false },
  { a: [3, 5], b: [5, 4], ta: false, tb: false },
  { a: [3, 5], b: [4, 5], ta: false, tb: true },
  { a: [2, 6, 3], b: [2, 7, 3], ta: false, tb: true },
  // Broadcast batch: one B for both A matrices.
  { a: [2, 3, 6], b: [1, 4, 6], ta: false, tb: true },
];

function products(): tf.Tensor[] {
  return CASES.map(({ a, b, ta, tb }, i) =>
    tf.tidy(() =>
      tf.matMul(
        tf.randomUniform(a, -1, 1, "float32", 30 + i),
        tf.randomUniform(b, -1, 1, "float32", 40 + i),
        ta,
        tb,
      )
    )
  );
}

Deno.test("matMul with transposeA/transposeB on WASM (transposed first) equals the CPU backend", async () => {
  await useBackend("cpu", { quiet: true });
  const reference = products();
  const expected = await Promise.all(reference.map((t) => t.data()));
  tf.dispose(reference);
  await useBackend("wasm", { quiet: true });
  const before = tf.memory().numTensors;
  const got = products();
  for (let i = 0; i < CASES.length; i++) {
    const values = await got[i]!.data();
    values.forEach((v, j) =>
      assert.ok(
        Math.abs(v - expected[i]![j]!) <= 1e-5,
        `case ${i} [${j}]: ${v} vs ${expected[i]![j]}`,
      )
    );
  }
  tf.dispose(got);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("the dense layer's input gradient dy·Wᵀ on WASM leaks no buffers", async () => {
  const dy = tf.ones([2, 3]);
  const w = tf.tensor2d([[1, 2, 3], [4, 5, 6]]); // [2, 3]: dx = dy·Wᵀ = [[6, 15], [6, 15]]
  try {
    const buffers = tf.backend().numDataIds();
    const dx = tf.matMul(dy, w, false, true);
    assert.deepEqual(Array.from(await dx.data()), [6, 15, 6, 15]);
    dx.dispose();
    assert.equal(tf.backend().numDataIds(), buffers);
  } finally {
    tf.dispose([dy, w]);
  }
});
