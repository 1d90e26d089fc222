import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [5, 3], b: [5, 4], ta: true, tb: false },
  { a: [5, 3], b: [4, 5], ta: true, tb: true },
  { a: [2, 6, 3], b: [2, 6, 7], ta: true, tb: false },
  { a: [3, 5], b: [5, 4], ta: false, tb: false },
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

Deno.test("matMul with transposeA on WASM (transposed first) equals the CPU backend", async () => {
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
