/**
 * Images and heatmaps as RGBA bytes (then PNG data URLs): pixel values,
 * colour maps from Plot's schemes, and heatmap overlays on an image.
 *
 * Browser-safe: no Deno APIs.
 *
 * @module
 */
import * as Plot from "./plot.ts";
import { pngDataUrl } from "./png.ts";

/** A colour lookup table: 256 RGB entries from a Plot scheme. */
export function colormap(scheme = "turbo"): Uint8Array {
  const scale = Plot.scale({
    color: { type: "linear", scheme: scheme as Plot.ColorScheme, domain: [0, 1] },
  });
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = parseColor(String(scale.apply(i / 255)));
    lut.set([r, g, b], i * 3);
  }
  return lut;
}

/** Parses `rgb(r, g, b)` or `#rrggbb` (what d3 interpolators return). */
export function parseColor(c: string): [number, number, number] {
  const m = c.match(/rgb\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = c.match(/^#([0-9a-f]{6})$/i);
  if (hex) {
    const v = parseInt(hex[1]!, 16);
    return [v >> 16, (v >> 8) & 255, v & 255];
  }
  throw new TypeError(`Unparsable colour ${JSON.stringify(c)}; expected rgb(...) or #rrggbb`);
}

/** Min and max of the finite values (0, 1 when none or constant). */
export function extent(a: ArrayLike<number>, start = 0, end = a.length): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = a[i]!;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

/**
 * An image (values in `range`, default min–max) as RGBA bytes.
 *
 * @param pixels row-major [h, w, c] values, c = 1 (grey) or 3 (RGB)
 * @param shape [h, w, c]
 * @param options `offset` into pixels (default 0), `range` (default: the image's min–max)
 * @returns [h, w, 4] bytes
 */
export function imageRgba(
  pixels: ArrayLike<number>,
  shape: readonly [number, number, number],
  options: { offset?: number; range?: [number, number] } = {},
): Uint8Array {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new RangeError(`image channels ${c}; expected 1 or 3`);
  const off = options.offset ?? 0;
  const n = h * w * c;
  if (off + n > pixels.length) {
    throw new RangeError(
      `image of ${h}×${w}×${c} at offset ${off} exceeds ${pixels.length} values`,
    );
  }
  const [lo, hi] = options.range ?? extent(pixels, off, off + n);
  const k = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = pixels[off + p * c + (c === 1 ? 0 : ch)]!;
      out[p * 4 + ch] = Math.max(0, Math.min(255, Math.round((v - lo) * k)));
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * A heatmap as RGBA bytes, optionally blended over an image.
 *
 * @param map row-major [h, w] values
 * @param h height
 * @param w width
 * @param options `offset` (default 0), `domain` (default [0, 1]), `lut` from
 *   {@link colormap} (default turbo), `base` RGBA bytes of an image of the same size
 *   to blend over, `alpha` of the heatmap over the base (default 0.55)
 * @returns [h, w, 4] bytes
 * @example
 * ```ts
 * import { heatRgba } from "./image.ts";
 * const lut = new Uint8Array(768);
 * for (let i = 0; i < 256; i++) lut.set([i, i, i], 3 * i);
 * if (heatRgba([0.5], 1, 1, { lut })[0] !== 128) throw new Error("example failed");
 * ```
 */
export function heatRgba(
  map: ArrayLike<number>,
  h: number,
  w: number,
  options: {
    offset?: number;
    domain?: [number, number];
    lut?: Uint8Array;
    base?: Uint8Array;
    alpha?: number;
  } = {},
): Uint8Array {
  const off = options.offset ?? 0;
  if (off + h * w > map.length) {
    throw new RangeError(`map of ${h}×${w} at offset ${off} exceeds ${map.length} values`);
  }
  const [lo, hi] = options.domain ?? [0, 1];
  const lut = options.lut ?? colormap("turbo");
  const base = options.base;
  const alpha = base ? (options.alpha ?? 0.55) : 1;
  const out = new Uint8Array(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    const v = map[off + p]!;
    const t = hi > lo ? (v - lo) / (hi - lo) : 0;
    const i = Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0) * 255))) * 3;
    for (let ch = 0; ch < 3; ch++) {
      const heat = lut[i + ch]!;
      out[p * 4 + ch] = base ? Math.round(alpha * heat + (1 - alpha) * base[p * 4 + ch]!) : heat;
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** {@link imageRgba} as a PNG data URL. */
export function imageUrl(
  pixels: ArrayLike<number>,
  shape: readonly [number, number, number],
  options: { offset?: number; range?: [number, number] } = {},
): string {
  return pngDataUrl(imageRgba(pixels, shape, options), shape[1], shape[0]);
}

/** {@link heatRgba} as a PNG data URL. */
export function heatUrl(
  map: ArrayLike<number>,
  h: number,
  w: number,
  options: Parameters<typeof heatRgba>[3] = {},
): string {
  return pngDataUrl(heatRgba(map, h, w, options), w, h);
}
