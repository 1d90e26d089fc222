import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { colorCorrelationSqrt } from "../../engine/featureviz/color.ts";
import { featureVisualization } from "../../engine/featureviz/feature_viz.ts";
import {
  COLOR_CORRELATION_SVD_SQRT,
  createImageParam,
} from "../../engine/featureviz/parameterization.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

/** Correlated random colours: c = A·z + offset for standard normal z. */
function colours(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const a = [[0.2, 0.05, 0], [0.1, 0.15, 0.02], [0.05, -0.1, 0.08]];
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const z = [rng.normal(), rng.normal(), rng.normal()];
    for (let i = 0; i < 3; i++) {
      out[3 * p + i] = 0.5 + a[i]![0]! * z[0]! + a[i]![1]! * z[1]! + a[i]![2]! * z[2]!;
    }
  }
  return out;
}

Deno.test("colorCorrelationSqrt: M·Mᵀ is the colour covariance, columns by decreasing size", () => {
  const n = 5000;
  const images = colours(n, 3);
  const m = colorCorrelationSqrt({ images, shape: [5, 10, 100, 3] });
  // The covariance, brute force in doubles.
  const mean = [0, 1, 2].map((i) =>
    images.filter((_, k) => k % 3 === i).reduce((s, v) => s + v, 0) / n
  );
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let cov = 0;
      for (let p = 0; p < n; p++) {
        cov += (images[3 * p + i]! - mean[i]!) * (images[3 * p + j]! - mean[j]!);
      }
      cov /= n;
      const mm = m[i]![0]! * m[j]![0]! + m[i]![1]! * m[j]![1]! + m[i]![2]! * m[j]![2]!;
      assert.ok(Math.abs(mm - cov) < 1e-9, `(${i},${j}): ${mm} vs ${cov}`);
    }
  }
  const norms = [0, 1, 2].map((k) => Math.hypot(m[0]![k]!, m[1]![k]!, m[2]![k]!));
  assert.ok(norms[0]! >= norms[1]! && norms[1]! >= norms[2]!, `${norms}`);
  for (let k = 0; k < 3; k++) assert.ok(m[0]![k]! + m[1]![k]! + m[2]![k]! >= 0);
  // Columns orthogonal (eigenvectors scaled).
  const dot = (a: number, b: number) =>
    m[0]![a]! * m[0]![b]! + m[1]![a]! * m[1]![b]! + m[2]![a]! * m[2]![b]!;
  assert.ok(Math.abs(dot(0, 1)) < 1e-9 && Math.abs(dot(0, 2)) < 1e-9 && Math.abs(dot(1, 2)) < 1e-9);
});

Deno.test("colorCorrelationSqrt: one channel, an empty set or NaN is a RangeError", () => {
  assert.throws(
    () => colorCorrelationSqrt({ images: new Float32Array(4), shape: [1, 2, 2, 1] }),
    /need RGB images \(C = 3\), got C = 1/,
  );
  assert.throws(
    () => colorCorrelationSqrt({ images: new Float32Array(0), shape: [0, 2, 2, 3] }),
    /non-empty NHWC image set/,
  );
  const bad = new Float32Array(12).fill(0.5);
  bad[7] = Number.NaN;
  assert.throws(
    () => colorCorrelationSqrt({ images: bad, shape: [1, 2, 2, 3] }),
    /pixel 2 has a value/,
  );
});

Deno.test("decorrelate as a matrix: Lucid's matrix equals `true`; bad matrices are RangeErrors", async () => {
  const a = createImageParam([2, 8, 8, 3], { seeds: [1, 2] });
  const b = createImageParam([2, 8, 8, 3], {
    seeds: [1, 2],
    decorrelate: COLOR_CORRELATION_SVD_SQRT,
  });
  const [x, y] = [await a.render().data(), await b.render().data()];
  assert.deepEqual(x, y);
  a.dispose();
  b.dispose();
  assert.throws(
    () => createImageParam([1, 4, 4, 3], { decorrelate: [[1, 0], [0, 1]] }),
    /decorrelate must be true, false or a 3×3 matrix/,
  );
  assert.throws(
    () => createImageParam([1, 4, 4, 3], { decorrelate: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] }),
    /all zeros/,
  );
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: "conv" }),
    ],
  });
  const before = tf.memory().numTensors;
  await assert.rejects(
    () =>
      featureVisualization(wrapModel(model), "conv", {
        steps: 1,
        decorrelate: [[1, 2, Number.NaN], [0, 1, 0], [0, 0, 1]],
      }),
    /3×3 matrix of finite numbers/,
  );
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
