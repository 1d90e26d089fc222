/**
 * Synthetic pictures for the sample states: a coloured blob on a background,
 * a Gaussian heat spot, a sinusoidal "feature visualisation".
 *
 * @module
 */

/** A [h, w, 3] image with a coloured disc at (cy, cx). */
export function blobImage(
  h: number,
  w: number,
  cy: number,
  cx: number,
  rgb: [number, number, number],
): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (y - cy) ** 2 + (x - cx) ** 2 < (Math.min(h, w) / 4) ** 2;
      for (let c = 0; c < 3; c++) {
        out[(y * w + x) * 3 + c] = inside ? rgb[c]! : 0.15 + 0.1 * ((x + y) % 2);
      }
    }
  }
  return out;
}

/** A [h, w] Gaussian spot in [0, 1]. */
export function spot(h: number, w: number, cy: number, cx: number, sigma: number): Float32Array {
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[y * w + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * sigma * sigma));
    }
  }
  return out;
}

/** A [h, w, 3] stripe pattern (a stand-in for a feature visualisation). */
export function stripes(h: number, w: number, freq: number, phase: number): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = 0.5 + 0.5 * Math.sin(freq * (x + 0.5 * y) + phase);
      out.set([v, 0.5 * v, 1 - v], (y * w + x) * 3);
    }
  }
  return out;
}

/** Concatenates arrays. */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
