/**
 * NeuronIM's similarities against hand-computed values: SSIM of identical
 * maps, of a map and its negative (uniform and Gaussian windows), Pearson,
 * cosine, grey levels, and errors.
 */
import assert from "node:assert/strict";
import { cosine, greyLevel, mapSimilarity } from "../../engine/neurons/similarity.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`);

/** 3×3, columns 0, 0.5, 1 (already min–max normalised). */
const X = [0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1];
const map = (values: number[]) => ({ values, shape: [3, 3] as [number, number] });
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

Deno.test("SSIM: identical maps → 1, whatever the window", () => {
  close(mapSimilarity(map(X), map(X)), 1, 1e-12);
  const big = Array.from({ length: 144 }, (_, i) => Math.sin(i) ** 2);
  const m = { values: big, shape: [12, 12] as [number, number] };
  close(mapSimilarity(m, m), 1, 1e-12);
});

Deno.test("SSIM: a map and 1 − map, uniform 3×3 window, by hand", () => {
  // σ = 1e6 makes the window uniform (weights 1/9 up to 1e-12). One window fits.
  // μx = μy = 0.5; σx² = σy² = (0 + 0.25 + 1)/3 − 0.25 = 1/6; σxy = −1/6.
  // SSIM = (2·0.25 + C1)(−2/6 + C2) / ((0.25 + 0.25 + C1)(2/6 + C2))
  //      = (−1/3 + 0.0009) / (1/3 + 0.0009) = −0.3324333 / 0.3342333 = −0.994615
  const negative = X.map((v) => 1 - v);
  const s = mapSimilarity(map(X), map(negative), { window: 3, sigma: 1e6 });
  close(s, ((0.5 + C1) * (-1 / 3 + C2)) / ((0.5 + C1) * (1 / 3 + C2)), 1e-9);
  close(s, -0.994615, 1e-6);
});

Deno.test("SSIM: a map and 1 − map, default Gaussian window (11 → 3 on a 3×3 map), by hand", () => {
  // The 11-wide window shrinks to 3; 1-D weights [a, 1, a]/(1 + 2a), a = exp(−1/(2·1.5²)).
  // X varies along columns only: μx = (0.5 + a)/(1 + 2a) = 0.5 = μy, and
  // σx² = (0.25 + a)/(1 + 2a) − 0.25 = 0.5a/(1 + 2a) =: v = σy², σxy = −v.
  // SSIM = (C2 − 2v)/(C2 + 2v); a = 0.800737, v = 0.153901 → −0.994169.
  const a = Math.exp(-1 / (2 * 1.5 ** 2));
  const v = (0.5 * a) / (1 + 2 * a);
  const s = mapSimilarity(map(X), map(X.map((x) => 1 - x)));
  close(s, (C2 - 2 * v) / (C2 + 2 * v), 1e-9);
  close(s, -0.994169, 1e-6);
});

Deno.test("SSIM: a map and −map with dataRange 2, no normalisation, by hand", () => {
  // y = −x: μy = −0.5, σy² = 1/6, σxy = −1/6, uniform window; L = 2 → C1 = 4e-4, C2 = 3.6e-3.
  // SSIM = (2·0.5·(−0.5) + C1)(−2/6 + C2) / ((0.25 + 0.25 + C1)(2/6 + C2))
  //      = (−0.4996)(−0.3297333) / ((0.5004)(0.3369333)) = 0.977066
  const c1 = 4e-4;
  const c2 = 3.6e-3;
  const s = mapSimilarity(map(X), map(X.map((x) => -x)), {
    window: 3,
    sigma: 1e6,
    dataRange: 2,
    normalize: false,
  });
  close(s, ((-0.5 + c1) * (-1 / 3 + c2)) / ((0.5 + c1) * (1 / 3 + c2)), 1e-9);
  close(s, 0.977066, 1e-6);
});

Deno.test("Pearson and cosine, by hand", () => {
  const a = { values: [1, 2, 3, 4], shape: [2, 2] as [number, number] };
  const b = { values: [2, 4, 5, 9], shape: [2, 2] as [number, number] };
  // Deviations (−1.5, −0.5, 0.5, 1.5) and (−3, −1, 0, 4): r = 11 / √(5 · 26) = 0.964764.
  close(mapSimilarity(a, b, { measure: "pearson" }), 11 / Math.sqrt(130), 1e-12);
  close(mapSimilarity(a, b, { measure: "pearson", normalize: false }), 0.964764, 1e-6);
  // Normalised: (0, 1/3, 2/3, 1) and (0, 2/7, 3/7, 1):
  // cos = (2/21 + 6/21 + 1) / (√(14/9) · √(62/49)) = 0.984324.
  close(
    mapSimilarity(a, b, { measure: "cosine" }),
    (29 / 21) / (Math.sqrt(14 / 9) * Math.sqrt(62 / 49)),
    1e-12,
  );
  close(mapSimilarity(a, b, { measure: "cosine" }), 0.984324, 1e-6);
  // Raw: 61 / (√30 · √126) = 0.992165.
  close(mapSimilarity(a, b, { measure: "cosine", normalize: false }), 0.992165, 1e-6);
  close(cosine([3, 4], [4, 3]), 24 / 25, 1e-12);
});

Deno.test("maps without variation: Pearson and cosine say 0, never NaN", () => {
  const flat = { values: [0.3, 0.3, 0.3, 0.3], shape: [2, 2] as [number, number] };
  const a = { values: [1, 2, 3, 4], shape: [2, 2] as [number, number] };
  assert.equal(mapSimilarity(flat, a, { measure: "pearson" }), 0);
  assert.equal(mapSimilarity(flat, a, { measure: "cosine" }), 0);
  assert.equal(cosine([0, 0], [1, 2]), 0);
  assert.ok(Number.isFinite(mapSimilarity(flat, a)));
});

Deno.test("greyLevel: channel mean, then min–max", () => {
  // Pixels (0, 0, 0), (0.3, 0.3, 0.6) → 0.4, (1, 0.2, 0) → 0.4, (0.9, 0.6, 0.3) → 0.6.
  const g = greyLevel([0, 0, 0, 0.3, 0.3, 0.6, 1, 0.2, 0, 0.9, 0.6, 0.3], [2, 2, 3]);
  const expected = [0, 0.4 / 0.6, 0.4 / 0.6, 1];
  g.forEach((v, i) => close(v, expected[i]!, 1e-6));
  assert.deepEqual([...greyLevel([0.5, 0.5], [1, 2, 1])], [0, 0]);
});

Deno.test("errors name the bad value", () => {
  const a = { values: [1, 2, 3, 4], shape: [2, 2] as [number, number] };
  assert.throws(
    () => mapSimilarity(a, { values: [1, 2, 3], shape: [1, 3] }, { measure: "cosine" }),
    (e: Error) => e instanceof RangeError && /\[2, 2\] and \[1, 3\]/.test(e.message),
  );
  assert.throws(
    () => mapSimilarity(a, { values: [1, NaN, 3, 4], shape: [2, 2] }, { measure: "pearson" }),
    (e: Error) => e instanceof TypeError && /NaN at index 1/.test(e.message),
  );
  assert.throws(
    () => mapSimilarity(a, a, { measure: "emd" as "ssim" }),
    (e: Error) => e instanceof RangeError && /"emd".*ssim, pearson, cosine/.test(e.message),
  );
  assert.throws(
    () => greyLevel([1, 2, 3], [2, 2, 1]),
    (e: Error) => e instanceof RangeError && /3 values.*needs 4/.test(e.message),
  );
});
