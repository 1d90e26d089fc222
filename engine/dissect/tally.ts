/**
 * The IoU tally of network dissection (Bau et al. 2017, §2.2; METHODS.md §6),
 * written as map (one batch → counts) and merge (counts + counts).
 *
 * For a batch of P = N·H·W mask pixels, unit k's activation map is upsampled
 * to the mask size (bilinear, half-pixel centres) and thresholded,
 * M_k = S_k > T_k, giving a binary matrix M [K × P]; the concepts give a
 * binary matrix L [P × C] (L_c(x) = 1 where some label layer marks concept c
 * at x). Then, on the device:
 *
 * - intersections: Mᵀ·L = [K × C] (one matmul for all units × concepts; M is
 *   laid out units-first, [K × P]),
 * - unit areas on the images where category g is annotated: G more binary
 *   columns of L (1 at every pixel of such an image), in the same matmul.
 *
 * Only these counts cross batches, so memory does not depend on the number of
 * images. The per-category denominator rule: IoU_{k,c} = Σ_n |M_k ∩ L_c| /
 * Σ_n |M_k ∪ L_c| over the images n in which c's category is annotated (has
 * any labelled pixel), i.e. union = |M_k| on those images + |L_c| − |M_k ∩ L_c|.
 * Image-level labels are full-image masks in the label maps (the Broden
 * reader writes them so).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ConceptSet } from "../data/types.ts";
import { categoryOfKey } from "./probe.ts";

/** Which concepts (columns) and categories a tally counts. */
export interface TallyPlan {
  /** Concept id → column, or −1 for a concept that is not counted. */
  column: Int32Array;
  /** Column → concept id. */
  conceptIds: Int32Array;
  /** Column → index into `categories`. */
  columnCategory: Int32Array;
  /** Category names counted. */
  categories: string[];
}

/** Counts of one layer (plain data; merge with {@link mergeTallies}). */
export interface LayerTally {
  layer: string;
  /** Units K. */
  units: number;
  /** Concept columns C. */
  columns: number;
  /** Categories G. */
  categoryCount: number;
  /** Images folded in. */
  images: number;
  /** Σ |M_k ∩ L_c|, [K, C] row-major. */
  intersection: Float64Array;
  /** Σ |M_k| over images where category g is annotated, [G, K]. */
  unitArea: Float64Array;
  /** Σ |L_c|, [C]. */
  conceptArea: Float64Array;
}

/**
 * Builds the column plan for a vocabulary and the categories to count.
 *
 * @param concepts the vocabulary (`concepts[id].id === id`)
 * @param categories categories to count, in report order
 * @param skip concept ids to leave out (e.g. concepts with no pixels)
 * @returns the plan
 * @throws {RangeError} when no concept belongs to the categories
 * @example
 * ```ts
 * import { planTally } from "./tally.ts";
 * const p = planTally([{ id: 0, name: "red", category: "color" }], ["color"]);
 * if (p.conceptIds.length !== 1) throw new Error("bad plan");
 * ```
 */
export function planTally(
  concepts: readonly { id: number; name: string; category: string }[],
  categories: readonly string[],
  skip: ReadonlySet<number> = new Set(),
): TallyPlan {
  const column = new Int32Array(concepts.length).fill(-1);
  const ids: number[] = [], cats: number[] = [];
  for (const c of concepts) {
    const g = categories.indexOf(c.category);
    if (g < 0 || skip.has(c.id)) continue;
    column[c.id] = ids.length;
    ids.push(c.id);
    cats.push(g);
  }
  if (ids.length === 0) {
    throw new RangeError(`no concept to count in categories ${JSON.stringify(categories)}`);
  }
  return {
    column,
    conceptIds: Int32Array.from(ids),
    columnCategory: Int32Array.from(cats),
    categories: [...categories],
  };
}

/**
 * An empty tally (the identity of {@link mergeTallies}).
 *
 * @param layer layer name
 * @param units number of units K
 * @param plan the column plan
 * @returns zero counts
 * @example
 * ```ts
 * import { emptyTally, planTally } from "./tally.ts";
 * const t = emptyTally("c", 2, planTally([{ id: 0, name: "red", category: "color" }], ["color"]));
 * if (t.intersection.length !== 2) throw new Error("bad size");
 * ```
 */
export function emptyTally(layer: string, units: number, plan: TallyPlan): LayerTally {
  const c = plan.conceptIds.length, g = plan.categories.length;
  return {
    layer,
    units,
    columns: c,
    categoryCount: g,
    images: 0,
    intersection: new Float64Array(units * c),
    unitArea: new Float64Array(g * units),
    conceptArea: new Float64Array(c),
  };
}

/** One layer's input to {@link tallyBatch}. */
export interface TallyLayer {
  layer: string;
  /** Activations [N, h, w, K] (already rotated if rotating); not disposed. */
  activations: tf.Tensor;
  /** Threshold per unit T_k, length K. */
  thresholds: ArrayLike<number>;
}

/**
 * Tallies one batch for several layers at once (the "map" step): builds the
 * concept matrix once, runs the upsample–threshold–matmul on the device per
 * layer and reads every layer's counts back in one read.
 *
 * @param layers the layers' activations and thresholds (same N as `shard`)
 * @param shard the batch's images' label maps (its `shape` gives N, H, W)
 * @param plan the column plan
 * @returns one tally per layer, in order
 * @throws {RangeError} when an activation's batch size differs from the shard's
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { planTally, tallyBatch } from "./tally.ts";
 * const concepts = [{ id: 0, name: "on", category: "c" }];
 * const shard = { name: "t", images: new Float32Array(4), shape: [1, 2, 2, 1] as [number, number, number, number],
 *   labels: new Int32Array(1), classNames: ["x"], concepts, labelMaps: { c: Int16Array.from([0, 0, -1, -1]) } };
 * const a = tf.tensor4d([1, 1, 0, 0], [1, 2, 2, 1]);
 * const [t] = await tallyBatch([{ layer: "l", activations: a, thresholds: [0.5] }], shard, planTally(concepts, ["c"]));
 * a.dispose();
 * if (t!.intersection[0] !== 2) throw new Error("bad tally");
 * ```
 */
export async function tallyBatch(
  layers: readonly TallyLayer[],
  shard: ConceptSet,
  plan: TallyPlan,
): Promise<LayerTally[]> {
  const [n, h, w] = shard.shape;
  const px = h * w, p = n * px;
  const cols = plan.conceptIds.length, g = plan.categories.length;
  // L plus G columns "category g is annotated in this pixel's image", in
  // JS: one pass over the label maps. The extra rows make the same matmul
  // also return the unit areas restricted to annotated images.
  const rowsL = cols + g;
  // Pixel-major [P × (C + G)]: the right-hand side of M [K × P] · L.
  const concept = new Float32Array(p * rowsL);
  const conceptArea = new Float64Array(cols);
  for (const [key, map] of Object.entries(shard.labelMaps) as [string, Int16Array][]) {
    const gi = plan.categories.indexOf(categoryOfKey(key));
    if (gi < 0) continue;
    for (let i = 0; i < n; i++) {
      let any = false;
      for (let x = i * px; x < (i + 1) * px; x++) {
        const id = map[x]!;
        if (id < 0) continue;
        any = true;
        const col = plan.column[id] ?? -1;
        if (col < 0 || concept[x * rowsL + col] === 1) continue;
        concept[x * rowsL + col] = 1;
        conceptArea[col]!++;
      }
      if (any) { for (let x = i * px; x < (i + 1) * px; x++) concept[x * rowsL + cols + gi] = 1; }
    }
  }
  for (const l of layers) {
    if (l.activations.rank !== 4 || l.activations.shape[0] !== n) {
      throw new RangeError(
        `activations of ${l.layer} have shape [${l.activations.shape}], expected [${n}, h, w, K]`,
      );
    }
  }
  const packed = tf.tidy(() => {
    const lc = tf.tensor2d(concept, [p, rowsL]);
    const parts = layers.map((l) => {
      const [, lh, lw, k] = l.activations.shape as number[];
      // Bilinear weights sum to 1, so upsample(A − T) = upsample(A) − T: the
      // subtraction runs at the low resolution, and M = step(·) (1 where > 0).
      const centred = tf.sub(l.activations, tf.tensor1d(Float32Array.from(l.thresholds)));
      // Units first ([K·N, h, w, 1] images), so M comes out as [K × P]: the
      // matmul with the big matrix on the left runs ~3× faster on WASM.
      const perUnit = tf.reshape(tf.transpose(centred, [3, 0, 1, 2]), [k! * n, lh!, lw!, 1]);
      const up = lh === h && lw === w
        ? perUnit
        : tf.image.resizeBilinear(perUnit as tf.Tensor4D, [h, w], false, true);
      const m = tf.reshape(tf.step(up), [k!, p]);
      return tf.reshape(tf.matMul(m, lc), [-1]); // [K, C + G]
    });
    return tf.concat(parts);
  });
  let flat: Float32Array;
  try {
    flat = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  let at = 0;
  return layers.map((l) => {
    const k = l.activations.shape[3]!;
    const t = emptyTally(l.layer, k, plan);
    t.images = n;
    t.conceptArea.set(conceptArea);
    for (let u = 0; u < k; u++) {
      for (let c = 0; c < cols; c++) t.intersection[u * cols + c] = flat[at + u * rowsL + c]!;
      for (let gi = 0; gi < g; gi++) t.unitArea[gi * k + u] = flat[at + u * rowsL + cols + gi]!;
    }
    at += rowsL * k;
    return t;
  });
}

/**
 * Adds two tallies of the same layer (the "merge" step).
 *
 * @param a a tally
 * @param b a tally of the same layer and plan
 * @returns a new tally; inputs unchanged
 * @throws {RangeError} when sizes differ
 * @example
 * ```ts
 * import { emptyTally, mergeTallies, planTally } from "./tally.ts";
 * const p = planTally([{ id: 0, name: "red", category: "color" }], ["color"]);
 * if (mergeTallies(emptyTally("c", 1, p), emptyTally("c", 1, p)).images !== 0) throw new Error("bad");
 * ```
 */
export function mergeTallies(a: LayerTally, b: LayerTally): LayerTally {
  if (
    a.units !== b.units || a.columns !== b.columns || a.categoryCount !== b.categoryCount ||
    a.layer !== b.layer
  ) {
    throw new RangeError(`cannot merge tallies of ${a.layer} and ${b.layer}: sizes differ`);
  }
  const add = (x: Float64Array, y: Float64Array) => x.map((v, i) => v + y[i]!);
  return {
    ...a,
    images: a.images + b.images,
    intersection: add(a.intersection, b.intersection),
    unitArea: add(a.unitArea, b.unitArea),
    conceptArea: add(a.conceptArea, b.conceptArea),
  };
}

/**
 * IoU of every unit with every counted concept from a tally, with the
 * per-category denominator rule (module doc). A zero union gives 0.
 *
 * @param t the tally
 * @param plan the plan it was made with
 * @returns IoU [K, C] row-major
 * @example
 * ```ts
 * import { emptyTally, planTally, tallyIoU } from "./tally.ts";
 * const p = planTally([{ id: 0, name: "red", category: "color" }], ["color"]);
 * if (tallyIoU(emptyTally("c", 1, p), p)[0] !== 0) throw new Error("bad");
 * ```
 */
export function tallyIoU(t: LayerTally, plan: TallyPlan): Float32Array {
  const { units, columns } = t;
  const iou = new Float32Array(units * columns);
  for (let k = 0; k < units; k++) {
    for (let c = 0; c < columns; c++) {
      const inter = t.intersection[k * columns + c]!;
      const g = plan.columnCategory[c]!;
      const union = t.unitArea[g * units + k]! + t.conceptArea[c]! - inter;
      iou[k * columns + c] = union > 0 ? inter / union : 0;
    }
  }
  return iou;
}
