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
  // Channels a multiple of 4: the SIMD kernel, also with an odd last row and column.
  { shape: [2, 8, 6, 8], size: 2, stride: 2, pad: "valid", ties: true },
  { shape: [2, 7, 9, 4], size: 2, stride: 2, pad: "valid", ties: true },
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

Deno.test("the SIMD 2×2 max-pool gradient skips NaN and gives an all −∞ window nothing, like the CPU backend", async () => {
  // One image, 2×4 pixels, 4 channels: two windows per channel.
  const nan = Number.NaN;
  const inf = Number.POSITIVE_INFINITY;
  const pixels = [
    // window 1 (columns 0–1), window 2 (columns 2–3); rows 0 then 1
    [nan, 1, -inf, 0],
    [2, -inf, -inf, -0],
    [-inf, -inf, 5, 0],
    [-inf, inf, 5, 0],
    [nan, 1, -inf, 0],
    [3, -inf, -inf, 0],
    [-inf, -inf, 1, 0],
    [-inf, inf, 2, 0],
  ];
  const run = async () => {
    const input = tf.tensor4d(pixels.flat(), [1, 2, 4, 4]);
    const output = tf.maxPool(input, 2, 2, "valid");
    const dy = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4]);
    const dx = tf.engine().runKernel("MaxPoolGrad", { dy, input, output }, {
      filterSize: 2,
      strides: 2,
      pad: "valid",
    }) as tf.Tensor;
    const values = Array.from(await dx.data());
    tf.dispose([input, output, dy, dx]);
    return values;
  };
  await useBackend("cpu", { quiet: true });
  const expected = await run();
  await useBackend("wasm", { quiet: true });
  const got = await run();
  assert.deepEqual(got, expected);
  // Hand-worked: channel 0 of window 1 holds NaN, 2, NaN, 3 → the 3 (pixel 5) wins;
  // channel 2 of window 1 is all −∞ → nothing; channel 3's ties (0, −0, 0, 0) → the first.
  assert.equal(got[5 * 4 + 0], 1);
  assert.deepEqual([0, 1, 4, 5].map((p) => got[p * 4 + 2]), [0, 0, 0, 0]);
  assert.equal(got[0 * 4 + 3], 4);
});
