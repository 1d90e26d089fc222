import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import {
  createImageParam,
  disposeBasis,
  irfft2d,
  irfft2dBasis,
  irfft2dSplit,
} from "../../engine/featureviz/parameterization.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

/** numpy's irfft2 in float64: Re of the full inverse DFT of the Hermitian completion. */
function directIrfft2(re: number[][], im: number[][], h: number, w: number): number[][] {
  const fw = Math.floor(w / 2) + 1;
  const full = (ky: number, kx: number): [number, number] => {
    if (kx < fw) return [re[ky]![kx]!, im[ky]![kx]!];
    const my = (h - ky) % h, mx = w - kx;
    return [re[my]![mx]!, -im[my]![mx]!];
  };
  const out: number[][] = [];
  for (let y = 0; y < h; y++) {
    const row: number[] = [];
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let ky = 0; ky < h; ky++) {
        for (let kx = 0; kx < w; kx++) {
          const [a, b] = full(ky, kx);
          const phi = 2 * Math.PI * (ky * y / h + kx * x / w);
          s += a * Math.cos(phi) - b * Math.sin(phi);
        }
      }
      row.push(s / (h * w));
    }
    out.push(row);
  }
  return out;
}

for (const [h, w] of [[4, 6], [5, 5], [3, 8]] as const) {
  Deno.test(`irfft2d matches a float64 inverse DFT (${h}×${w}, 2 images)`, async () => {
    const fw = Math.floor(w / 2) + 1, b = 2;
    const rng = createRng(h * 10 + w);
    // spectrum[part][y][img][x]
    const spec = Array.from(
      { length: 2 },
      () =>
        Array.from(
          { length: h },
          () => Array.from({ length: b }, () => Array.from({ length: fw }, () => rng.normal())),
        ),
    );
    const before = tf.memory().numTensors;
    // Into the layout irfft2d takes: [B, C, fw, 2, H].
    const s = tf.tidy(() =>
      tf.transpose(tf.tensor5d(spec.flat(3), [2, h, b, 1, fw]), [2, 3, 4, 0, 1])
    );
    const y = irfft2d(s as tf.Tensor5D, [h, w]);
    assert.deepEqual(y.shape, [b, h, w, 1]);
    const got = await y.data();
    tf.dispose([s, y]);
    assert.equal(tf.memory().numTensors, before);
    for (let i = 0; i < b; i++) {
      const re = spec[0]!.map((row) => row[i]!);
      const im = spec[1]!.map((row) => row[i]!);
      const want = directIrfft2(re, im, h, w);
      for (let yy = 0; yy < h; yy++) {
        for (let xx = 0; xx < w; xx++) {
          const g = got[(i * h + yy) * w + xx]!;
          assert.ok(
            Math.abs(g - want[yy]![xx]!) < 1e-5,
            `img ${i} (${yy},${xx}): ${g} vs ${want[yy]![xx]}`,
          );
        }
      }
    }
  });
}

Deno.test("irfft2d of one cosine coefficient: a hand-worked wave", async () => {
  // X[0,1] = 4 on a 2×4 image: x[y,x] = 2·4·cos(2πx/4)/8 = cos(πx/2) → 1, 0, −1, 0.
  // Layout [B, C, fw, 2, H]: entry (kx·2 + part)·H + ky = (1·2 + 0)·2 + 0 = 4.
  const s = tf.tensor5d([0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0], [1, 1, 3, 2, 2]);
  const y = irfft2d(s, [2, 4]);
  const v = Array.from(await y.data());
  tf.dispose([s, y]);
  const want = [1, 0, -1, 0, 1, 0, -1, 0];
  v.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) < 1e-6, `${i}: ${x}`));
});

Deno.test("irfft2d rejects a spectrum of the wrong size", () => {
  const s = tf.zeros([1, 1, 4, 2, 4]) as tf.Tensor5D;
  assert.throws(
    () => irfft2d(s, [4, 4]),
    (e) => e instanceof RangeError && /\[B, C, 3, 2, 4\]/.test(e.message),
  );
  s.dispose();
});

Deno.test("irfft2d of C channels ([B, C, fw, 2, H]): each channel as if alone", async () => {
  const [h, w, c, b] = [5, 6, 3, 2];
  const fw = 4;
  const s = tf.randomNormal([b, c, fw, 2, h], 0, 1, "float32", 11) as tf.Tensor5D;
  const before = tf.memory().numTensors;
  const all = irfft2d(s, [h, w]);
  assert.deepEqual(all.shape, [b, h, w, c]);
  const got = await all.data();
  for (let ch = 0; ch < c; ch++) {
    const one = tf.tidy(() => irfft2d(tf.slice(s, [0, ch, 0, 0, 0], [b, 1, fw, 2, h]), [h, w]));
    const want = await one.data();
    one.dispose();
    for (let i = 0; i < b * h * w; i++) {
      assert.ok(Math.abs(got[i * c + ch]! - want[i]!) < 1e-5, `channel ${ch}, pixel ${i}`);
    }
  }
  all.dispose();
  assert.equal(tf.memory().numTensors, before);
  s.dispose();
});

Deno.test("colour mixing in the basis equals mixing the pixels afterwards", async () => {
  const [h, w, c, b] = [4, 5, 3, 2];
  const fw = 3;
  const mix = Float32Array.from([0.5, -1, 0.25, 2, 0, 1, -0.5, 0.75, 1.5]);
  const s = tf.randomNormal([b, c, fw, 2, h], 0, 1, "float32", 9) as tf.Tensor5D;
  const basis = irfft2dBasis(h, w, { channels: c, color: mix });
  const mixed = irfft2d(s, [h, w], basis);
  const after = tf.tidy(() =>
    tf.reshape(tf.matMul(tf.reshape(irfft2d(s, [h, w]), [-1, c]), tf.tensor2d(mix, [c, c])), [
      b,
      h,
      w,
      c,
    ])
  );
  const [m, a] = [await mixed.data(), await after.data()];
  m.forEach((v, i) => assert.ok(Math.abs(v - a[i]!) < 1e-5, `${i}: ${v} vs ${a[i]}`));
  assert.throws(() => irfft2dBasis(h, w, { channels: 2, color: mix }), /2×2/);
  tf.dispose([s, mixed, after]);
  disposeBasis(basis);
});

for (const [h, w] of [[4, 6], [5, 5]] as const) {
  // 4×6: 24 pixels, the WASM SIMD colour kernel; 5×5: 25, the tf-op path.
  Deno.test(`colour mixing's gradient equals mixing afterwards (${h}×${w})`, async () => {
    const [c, b, fw] = [3, 2, Math.floor(w / 2) + 1];
    const mix = Float32Array.from([0.5, -1, 0.25, 2, 0, 1, -0.5, 0.75, 1.5]);
    const s = tf.randomNormal([b, c, fw, 2, h], 0, 1, "float32", 12) as tf.Tensor5D;
    const g = tf.randomNormal([b, h, w, c], 0, 1, "float32", 13);
    const m = tf.tensor2d(mix, [c, c]);
    const basis = irfft2dBasis(h, w, { channels: c, color: mix });
    const before = tf.memory().numTensors;
    const inBasis = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(irfft2d(x as tf.Tensor5D, [h, w], basis), g))
    )(s);
    const afterwards = tf.grad((x: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.matMul(tf.reshape(irfft2d(x as tf.Tensor5D, [h, w]), [-1, c]), m),
          tf.reshape(g, [-1, c]),
        ),
      )
    )(s);
    assert.equal(tf.memory().numTensors, before + 2);
    const [p, q] = [await inBasis.data(), await afterwards.data()];
    p.forEach((v, i) => assert.ok(Math.abs(v - q[i]!) < 1e-4, `${i}: ${v} vs ${q[i]}`));
    tf.dispose([s, g, m, inBasis, afterwards]);
    disposeBasis(basis);
  });
}

/** [B, C, fw, 2, H] values → the even/odd layout [B, C, fw, 2, 2, H/2] of irfft2dSplit. */
function toSplit(v: Float32Array, bcfw: number, h: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < bcfw; r++) {
    for (let part = 0; part < 2; part++) {
      for (let ky = 0; ky < h; ky++) {
        out[((r * 2 + (ky & 1)) * 2 + part) * (h / 2) + (ky >> 1)] = v[(r * 2 + part) * h + ky]!;
      }
    }
  }
  return out;
}

for (const [h, w, c] of [[4, 6, 1], [8, 5, 3], [12, 12, 3]] as const) {
  Deno.test(`irfft2dSplit equals irfft2d, values and gradients (${h}×${w}×${c})`, async () => {
    const b = 2, fw = Math.floor(w / 2) + 1;
    const mix = c === 3
      ? { color: Float32Array.from([0.5, -1, 0.25, 2, 0, 1, -0.5, 0.75, 1.5]) }
      : {};
    const basis = irfft2dBasis(h, w, { channels: c, ...mix });
    const natural = tf.randomNormal([b, c, fw, 2, h], 0, 1, "float32", h + w) as tf.Tensor5D;
    const split = tf.tensor(toSplit(await natural.data() as Float32Array, b * c * fw, h), [
      b,
      c,
      fw,
      2,
      2,
      h / 2,
    ]);
    const g = tf.randomNormal([b, h, w, c], 0, 1, "float32", 5);
    const before = tf.memory().numTensors;
    const [y1, y2] = [irfft2d(natural, [h, w], basis), irfft2dSplit(split, [h, w], basis)];
    const d1 = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(irfft2d(x as tf.Tensor5D, [h, w], basis), g))
    )(
      natural,
    );
    const d2 = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(irfft2dSplit(x, [h, w], basis), g)))(split);
    assert.equal(tf.memory().numTensors, before + 4);
    const [a, z] = [await y1.data(), await y2.data()];
    a.forEach((v, i) => assert.ok(Math.abs(v - z[i]!) < 1e-5, `value ${i}: ${v} vs ${z[i]}`));
    const [p, q] = [toSplit(await d1.data() as Float32Array, b * c * fw, h), await d2.data()];
    p.forEach((v, i) => assert.ok(Math.abs(v - q[i]!) < 1e-4, `gradient ${i}: ${v} vs ${q[i]}`));
    tf.dispose([natural, split, g, y1, y2, d1, d2]);
    disposeBasis(basis);
  });
}

Deno.test("irfft2dSplit and irfft2d: a bad H, spectrum shape or basis size is a RangeError", () => {
  const b6 = irfft2dBasis(6, 4), b8 = irfft2dBasis(8, 4);
  assert.equal(b6.half, null);
  const s = tf.zeros([1, 1, 3, 2, 2, 3]);
  assert.throws(() => irfft2dSplit(s, [6, 4], b6), /H a multiple of 4.*got \[1,1,3,2,2,3\]/);
  const t = tf.zeros([1, 1, 3, 2, 2, 3]);
  assert.throws(() => irfft2dSplit(t, [8, 4], b8), /\[B, 1, 3, 2, 2, 4\] for a 8×4 image/);
  // A basis for another image size.
  const u = tf.zeros([1, 1, 3, 2, 4]) as tf.Tensor5D;
  assert.throws(() => irfft2d(u, [4, 4], b8), /basis was built for 8×4 images, not 4×4/);
  const v = tf.zeros([1, 1, 3, 2, 2, 4]);
  assert.throws(() => irfft2dSplit(v, [8, 5], b8), /basis was built for 8×4 images, not 8×5/);
  tf.dispose([s, t, u, v]);
  disposeBasis(b6);
  disposeBasis(b8);
});

for (const parameterization of ["fourier", "pixel"] as const) {
  Deno.test(`${parameterization} images: shape, range, seeded, no leaks`, async () => {
    const before = tf.memory().numTensors;
    const render = async (seeds: number[], c: number) => {
      const p = createImageParam([2, 6, 8, c], { parameterization, seeds });
      const x = p.render();
      assert.deepEqual(x.shape, [2, 6, 8, c]);
      const v = await x.data();
      x.dispose();
      p.dispose();
      return v;
    };
    for (const c of [1, 3]) {
      const a = await render([1, 2], c), b = await render([1, 2], c), d = await render([3, 2], c);
      assert.ok(a.every((v) => v > 0 && v < 1));
      assert.deepEqual(a, b);
      const per = 6 * 8 * c;
      assert.notDeepEqual(a.subarray(0, per), d.subarray(0, per));
      // Image 1 has the same seed in both calls: its pixels do not depend on image 0.
      assert.deepEqual(a.subarray(per), d.subarray(per));
    }
    assert.equal(tf.memory().numTensors, before);
  });
}

Deno.test("the fourier parameterisation is differentiable and gradients reach the spectrum", async () => {
  const p = createImageParam([1, 4, 4, 3], { seeds: [0] });
  const g = tf.grad(() => tf.sum(p.render()))(p.variable);
  assert.deepEqual(g.shape, p.variable.shape);
  const v = await g.data();
  assert.ok(v.some((x) => Math.abs(x) > 1e-6));
  g.dispose();
  p.dispose();
});

Deno.test("bad parameterisation options: clear errors", () => {
  assert.throws(() => createImageParam([1, 4, 4, 0]), RangeError);
  assert.throws(() => createImageParam([2, 4, 4, 1], { seeds: [1] }), /one seed per image/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => createImageParam([1, 4, 4, 1], { parameterization: "wavelet" as any }),
    (e) => e instanceof TypeError && /fourier, pixel/.test(e.message),
  );
});

Deno.test("the tensor-op paths (CPU) render and differentiate like the WASM kernels", async () => {
  // On WASM the butterfly and the colour mixing are SIMD kernels; on other
  // backends tensor ops. A subprocess on the CPU backend renders the same
  // seeded images and the same gradient: they must agree.
  // The same job as below, in the subprocess.
  const job = `
    const param = createImageParam([2, 8, 12, 3], { seeds: [4, 5] });
    const g = tf.reshape(tf.sin(tf.range(0, 2 * 8 * 12 * 3)), [2, 8, 12, 3]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(param.render(), g)), [param.variable]);
    const out = [Array.from(await param.render().data()), Array.from(await grads[param.variable.name].data())];`;
  const module = new URL("../../engine/featureviz/parameterization.ts", import.meta.url).href;
  const code = `
    import { useBackend } from "${new URL("../../engine/backend.ts", import.meta.url).href}";
    import { tf } from "${new URL("../../engine/deps.ts", import.meta.url).href}";
    import { createImageParam } from "${module}";
    await useBackend("cpu", { quiet: true });
    ${job}
    console.log(JSON.stringify(out));`;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  const [cpuImages, cpuGrads] = JSON.parse(new TextDecoder().decode(run.stdout)) as number[][];
  const param = createImageParam([2, 8, 12, 3], { seeds: [4, 5] });
  const g = tf.reshape(tf.sin(tf.range(0, 2 * 8 * 12 * 3)), [2, 8, 12, 3]);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(param.render(), g)) as tf.Scalar,
    [param.variable],
  );
  const img = param.render();
  const [images, gradient] = [await img.data(), await grads[param.variable.name]!.data()];
  tf.dispose([g, value, img, ...Object.values(grads)]);
  param.dispose();
  assert.equal(images.length, cpuImages!.length);
  images.forEach((v, i) => assert.ok(Math.abs(v - cpuImages![i]!) < 1e-6, `pixel ${i}`));
  assert.equal(gradient.length, cpuGrads!.length);
  gradient.forEach((v, i) =>
    assert.ok(Math.abs(v - cpuGrads![i]!) < 1e-5 * Math.max(1, Math.abs(v)), `gradient ${i}`)
  );
});
