import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";

const CASES: {
  shape: [number, number, number, number];
  size: number;
  stride: number;
  pad: "valid" | "same";
}[] = [
  { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: "valid" },
  { shape: [1, 7, 9, 2], size: 3, stride: 1, pad: "same" },
  { shape: [2, 9, 9, 4], size: 3, stride: 2, pad: "valid" },
];

function gradients(): tf.Tensor[] {
  return CASES.map(({ shape, size, stride, pad }, i) =>
    tf.tidy(() => {
      // Values in [-2, 1]: many windows are entirely negative.
      const x = tf.randomUniform(shape, -2, 1, "float32", 10 + i);
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
