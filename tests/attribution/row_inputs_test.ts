/**
 * The JS-built row inputs of SmoothGrad, IG and Expected Gradients: path
 * points and noisy copies bit-identical to the tensor ops they replace, and
 * SmoothGrad's ziggurat noise seeded, range-exact and standard normal.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { createRng, subSeed } from "../../engine/random.ts";
import { fillNormal, noisyCopy, pathPoint } from "../../engine/attribution/_row_inputs.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

Deno.test("fillNormal: seeded, range-exact, and standard normal (moments, tails, CDF)", () => {
  const a = new Float32Array(12).fill(99);
  const b = new Float32Array(12).fill(99);
  fillNormal(subSeed(7, 123), a, 3, 10);
  fillNormal(subSeed(7, 123), b, 3, 10);
  assert.deepEqual(a, b, "same seed, same numbers");
  assert.ok([0, 1, 2, 10, 11].every((i) => a[i] === 99), "only [from, to) is written");
  fillNormal(subSeed(7, 124), b, 3, 10);
  assert.notDeepEqual(a, b, "another seed, other numbers");
  assert.throws(() => fillNormal(-1, a, 0, 1), RangeError);
  assert.throws(() => fillNormal(2.5, a, 0, 1), RangeError);

  // 2^20 variates from 16 streams: each estimate within 5 standard errors.
  const per = 1 << 16;
  const z = new Float32Array(16 * per);
  for (let j = 0; j < 16; j++) fillNormal(subSeed(1, j), z, j * per, (j + 1) * per);
  const n = z.length;
  let sum = 0;
  let squares = 0;
  let fourth = 0;
  for (const v of z) {
    sum += v;
    squares += v * v;
    fourth += v ** 4;
  }
  const within = (got: number, want: number, se: number, what: string) =>
    assert.ok(Math.abs(got - want) < 5 * se, `${what}: ${got} vs ${want} ± ${se}`);
  within(sum / n, 0, 1 / Math.sqrt(n), "mean");
  within(squares / n, 1, Math.sqrt(2 / n), "variance");
  within(fourth / n, 3, Math.sqrt(96 / n), "fourth moment");
  // Φ at a few points, the tail beyond the ziggurat's base (R ≈ 3.44) included.
  const phi: [number, number][] = [
    [-3.5, 2.326e-4],
    [-2, 0.0227501],
    [-1, 0.1586553],
    [0, 0.5],
    [
      0.5,
      0.6914625,
    ],
    [1.5, 0.9331928],
    [3, 0.9986501],
  ];
  for (const [x, p] of phi) {
    const count = z.reduce((c, v) => c + (v <= x ? 1 : 0), 0);
    within(count / n, p, Math.sqrt(p * (1 - p) / n), `P(z ≤ ${x})`);
  }
});

Deno.test("noisyCopy and pathPoint equal the float32 tensor ops they replace", async () => {
  const before = tf.memory().numTensors;
  const size = 50;
  const rng = createRng(5);
  const pixels = Float32Array.from({ length: 2 * size }, () => rng.next());
  const other = Float32Array.from({ length: 2 * size }, () => rng.next() * 3 - 1);
  const sigma = Math.fround(0.1234567);
  const alpha = 0.3141592;

  const rows = new Float32Array(3 * size);
  noisyCopy(pixels, 1, sigma, 42, rows, 2, size);
  const noise = new Float32Array(size);
  fillNormal(42, noise, 0, size);
  const x1 = pixels.subarray(size);
  const want = tf.tidy(() => tf.add(tf.tensor1d(x1), tf.mul(tf.scalar(sigma), tf.tensor1d(noise))));
  assert.deepEqual(rows.subarray(2 * size), await want.data());
  assert.ok(rows.subarray(0, 2 * size).every((v) => v === 0), "other rows untouched");

  const path = new Float32Array(2 * size);
  const diffs = new Float32Array(2 * size);
  pathPoint(other, size, pixels, 0, alpha, path, 1, size, diffs);
  const [wantPath, wantDiff] = tf.tidy(() => {
    const from = tf.tensor1d(other.subarray(size));
    const diff = tf.sub(tf.tensor1d(pixels.subarray(0, size)), from);
    return [tf.add(from, tf.mul(tf.scalar(alpha), diff)), diff];
  });
  assert.deepEqual(path.subarray(size), await wantPath!.data());
  assert.deepEqual(diffs.subarray(size), await wantDiff!.data());
  tf.dispose([want, wantPath!, wantDiff!]);
  assert.equal(tf.memory().numTensors, before);
});
