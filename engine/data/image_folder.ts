/**
 * Image folders (one subfolder per class, PNG and JPEG files) as {@linkcode ImageSet}s.
 *
 * The layout is the one of torchvision's `ImageFolder`: `root/<class>/<file>`;
 * class names are the subfolder names in code-point order, so labels do not
 * depend on the file system's listing order or on the locale.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { jpeg, PNG } from "../deps.ts";
import type { ImageSet } from "./types.ts";

/** Options of {@linkcode imageFolder}. */
export interface ImageFolderOptions {
  /** Output [height, width]; every image is resized to it (bilinear). Required. */
  size: [number, number];
  /** 1 (luma, ITU-R BT.601 weights) or 3 (RGB). Default 3. */
  channels?: 1 | 3;
  /**
   * At most this many images, taken round-robin over the classes (in class
   * order, files in name order) so that a small limit still covers every class.
   * Default: all.
   */
  limit?: number;
}

/** File extensions read; other files are skipped. */
const EXTENSIONS = [".png", ".jpg", ".jpeg"];

/**
 * Reads a folder of class subfolders of PNG/JPEG images into an image set.
 *
 * Images are decoded to 8-bit RGB (alpha is ignored; 16-bit PNGs are scaled to
 * 8 bits), scaled to [0, 1], converted to grey when `channels` is 1, and
 * resized with bilinear interpolation with half-pixel centres (PyTorch
 * `align_corners=False`, no antialiasing). Hidden files and files with other
 * extensions are skipped; files in `path` itself (not in a subfolder) are
 * ignored.
 *
 * @param path The root folder.
 * @param options See {@linkcode ImageFolderOptions}.
 * @returns An {@linkcode ImageSet} named after the folder; `labels[i]` indexes
 *   `classNames`, the sorted subfolder names. Images are ordered by class, then
 *   by file name.
 * @throws Error naming the file when a file cannot be decoded; Error when the
 *   folder has no class subfolder with images; RangeError for bad options.
 * @example
 * ```ts
 * import { imageFolder } from "./image_folder.ts";
 * import { PNG } from "../deps.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/cat`);
 * const png = new PNG({ width: 4, height: 4 });
 * png.data.fill(255);
 * await Deno.writeFile(`${root}/cat/a.png`, PNG.sync.write(png));
 * const set = await imageFolder(root, { size: [2, 2], channels: 1 });
 * await Deno.remove(root, { recursive: true });
 * if (set.shape.join() !== "1,2,2,1" || set.classNames[0] !== "cat") throw new Error("bad");
 * ```
 */
export async function imageFolder(path: string, options: ImageFolderOptions): Promise<ImageSet> {
  const [h, w] = options.size ?? [];
  if (!Number.isInteger(h) || !Number.isInteger(w) || (h as number) < 1 || (w as number) < 1) {
    throw new RangeError(
      `size must be [height, width] of positive integers, got ${JSON.stringify(options.size)}`,
    );
  }
  const height = h as number, width = w as number;
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`channels must be 1 or 3, got ${String(channels)}`);
  }
  const limit = options.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  const root = path.endsWith("/") ? path.slice(0, -1) : path;
  const classes: { name: string; files: string[] }[] = [];
  for (const entry of await sortedEntries(root)) {
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const files = (await sortedEntries(`${root}/${entry.name}`))
      .filter((f) =>
        f.isFile && !f.name.startsWith(".") &&
        EXTENSIONS.some((ext) => f.name.toLowerCase().endsWith(ext))
      )
      .map((f) => `${root}/${entry.name}/${f.name}`);
    if (files.length > 0) classes.push({ name: entry.name, files });
  }
  if (classes.length === 0) {
    throw new Error(
      `${path}: no class subfolders with .png/.jpg/.jpeg images found (expected ${path}/<class>/<image>)`,
    );
  }

  // Round-robin selection keeps every class present under a small limit.
  const chosen = classes.map(() => 0);
  let total = 0;
  for (let round = 0; total < limit; round++) {
    let any = false;
    for (let c = 0; c < classes.length && total < limit; c++) {
      if (round < (classes[c] as { files: string[] }).files.length) {
        chosen[c] = round + 1;
        total++;
        any = true;
      }
    }
    if (!any) break;
  }

  const stride = height * width * channels;
  const images = new Float32Array(total * stride);
  const labels = new Int32Array(total);
  let i = 0;
  for (let c = 0; c < classes.length; c++) {
    const files = (classes[c] as { files: string[] }).files.slice(0, chosen[c]);
    for (const file of files) {
      const rgb = await decodeImage(file);
      resizeBilinear(rgb, height, width, channels, images.subarray(i * stride, (i + 1) * stride));
      labels[i++] = c;
    }
  }
  return {
    name: root.split("/").pop() || root,
    images,
    shape: [total, height, width, channels],
    labels,
    classNames: classes.map((c) => c.name),
  };
}

async function sortedEntries(dir: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch (e) {
    throw new Error(`${dir}: cannot list folder (${(e as Error).message})`, { cause: e });
  }
  // Code-point order, not localeCompare: labels must not depend on the locale.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A decoded image: RGBA bytes, row-major. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes a PNG or JPEG file to RGBA bytes, choosing the decoder by the file's
 * magic bytes (extensions lie).
 *
 * @param file Path of the image.
 * @returns Width, height and RGBA data.
 * @throws Error naming the file when it is neither PNG nor JPEG or cannot be decoded.
 * @example
 * ```ts
 * import { decodeImage } from "./image_folder.ts";
 * import { PNG } from "../deps.ts";
 * const file = await Deno.makeTempFile({ suffix: ".png" });
 * const png = new PNG({ width: 1, height: 1 });
 * png.data.set([10, 20, 30, 255]);
 * await Deno.writeFile(file, PNG.sync.write(png));
 * const img = await decodeImage(file);
 * await Deno.remove(file);
 * if (img.data[1] !== 20) throw new Error("decode failed");
 * ```
 */
export async function decodeImage(file: string): Promise<Rgba> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    throw new Error(`${file}: cannot read image file (${(e as Error).message})`, { cause: e });
  }
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 &&
    bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  try {
    if (isPng) {
      // pngjs calls Buffer methods on its input: wrap the bytes, without copying.
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    if (isJpeg) {
      // Strict decoding: a truncated JPEG must fail, not decode to grey blocks.
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        tolerantDecoding: false,
      });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw new Error(`${file}: cannot decode ${isPng ? "PNG" : "JPEG"} (${(e as Error).message})`, {
      cause: e,
    });
  }
  throw new Error(`${file}: not a PNG or JPEG file (the first bytes match neither signature)`);
}

/**
 * Bilinear resize with half-pixel centres (align_corners=False), RGBA bytes → [0, 1] floats.
 *
 * Source coordinate of output pixel x is (x + 0.5)·(inW / outW) − 0.5, clamped
 * to the image, as in PyTorch and `tf.image.resizeBilinear(…, halfPixelCenters)`.
 */
function resizeBilinear(
  src: Rgba,
  outH: number,
  outW: number,
  channels: 1 | 3,
  out: Float32Array,
): void {
  const { width: inW, height: inH, data } = src;
  const sy = inH / outH, sx = inW / outW;
  const px = new Float32Array(3);
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), inH - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, inH - 1), dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), inW - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, inW - 1), dx = fx - x0;
      const i00 = 4 * (y0 * inW + x0), i01 = 4 * (y0 * inW + x1);
      const i10 = 4 * (y1 * inW + x0), i11 = 4 * (y1 * inW + x1);
      for (let c = 0; c < 3; c++) {
        const top = (data[i00 + c] as number) * (1 - dx) + (data[i01 + c] as number) * dx;
        const bottom = (data[i10 + c] as number) * (1 - dx) + (data[i11 + c] as number) * dx;
        px[c] = (top * (1 - dy) + bottom * dy) / 255;
      }
      const o = (y * outW + x) * channels;
      if (channels === 3) {
        out[o] = px[0] as number;
        out[o + 1] = px[1] as number;
        out[o + 2] = px[2] as number;
      } else {
        out[o] = 0.299 * (px[0] as number) + 0.587 * (px[1] as number) +
          0.114 * (px[2] as number);
      }
    }
  }
}
