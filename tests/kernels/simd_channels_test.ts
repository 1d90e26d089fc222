/** The SIMD per-channel kernels (bias add, column sums) against plain-JS references. */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

function values(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

Deno.test("a per-channel Add equals x + bias exactly, in either operand order", async () => {
  // 4, 16 and 20 channels: one vector per step, four per step, and 20 = 5 single vectors.
  for (const [rows, channels] of [[1, 4], [37, 16], [9, 20], [300, 48]] as const) {
    const xv = values(rows * channels, rows + channels);
    const bv = values(channels, 3 * channels);
    const x = tf.tensor2d(xv, [rows, channels]);
    const b = tf.tensor1d(bv);
    const before = tf.memory().numTensors;
    const ab = tf.add(x, b);
    const ba = tf.add(b, tf.reshape(x, [1, rows, 1, channels]));
    const expected = xv.map((v, i) => Math.fround(v + bv[i % channels]!));
    assert.deepEqual(await ab.data(), expected, `${rows}×${channels}`);
    assert.deepEqual(await ba.data(), expected, `${rows}×${channels} reversed`);
    assert.deepEqual(ba.shape, [1, rows, 1, channels]);
    tf.dispose([ab, ba]);
    // The reshape inside tf.add(b, reshape) is the one extra tensor left by the call.
    assert.ok(tf.memory().numTensors <= before + 1);
    tf.dispose([x, b]);
  }
});

Deno.test("other Adds go to the stock kernel: 3 channels, int32, same shapes, broadcasting rows", async () => {
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b3 = tf.tensor1d([10, 20, 30]);
  const s3 = tf.add(x, b3);
  assert.deepEqual(Array.from(await s3.data()), [11, 22, 33, 14, 25, 36]);
  const xi = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], "int32");
  const bi = tf.tensor1d([1, 1, 1, 1], "int32");
  const si = tf.add(xi, bi);
  assert.equal(si.dtype, "int32");
  assert.deepEqual(Array.from(await si.data()), [2, 3, 4, 5, 6, 7, 8, 9]);
  const same = tf.add(tf.ones([2, 4]), tf.ones([2, 4]));
  assert.deepEqual(Array.from(await same.data()), new Array(8).fill(2));
  const column = tf.add(tf.zeros([2, 4]), tf.tensor2d([1, 2], [2, 1]));
  assert.deepEqual(Array.from(await column.data()), [1, 1, 1, 1, 2, 2, 2, 2]);
  tf.dispose([x, b3, s3, xi, bi, si, same, column]);
});

Deno.test("sums over all axes but the last match double-precision sums across f32 blocks", async () => {
  // Row counts around the 256-row block, and channel counts for each vector width.
  for (const [rows, channels] of [[1, 4], [255, 16], [256, 8], [257, 48], [1000, 20]] as const) {
    const xv = values(rows * channels, 7 * rows + channels);
    const expected = new Float64Array(channels);
    xv.forEach((v, i) => expected[i % channels]! += v);
    const x = tf.tensor3d(xv, [rows, 1, channels]);
    const s = tf.sum(x, [0, 1]);
    const got = await s.data();
    for (let c = 0; c < channels; c++) {
      assert.ok(
        Math.abs(got[c]! - expected[c]!) <= 1e-5 * (1 + Math.abs(expected[c]!)),
        `${rows}×${channels}, channel ${c}: ${got[c]} vs ${expected[c]}`,
      );
    }
    tf.dispose([x, s]);
  }
});
