import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { createAdam } from "../../engine/featureviz/adam.ts";

await useBackend("wasm", { quiet: true });

// The fused WASM step must give exactly what tf.train.adam gives: same f32
// operations in the same order. 4099 values: the vector loop and its
// scalar tail both run.
Deno.test("fused Adam on WASM equals tf.train.adam bit for bit, over several steps", async () => {
  const shape = [4099];
  const start = tf.randomNormal(shape, 0, 1, "float32", 1);
  const ours = tf.variable(start.clone()), theirs = tf.variable(start.clone());
  const adam = createAdam(ours, 0.05);
  assert.equal(adam.fused, true);
  const reference = tf.train.adam(0.05);
  const before = tf.memory().numTensors;
  for (let step = 0; step < 6; step++) {
    // Gradients over many magnitudes, some exactly 0.
    const g = tf.tidy(() =>
      tf.mul(
        tf.randomNormal(shape, 0, 1, "float32", 10 + step),
        tf.pow(10, tf.randomUniform(shape, -6, 3, "float32", 20 + step)),
      )
    );
    const zeroed = tf.tidy(() =>
      tf.mul(g, tf.step(tf.randomUniform(shape, -0.1, 1, "float32", 30)))
    );
    adam.step(zeroed);
    reference.applyGradients([{ name: theirs.name, tensor: zeroed }]);
    tf.dispose([g, zeroed]);
    const [a, b] = [await ours.data(), await theirs.data()];
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i], b[i], `step ${step}, entry ${i}: ${a[i]} vs ${b[i]}`);
    }
  }
  // Six steps leave no tensor behind beyond the reference optimiser's own moments.
  assert.equal(tf.memory().numTensors, before + 2);
  adam.dispose();
  reference.dispose();
  tf.dispose([start, ours, theirs]);
});

Deno.test("Adam: a gradient of the wrong shape or a bad learning rate is a RangeError", () => {
  const x = tf.variable(tf.zeros([3, 2]));
  assert.throws(() => createAdam(x, 0), /learningRate must be a positive finite number, got 0/);
  assert.throws(() => createAdam(x, Number.NaN), /got NaN/);
  const adam = createAdam(x, 0.1);
  const g = tf.zeros([6]);
  assert.throws(() => adam.step(g), /gradient must be float32 \[3,2\], got float32 \[6\]/);
  tf.dispose([g, x]);
  adam.dispose();
});
