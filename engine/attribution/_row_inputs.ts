/**
 * Row inputs built in JavaScript for the methods that expand each image
 * into many rows (SmoothGrad, Integrated Gradients, Expected Gradients),
 * from one read-back of the images. Private to `engine/attribution`.
 *
 * Why not tensor ops: on WASM `tf.gather` of full images costs 9–13 ms per
 * chunk of 32 rows of 64×64×3 (10–20 % of the forward + backward pass the
 * chunk exists for), and SmoothGrad's noise, drawn through `Rng.normal()`,
 * cost another 30 %. Copying pixels and doing the float32 arithmetic here
 * gives the inputs the tensor ops gave, bit for bit (each step is rounded to
 * float32 like the tensor op: f64 → f32 double rounding is exact for +, −,
 * ×), for the price of one upload; the noise comes from a faster sampler,
 * {@link fillNormal}.
 *
 * @module
 */
import { mix32 } from "../random.ts";

const fround = Math.fround;

/*
 * Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", 128 layers): layer i is accepted at once
 * when |hz| < KN[i], and then the variate is hz · WN[i]; FN[i] = f(x_i).
 */
const R = 3.442619855899;
const KN = new Int32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = R;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  let tn = dn;
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
}

/**
 * Fills out[from … to) with standard normal variates from a stream fixed by
 * `seed`: sfc32 seeded exactly like `createRng(seed)`, turned into normals
 * by the ziggurat method (Marsaglia & Tsang 2000), which needs one 32-bit
 * draw and one multiply for 98.8 % of the variates. `Rng.normal()` (Box–
 * Muller: a logarithm, a square root, a sine and a cosine per pair, plus a
 * closure call each) took 30 ms per chunk of 32 noisy 64×64×3 images, 20–30 %
 * of the forward + backward pass the chunk is made for; this takes ≈ 3 ms.
 *
 * @param seed an unsigned 32-bit integer (what `subSeed` returns)
 * @throws {RangeError} for any other seed
 */
export function fillNormal(seed: number, out: Float32Array, from: number, to: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`fillNormal needs an unsigned 32-bit integer seed; got ${seed}`);
  }
  // createRng's seeding for a seed with words [seed, 0], then its 12 warm-up steps.
  let s = mix32(seed ^ mix32(0));
  let a = (s = mix32(s)) | 0;
  let b = (s = mix32(s)) | 0;
  let c = mix32(s) | 0;
  let d = 1;
  /** The next sfc32 output as a signed 32-bit integer. */
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t;
  };
  // A uniform in (0, 1]: never 0, so its logarithm is finite.
  const uniform = (): number => ((next() >>> 0) + 1) * 2 ** -32;
  for (let i = 0; i < 12; i++) next();
  for (let q = from; q < to; q++) {
    let hz = next();
    let iz = hz & 127;
    if (Math.abs(hz) < KN[iz]!) {
      out[q] = hz * WN[iz]!;
      continue;
    }
    for (;;) {
      if (iz === 0) {
        // The base layer's tail beyond R (Marsaglia 1964).
        let x: number;
        let y: number;
        do {
          x = -Math.log(uniform()) / R;
          y = -Math.log(uniform());
        } while (y + y < x * x);
        out[q] = hz > 0 ? R + x : -R - x;
        break;
      }
      // A wedge of layer iz: accept under the density, else draw again.
      const x = hz * WN[iz]!;
      if (FN[iz]! + uniform() * (FN[iz - 1]! - FN[iz]!) < Math.exp(-0.5 * x * x)) {
        out[q] = x;
        break;
      }
      hz = next();
      iz = hz & 127;
      if (Math.abs(hz) < KN[iz]!) {
        out[q] = hz * WN[iz]!;
        break;
      }
    }
  }
}

/**
 * rows[row] = from + α · (to − from) in float32, as
 * `tf.add(from, tf.mul(α, tf.sub(to, from)))` computes it; optionally also
 * writes to − from into diffs[row].
 *
 * @param from the path start, `size` values at `fromAt`
 * @param to the path end, `size` values at `toAt`
 */
export function pathPoint(
  from: Float32Array,
  fromAt: number,
  to: Float32Array,
  toAt: number,
  alpha: number,
  rows: Float32Array,
  row: number,
  size: number,
  diffs?: Float32Array,
): void {
  const a = fround(alpha);
  const out = row * size;
  for (let q = 0; q < size; q++) {
    const f = from[fromAt + q]!;
    const diff = fround(to[toAt + q]! - f);
    rows[out + q] = f + fround(a * diff);
    if (diffs) diffs[out + q] = diff;
  }
}

/**
 * rows[row] = image + σ · noise in float32 (as `tf.add(x, tf.mul(σ, noise))`),
 * the noise of the row drawn by {@link fillNormal} from `seed`.
 */
export function noisyCopy(
  pixels: Float32Array,
  image: number,
  sigma: number,
  seed: number,
  rows: Float32Array,
  row: number,
  size: number,
): void {
  const out = row * size;
  fillNormal(seed, rows, out, out + size);
  const s = fround(sigma);
  const at = image * size;
  // rows[out + q] holds the float32 noise here, overwritten by the sum.
  for (let q = 0; q < size; q++) rows[out + q] = pixels[at + q]! + fround(s * rows[out + q]!);
}
