import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";

const CASES: {
  shape: [number, number, number, number];
  size: number;
  stride: number;
  pad: "valid" | "same";
  /** Round x to halves, so that windows hold exact ties (the first maximum must win). */
  ties?: boolean;
}[] = [
  { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: "valid" },
  // The 2×2 fast path: odd sizes leave a last row and column no window reads.
  { shape: [2, 7, 9, 3], size: 2, stride: 2, pad: "valid", ties: true },
  { shape: [1, 6, 6, 5], size: 2, stride: 2, pad: "valid", ties: true },
  // 2×2 'same' on an odd size pads the bottom/right: the general path.
  { shape: [1, 7, 7, 2], size: 2, stride: 2, pad: "same", ties: true },
  { shape: [1, 7, 9, 2], size: 3, stride: 1, pad: "same" },
  { shape: [2, 9, 9, 4], size: 3, stride: 2, pad: "valid" },
];

function gradients(): tf.Tensor[] {
  return CASES.map(({ shape, size, stride, pad, ties }, i) =>
    tf.tidy(() => {
      // Values in [-2, 1]: many windows are entirely negative.
      const u = tf.randomUniform(shape, -2, 1, "float32", 10 + i);
      const x = ties ? tf.div(tf.round(tf.mul(u, 2)), 2) : u;
      return tf.grad((x: tf.Tensor) =>
        tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, size, stride, pad)))
      )(x);
    })
  );
}

Deno.test("MaxPoolGrad on WASM equals the CPU backend, also for all-negative windows", async () => {
  await useBackend("cpu", { quiet: true });
  const reference = gradients();
  const expected = await Promise.all(reference.map((g) => g.data()));
  tf.dispose(reference);
  await useBackend("wasm", { quiet: true });
  const before = tf.memory().numTensors;
  const got = gradients();
  for (let i = 0; i < CASES.length; i++) {
    const values = await got[i]!.data();
    for (let j = 0; j < values.length; j++) {
      assert.ok(
        Math.abs(values[j]! - expected[i]![j]!) <= 1e-5,
        `case ${i}, element ${j}: wasm ${values[j]} vs cpu ${expected[i]![j]}`,
      );
    }
  }
  tf.dispose(got);
  assert.equal(tf.memory().numTensors, before);
});
