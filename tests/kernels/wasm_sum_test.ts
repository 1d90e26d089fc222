/** The WASM `Sum` fast path (all axes but the last) against hand sums and the stock paths. */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { registerWasmSum } from "../../engine/kernels/wasm_sum.ts";

await useBackend("wasm", { quiet: true });

/** x[a, b, c] = 100·a + 10·b + c for a < 2, b < 3, c < 4. */
function digits(): tf.Tensor3D {
  const values: number[] = [];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) values.push(100 * a + 10 * b + c);
  }
  return tf.tensor3d(values, [2, 3, 4]);
}

Deno.test("Sum over all axes but the last equals the hand-worked column sums", async () => {
  registerWasmSum(); // idempotent: useBackend already registered it
  const x = digits();
  try {
    // Σ_a Σ_b (100a + 10b + c) = 3·100 + 2·(0+10+20) + 6c = 360 + 6c.
    const expected = [360, 366, 372, 378];
    for (const axis of [[0, 1], [1, 0], [-3, -2]]) {
      const s = tf.sum(x, axis);
      assert.deepEqual(s.shape, [4]);
      assert.deepEqual(Array.from(await s.data()), expected, `axis ${axis}`);
      s.dispose();
    }
    const kept = tf.sum(x, [0, 1], true);
    assert.deepEqual(kept.shape, [1, 1, 4]);
    assert.deepEqual(Array.from(await kept.data()), expected);
    kept.dispose();
    // One channel (c = 0): a plain total, 360 + 6·0.
    const one = tf.tidy(() => tf.sum(tf.slice(x, [0, 0, 0], [2, 3, 1]), [0, 1]));
    assert.deepEqual(Array.from(await one.data()), [360]);
    tf.dispose(one);
  } finally {
    x.dispose();
  }
});

Deno.test("other reductions and int32 still go to the stock WASM Sum", async () => {
  const x = digits();
  const xi = tf.cast(x, "int32");
  try {
    const inner = tf.sum(x, 2); // Σ_c = 4·(100a + 10b) + 6
    assert.deepEqual(Array.from(await inner.data()), [6, 46, 86, 406, 446, 486]);
    const middle = tf.sum(x, [0, 2]); // Σ_a Σ_c = 400 + 80b + 12
    assert.deepEqual(Array.from(await middle.data()), [412, 492, 572]);
    const all = tf.sum(x);
    assert.equal((await all.data())[0], 1476); // 360 + 366 + 372 + 378
    const ints = tf.sum(xi, [0, 1]);
    assert.equal(ints.dtype, "int32");
    assert.deepEqual(Array.from(await ints.data()), [360, 366, 372, 378]);
    tf.dispose([inner, middle, all, ints]);
  } finally {
    tf.dispose([x, xi]);
  }
});

Deno.test("the bias gradient of a conv layer on WASM matches the CPU backend, without leaks", async () => {
  const run = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([3, 5, 5, 2], 0, 1, "float32", 7) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 2, 6], 0, 1, "float32", 8) as tf.Tensor4D;
      const b = tf.randomNormal([6], 0, 1, "float32", 9);
      return tf.grad((bias: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.conv2d({ x, filter: w, bias, strides: 1, pad: "same" })))
      )(b);
    });
  await useBackend("cpu", { quiet: true });
  const ref = run();
  const expected = await ref.data();
  ref.dispose();
  await useBackend("wasm", { quiet: true });
  const before = tf.memory().numTensors;
  const got = run();
  const values = await got.data();
  got.dispose();
  assert.equal(tf.memory().numTensors, before);
  for (let i = 0; i < 6; i++) {
    assert.ok(
      Math.abs(values[i]! - expected[i]!) <= 1e-4 * (1 + Math.abs(expected[i]!)),
      `channel ${i}: wasm ${values[i]} vs cpu ${expected[i]}`,
    );
  }
});
