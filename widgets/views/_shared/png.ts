/**
 * A minimal PNG encoder (RGBA, 8 bit, deflate "stored" blocks): images become
 * `data:` URLs drawn with Plot's `image` mark, in the browser and in Deno
 * alike, without a canvas (linkedom has none; Plot's `raster` needs one).
 *
 * Stored blocks are uncompressed: a 64×64 image is ~16 KB, fine for
 * thumbnails; the kernel never sends PNGs, only typed arrays.
 *
 * @module
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Encodes RGBA bytes as a PNG file.
 *
 * @param rgba row-major [h, w, 4] bytes
 * @param width image width w
 * @param height image height h
 * @returns the PNG bytes
 * @throws {RangeError} when `rgba.length !== w·h·4` or a side is not a positive integer
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const png = encodePng(Uint8Array.from([255, 0, 0, 255]), 1, 1);
 * if (png[1] !== 0x50 || png.length !== 8 + 25 + (12 + 16) + 12) throw new Error("example failed");
 * ```
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`encodePng: size ${width}×${height}; expected positive integers`);
  }
  if (rgba.length !== width * height * 4) {
    throw new RangeError(
      `encodePng: ${rgba.length} bytes for ${width}×${height} RGBA; expected ${width * height * 4}`,
    );
  }
  // Filter byte 0 before each row.
  const rowLen = width * 4 + 1;
  const raw = new Uint8Array(rowLen * height);
  for (let y = 0; y < height; y++) {
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * rowLen + 1);
  }
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const zlen = 2 + raw.length + blocks * 5 + 4;
  const z = new Uint8Array(zlen);
  z[0] = 0x78;
  z[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535, len = Math.min(65535, raw.length - start);
    z[o++] = b === blocks - 1 ? 1 : 0;
    z[o++] = len & 0xff;
    z[o++] = len >>> 8;
    z[o++] = ~len & 0xff;
    z[o++] = (~len >>> 8) & 0xff;
    z.set(raw.subarray(start, start + len), o);
    o += len;
  }
  let a = 1, bsum = 0;
  for (let i = 0; i < raw.length; i++) {
    a = (a + raw[i]!) % 65521;
    bsum = (bsum + a) % 65521;
  }
  const adler = ((bsum << 16) | a) >>> 0;
  z[o++] = adler >>> 24;
  z[o++] = (adler >>> 16) & 0xff;
  z[o++] = (adler >>> 8) & 0xff;
  z[o++] = adler & 0xff;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const chunks = [chunk("IHDR", ihdr), chunk("IDAT", z), chunk("IEND", new Uint8Array(0))];
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  const out = new Uint8Array(8 + chunks.reduce((s, c) => s + c.length, 0));
  out.set(sig, 0);
  let p = 8;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  const dv = new DataView(c.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
  c.set(data, 8);
  dv.setUint32(8 + data.length, crc32(c, 4, 8 + data.length));
  return c;
}

/**
 * A `data:image/png;base64,…` URL of RGBA bytes.
 *
 * @param rgba row-major [h, w, 4] bytes
 * @param width w
 * @param height h
 * @returns the data URL
 */
export function pngDataUrl(rgba: Uint8Array, width: number, height: number): string {
  const png = encodePng(rgba, width, height);
  let s = "";
  for (let i = 0; i < png.length; i += 0x8000) {
    s += String.fromCharCode(...png.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(s)}`;
}
