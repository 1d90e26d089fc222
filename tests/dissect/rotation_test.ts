import assert from "node:assert/strict";
import {
  determinant,
  matMul,
  randomRotation,
  rotationPower,
  transpose,
} from "../../engine/dissect/rotation.ts";

function maxDiff(a: Float64Array, b: Float64Array): number {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}
function eye(k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) out[i * k + i] = 1;
  return out;
}

Deno.test("SO(K) samples are orthogonal with det +1, for several K and seeds", () => {
  for (const k of [1, 2, 3, 7, 16, 64]) {
    for (const seed of [0, 1, 2]) {
      const q = randomRotation(k, { seed });
      assert.ok(maxDiff(matMul(transpose(q, k), q, k), eye(k)) < 1e-12, `K=${k} seed=${seed}`);
      assert.ok(Math.abs(determinant(q, k) - 1) < 1e-9, `det K=${k} seed=${seed}`);
    }
  }
  // Deterministic per seed, different across seeds.
  assert.deepEqual(randomRotation(5, { seed: 4 }), randomRotation(5, { seed: 4 }));
  assert.notDeepEqual(randomRotation(5, { seed: 4 }), randomRotation(5, { seed: 5 }));
});

Deno.test("uniformity: the mean of Q's entries is ≈ 0 and E[Q_11²] ≈ 1/K", () => {
  const k = 4, n = 2000;
  let mean = 0, sq = 0;
  for (let s = 0; s < n; s++) {
    const q = randomRotation(k, { seed: s });
    mean += q[0]!;
    sq += q[0]! ** 2;
  }
  assert.ok(Math.abs(mean / n) < 0.05, `mean ${mean / n}`);
  assert.ok(Math.abs(sq / n - 1 / k) < 0.03, `second moment ${sq / n}`);
});

Deno.test("partial rotations: Q^0 = I, Q^1 = Q, (Q^½)² = Q, Q^α ∈ SO(K)", () => {
  for (const k of [2, 3, 8, 32]) {
    const q = randomRotation(k, { seed: k });
    assert.ok(maxDiff(rotationPower(q, 0), eye(k)) < 1e-9, `Q^0 K=${k}`);
    assert.ok(maxDiff(rotationPower(q, 1), q) < 1e-9, `Q^1 K=${k}`);
    const h = rotationPower(q, 0.5);
    assert.ok(maxDiff(matMul(h, h, k), q) < 1e-9, `(Q^½)² K=${k}`);
    const p = rotationPower(q, 0.3);
    assert.ok(maxDiff(matMul(transpose(p, k), p, k), eye(k)) < 1e-9);
    assert.ok(Math.abs(determinant(p, k) - 1) < 1e-9);
    // Q^0.3 · Q^0.7 = Q.
    assert.ok(maxDiff(matMul(p, rotationPower(q, 0.7), k), q) < 1e-9);
  }
  // A rotation by π in a plane (eigenvalue −1 twice) has a square root too.
  const flip = Float64Array.from([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
  const r = rotationPower(flip, 0.5);
  assert.ok(maxDiff(matMul(r, r, 3), flip) < 1e-12);
  assert.throws(() => rotationPower(Float64Array.from([2, 0, 0, 1]), 0.5), /not orthogonal/);
});
