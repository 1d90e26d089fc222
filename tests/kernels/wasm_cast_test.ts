/** The WASM `Cast` wrapper: a same-dtype cast shares the buffer; other casts convert as before. */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";

await useBackend("wasm", { quiet: true });

Deno.test("a float32→float32 cast shares the buffer and outlives its input", async () => {
  const buffers = tf.backend().numDataIds();
  const x = tf.tensor1d([1.5, -2.25, 3]);
  const y = tf.cast(x, "float32");
  // No new buffer: the cast holds a reference to x's.
  assert.equal(tf.backend().numDataIds(), buffers + 1);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1.5, -2.25, 3]);
  y.dispose();
  assert.equal(tf.backend().numDataIds(), buffers);
});

Deno.test("casts between dtypes still convert", async () => {
  const x = tf.tensor1d([1.7, -2.5, 0]);
  const i = tf.cast(x, "int32");
  const f = tf.cast(i, "float32");
  try {
    assert.equal(i.dtype, "int32");
    assert.deepEqual(Array.from(await i.data()), [1, -2, 0]);
    assert.equal(f.dtype, "float32");
    assert.deepEqual(Array.from(await f.data()), [1, -2, 0]);
  } finally {
    tf.dispose([x, i, f]);
  }
});
