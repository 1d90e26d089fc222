/**
 * Seeded shuffling, batch iteration and subsets of {@linkcode ImageSet}s.
 *
 * Data-set scale passes map one batch at a time to a small partial result
 * (DESIGN.md, Performance), so a batch is the unit of memory: iteration never
 * copies more than one batch, and without shuffling it copies nothing.
 *
 * @module
 */
import { createRng } from "../random.ts";
import type { ConceptSet, ImageSet, SceneSet } from "./types.ts";

/** One batch of an image set. */
export interface Batch {
  /** Pixels of the batch, NHWC; a view into the set when not shuffled, else a copy. */
  images: Float32Array;
  /** [batch size, H, W, C]; the last batch may be smaller. */
  shape: [number, number, number, number];
  /** Class labels of the batch. */
  labels: Int32Array;
  /** Index in the set of each image of the batch. */
  indices: Int32Array;
  /** Per-category label maps [B, H, W] of the batch, when the set is a {@linkcode ConceptSet}. */
  labelMaps?: Record<string, Int16Array>;
}

/** Options of {@linkcode batches}. */
export interface BatchOptions {
  /** Images per batch, a positive integer. Required. */
  batchSize: number;
  /** Visit the images in a seeded random order. Default false (set order). */
  shuffle?: boolean;
  /** Seed of the order when shuffling; use e.g. `seed + epoch` for a new order each epoch. Default 0. */
  seed?: number;
  /** Skip a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
}

/**
 * A seeded random permutation of 0 … n-1 (Fisher–Yates).
 *
 * @param n Length, a non-negative integer.
 * @param seed Seed; the same seed gives the same permutation.
 * @returns The permutation as an Int32Array.
 * @example
 * ```ts
 * import { permutation } from "./batching.ts";
 * const p = permutation(5, 1);
 * if ([...p].sort().join() !== "0,1,2,3,4") throw new Error("not a permutation");
 * ```
 */
export function permutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
    throw new RangeError(`permutation length must be a non-negative integer, got ${n}`);
  }
  const rng = createRng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/**
 * Iterates over an image set in batches, optionally in a seeded random order.
 *
 * Every image is visited exactly once per pass (the last batch may be smaller
 * unless `dropLast`). Without shuffling, `images` and `labels` are views into
 * the set (no copy: do not modify them); with shuffling, each batch is
 * gathered into fresh arrays.
 *
 * @param set The images.
 * @param options See {@linkcode BatchOptions}.
 * @returns A generator of {@linkcode Batch}es.
 * @throws RangeError when `batchSize` is not a positive integer.
 * @example
 * ```ts
 * import { batches } from "./batching.ts";
 * const set = {
 *   name: "toy", images: new Float32Array(5 * 2 * 2), shape: [5, 2, 2, 1] as [number, number, number, number],
 *   labels: new Int32Array(5), classNames: ["a"],
 * };
 * const sizes = [...batches(set, { batchSize: 2, shuffle: true, seed: 3 })].map((b) => b.shape[0]);
 * if (sizes.join() !== "2,2,1") throw new Error("unexpected batch sizes");
 * ```
 */
export function* batches(set: ImageSet, options: BatchOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const [n, h, w, c] = set.shape;
  const stride = h * w * c;
  const order = options.shuffle ? permutation(n, options.seed ?? 0) : null;
  const maps = "labelMaps" in set ? (set as ConceptSet).labelMaps : null;
  const px = h * w;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (options.dropLast && end - start < batchSize) break;
    const b = end - start;
    let batch: Batch;
    if (order === null) {
      const indices = new Int32Array(b);
      for (let k = 0; k < b; k++) indices[k] = start + k;
      batch = {
        images: set.images.subarray(start * stride, end * stride),
        shape: [b, h, w, c],
        labels: set.labels.subarray(start, end),
        indices,
      };
      if (maps !== null) {
        batch.labelMaps = mapValues(maps, (m) => m.subarray(start * px, end * px));
      }
    } else {
      const indices = order.slice(start, end);
      batch = {
        images: gather(set.images, indices, stride),
        shape: [b, h, w, c],
        labels: gather(set.labels, indices, 1),
        indices,
      };
      if (maps !== null) batch.labelMaps = mapValues(maps, (m) => gather(m, indices, px));
    }
    yield batch;
  }
}

/**
 * The images of a set at the given indices, as a new set (copies the data).
 *
 * For a {@linkcode ConceptSet} the label maps are taken too, and for a
 * {@linkcode SceneSet} also the object masks and scene descriptions.
 *
 * @param set The images.
 * @param indices Indices into the set, in the order wanted; repeats allowed.
 * @returns A set of the same kind holding only those images.
 * @throws RangeError naming an index outside [0, N).
 * @example
 * ```ts
 * import { subset } from "./batching.ts";
 * const set = {
 *   name: "toy", images: Float32Array.from([0, 0.5, 1]), shape: [3, 1, 1, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1, 2]), classNames: ["a", "b", "c"],
 * };
 * const s = subset(set, [2, 0]);
 * if (s.images.join() !== "1,0" || s.labels.join() !== "2,0") throw new Error("wrong subset");
 * ```
 */
export function subset<T extends ImageSet>(set: T, indices: ArrayLike<number>): T {
  const [n, h, w, c] = set.shape;
  const idx = Int32Array.from(indices as ArrayLike<number>);
  for (let k = 0; k < idx.length; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`subset index ${i} (at position ${k}) is outside [0, ${n})`);
    }
  }
  const out: ImageSet = {
    ...set,
    name: set.name,
    images: gather(set.images, idx, h * w * c),
    shape: [idx.length, h, w, c],
    labels: gather(set.labels, idx, 1),
    classNames: [...set.classNames],
  };
  if ("labelMaps" in set) {
    (out as ConceptSet).labelMaps = mapValues(
      (set as unknown as ConceptSet).labelMaps,
      (m) => gather(m, idx, h * w),
    );
  }
  if ("objectMask" in set) {
    (out as SceneSet).objectMask = gather((set as unknown as SceneSet).objectMask, idx, h * w);
  }
  if ("scenes" in set && Array.isArray((set as unknown as SceneSet).scenes)) {
    const scenes = (set as unknown as SceneSet).scenes;
    (out as SceneSet).scenes = Array.from(idx, (i) => scenes[i] as SceneSet["scenes"][number]);
  }
  return out as T;
}

type Typed = Float32Array | Int32Array | Int16Array | Uint8Array;

/** Copies items `indices` (each `stride` elements long) of `src` into a new array. */
function gather<A extends Typed>(src: A, indices: Int32Array, stride: number): A {
  const out = new (src.constructor as new (n: number) => A)(indices.length * stride);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.set(src.subarray(i * stride, (i + 1) * stride), k * stride);
  }
  return out;
}

function mapValues<V, W>(obj: Record<string, V>, f: (v: V) => W): Record<string, W> {
  const out: Record<string, W> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = f(v);
  return out;
}
