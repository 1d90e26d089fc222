import assert from "node:assert/strict";
import { spearman, ssim } from "../../engine/evaluate/similarity.ts";
import { createRng } from "../../engine/random.ts";
import { close } from "./_models.ts";

Deno.test("Spearman = 1 − 6Σd²/(n(n²−1)) without ties", () => {
  const rng = createRng(11);
  const a = Array.from({ length: 40 }, () => rng.next());
  const b = a.map((v) => v + 0.5 * rng.normal());
  const rank = (v: number[]) => {
    const sorted = [...v].sort((p, q) => p - q);
    return v.map((x) => sorted.indexOf(x) + 1);
  };
  const ra = rank(a), rb = rank(b);
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]!) ** 2, 0);
  const n = a.length;
  close([spearman(a, b)], [1 - (6 * d2) / (n * (n * n - 1))], "spearman", 1e-12);
  assert.equal(spearman(a, a.map((v) => v ** 3)), 1); // monotone: ranks equal
  assert.equal(spearman(a, a.map((v) => -v)), -1);
});

Deno.test("Spearman with ties uses average ranks", () => {
  // ranks of [1, 2, 2, 3] are 1, 2.5, 2.5, 4; Pearson with 1..4 = 4.5 / √(4.5 · 5)
  close([spearman([1, 2, 2, 3], [1, 2, 3, 4])], [4.5 / Math.sqrt(4.5 * 5)], "ties", 1e-12);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), 0); // nothing to rank
});

Deno.test("SSIM: identical maps → 1, also after a positive affine change (min–max)", () => {
  const rng = createRng(3);
  const values = Array.from({ length: 20 * 16 }, () => rng.next());
  const a = { values, shape: [20, 16] as const };
  close([ssim(a, a)], [1], "identical", 1e-12);
  close([ssim(a, { values: values.map((v) => 3 * v + 2), shape: [20, 16] })], [1], "affine", 1e-9);
});

Deno.test("SSIM of an 11×11 dot and its negative, worked by hand", () => {
  // One window position. With g the normalised Gaussian (σ = 1.5) and g_c its
  // centre weight: μ_a = g_c, σ_a² = g_c(1 − g_c) = σ_b², σ_ab = −σ_a², μ_b = 1 − g_c.
  const values = new Array(121).fill(0);
  values[60] = 1;
  const a = { values, shape: [11, 11] as const };
  const b = { values: values.map((v) => 1 - v), shape: [11, 11] as const };
  const s1 = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5].reduce(
    (s, i) => s + Math.exp(-(i * i) / 4.5),
    0,
  );
  const gc = 1 / (s1 * s1); // ≈ 0.070762
  const v = gc * (1 - gc);
  const c1 = 1e-4, c2 = 9e-4;
  const expected = ((2 * gc * (1 - gc) + c1) * (-2 * v + c2)) /
    ((gc * gc + (1 - gc) ** 2 + c1) * (2 * v + c2));
  close([ssim(a, b)], [expected], "negative", 1e-9);
  close([ssim(a, b)], [-0.14946], "≈", 1e-3);
});

Deno.test("SSIM and Spearman reject bad input", () => {
  assert.throws(() => spearman([1, 2], [1, 2, 3]), RangeError);
  assert.throws(() => spearman([1, NaN], [1, 2]), TypeError);
  assert.throws(
    () => ssim({ values: [1, 2, 3, 4], shape: [2, 2] }, { values: [1, 2, 3], shape: [1, 3] }),
    RangeError,
  );
  assert.throws(
    () => ssim({ values: [1, 2, 3], shape: [2, 2] }, { values: [1, 2, 3], shape: [2, 2] }),
    RangeError,
  );
  assert.throws(
    () =>
      ssim({ values: [1, 2, 3, 4], shape: [2, 2] }, { values: [1, 2, 3, 4], shape: [2, 2] }, {
        window: 4,
      }),
    RangeError,
  );
});
