/**
 * The IoU tally of network dissection (Bau et al. 2017, §2.2; METHODS.md §6),
 * written as map (one batch → counts) and merge (counts + counts).
 *
 * For a batch of P = N·H·W mask pixels, unit k's activation map is upsampled
 * to the mask size (bilinear, half-pixel centres) and thresholded,
 * M_k = S_k > T_k, giving a binary matrix M [P × K] per layer; the concepts
 * give a binary matrix L [P × C] (L_c(x) = 1 where some label layer marks
 * concept c at x). Then, on the device:
 *
 * - intersections: Mᵀ·L = [K × C] (one matmul per layer for all units ×
 *   concepts of all categories),
 * - unit areas on the images where category g is annotated: G more binary
 *   columns of L (1 at every pixel of such an image), in the same matmul.
 *
 * The products run over the pixel rows where some unit of some layer is on
 * (the other rows of M are zero and add nothing), with L of those rows built
 * once per batch for all layers: the counts are the full products' exactly.
 *
 * On the WASM backend (layers with K a multiple of 4) M is never formed: a
 * SIMD kernel of the project's own (engine/kernels/_simd_dissect.ts)
 * upsamples, thresholds and lists only the pixels with some unit on, with
 * their units as bits, bit-identical to step(resizeBilinear(S − T)); each
 * on bit then adds 1 to its unit's count with every concept at that pixel,
 * in JS (about 0.5 % of unit-pixels are on at the 0.995 quantile). Same
 * integers as the products, at about a fifth of the time for scenes-cnn.
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
import { bilinearAxis, type OnPixels, simdOnPixels } from "../kernels/_simd_dissect.ts";
import { wasmHeap } from "../kernels/_simd_runtime.ts";

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
 * Tallies one batch for several layers at once (the "map" step). On WASM,
 * per layer, the SIMD kernel lists the on-pixels and JS counts their bits
 * (module doc). Otherwise (and for a K that is not a multiple of 4) it
 * upsamples and thresholds every layer's maps on the device, keeps only the
 * pixel rows where some unit is on, builds the concept matrix of those rows
 * once for all layers, and reads every layer's counts back in one read.
 *
 * Why rows are dropped: a row of M that is all zero adds nothing to Mᵀ·L,
 * and with T_k the 0.995 quantile few pixels have any unit on (13 % for all
 * conv layers of scenes-cnn together, 5 % per layer), so the product over the
 * kept rows is the same integer count at a fraction of the cost.
 *
 * @param layers the layers' activations and thresholds (same N as `shard`)
 * @param shard the batch's images' label maps (its `shape` gives N, H, W)
 * @param plan the column plan
 * @param options see {@link TallyOptions} (`simd`, default true)
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
  options: TallyOptions = {},
): Promise<LayerTally[]> {
  const [n, h, w] = shard.shape;
  for (const l of layers) {
    if (l.activations.rank !== 4 || l.activations.shape[0] !== n) {
      throw new RangeError(
        `activations of ${l.layer} have shape [${l.activations.shape}], expected [${n}, h, w, K]`,
      );
    }
  }
  const scan = scanLabels(shard, plan);
  const heap = (options.simd ?? true) ? wasmHeap(tf.backend()) : null;
  const onSimd = (l: TallyLayer) =>
    heap !== null && l.activations.shape[3]! % 4 === 0 && l.activations.dtype === "float32";
  const viaTf = layers.filter((l) => !onSimd(l));
  const fromTf = viaTf.length > 0 ? await tallyByRows(viaTf, shard, plan, scan) : [];
  const out: LayerTally[] = [];
  for (const l of layers) {
    if (!onSimd(l)) {
      out.push(fromTf[viaTf.indexOf(l)]!);
      continue;
    }
    const [, lh, lw] = l.activations.shape as number[];
    const on = simdOnPixels(heap!, {
      activations: l.activations,
      thresholds: l.thresholds,
      y: await bilinearAxis(lh!, h, "y"),
      x: await bilinearAxis(lw!, w, "x"),
    });
    out.push(countOnPixels(l, on, shard, plan, scan));
  }
  return out;
}

/** Options of {@link tallyBatch}. */
export interface TallyOptions {
  /**
   * Run the full-resolution step as the project's WASM SIMD kernel when the
   * backend is wasm and a layer's K is a multiple of 4 (counts are the same
   * either way). Default true.
   */
  simd?: boolean;
}

/**
 * S − T upsampled to the mask size and flattened to [P, K]. Bilinear weights
 * sum to 1, so upsample(A − T) = upsample(A) − T: the subtraction runs at the
 * low resolution, and M = step(·) (1 where > 0).
 */
function centred(l: TallyLayer, lh: number, lw: number, h: number, w: number) {
  return tf.tidy(() => {
    const low = tf.sub(l.activations, tf.tensor1d(Float32Array.from(l.thresholds)));
    const [n, , , k] = l.activations.shape as number[];
    const up = lh === h && lw === w
      ? low
      : tf.image.resizeBilinear(low as tf.Tensor4D, [h, w], false, true);
    return tf.reshape(up, [n! * h * w, k!]);
  });
}

/**
 * Counts from the SIMD kernel's on-pixels: each on bit adds 1 to its unit's
 * intersection with every concept at that pixel and to its unit's area in
 * that image (weighted by the image's annotated categories at the end). The
 * bits are ~0.5 % of all unit-pixels, so this loop is short.
 */
function countOnPixels(
  l: TallyLayer,
  on: OnPixels,
  shard: ConceptSet,
  plan: TallyPlan,
  scan: ReturnType<typeof scanLabels>,
): LayerTally {
  const [n, h, w] = shard.shape;
  const px = h * w, k = l.activations.shape[3]!;
  const cols = plan.conceptIds.length, g = plan.categories.length;
  const t = emptyTally(l.layer, k, plan);
  t.images = n;
  t.conceptArea.set(scan.conceptArea);
  const { maps, annotated } = scan;
  const column = plan.column, inter = t.intersection;
  const perImage = new Float64Array(n * k);
  const here = new Int32Array(maps.length);
  const { records, words, count } = on;
  const stride = 1 + words;
  for (let r = 0; r < count; r++) {
    const x = records[r * stride]!;
    const image = Math.floor(x / px);
    // This pixel's concept columns, each once (label layers may repeat one).
    let m = 0;
    for (const map of maps) {
      const id = map[x]!;
      if (id < 0) continue;
      const col = column[id]!;
      if (col < 0) continue;
      let seen = false;
      for (let j = 0; j < m && !seen; j++) seen = here[j] === col;
      if (!seen) here[m++] = col;
    }
    for (let wi = 0; wi < words; wi++) {
      let word = records[r * stride + 1 + wi]!;
      while (word !== 0) {
        const low = word & -word;
        const u = 32 * wi + 31 - Math.clz32(low);
        word ^= low;
        perImage[image * k + u]!++;
        for (let j = 0; j < m; j++) inter[u * cols + here[j]!]!++;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let gi = 0; gi < g; gi++) {
      if (!annotated[i * g + gi]) continue;
      for (let u = 0; u < k; u++) t.unitArea[gi * k + u]! += perImage[i * k + u]!;
    }
  }
  return t;
}

/**
 * The tf-op path (any backend): upsamples and thresholds every layer's maps
 * on the device, keeps only the pixel rows where some unit is on, builds the
 * concept matrix of those rows once for all layers, and reads every layer's
 * counts back in one read.
 */
async function tallyByRows(
  layers: readonly TallyLayer[],
  shard: ConceptSet,
  plan: TallyPlan,
  scan: ReturnType<typeof scanLabels>,
): Promise<LayerTally[]> {
  const [n, h, w] = shard.shape;
  const px = h * w, p = n * px;
  const cols = plan.conceptIds.length, g = plan.categories.length;
  const { maps, conceptArea, annotated } = scan;
  // S_l − T [P × K_l], pixel-major: the upsampling runs on [N, h, w, K] with
  // all channels at once (~9× faster than one channel per image on WASM) and
  // needs no transpose. M = step(·) is taken only on the kept rows.
  const centredMaps: tf.Tensor[] = [];
  let packed: tf.Tensor | null = null;
  try {
    for (const l of layers) {
      const [, lh, lw] = l.activations.shape as number[];
      centredMaps.push(centred(l, lh!, lw!, h, w));
    }
    // Each pixel's largest S − T over all units of all layers: > 0 exactly
    // on the rows of M that hold a 1 (one [P] read).
    const flagged = tf.tidy(() =>
      centredMaps.map((m) => tf.max(m, 1)).reduce((a, b) => tf.maximum(a, b))
    );
    let cells: Float32Array;
    try {
      cells = (await flagged.data()) as Float32Array;
    } finally {
      flagged.dispose();
    }
    let count = 0;
    for (let x = 0; x < p; x++) if (cells[x]! > 0) count++;
    const rows = new Int32Array(count);
    for (let x = 0, r = 0; x < p; x++) if (cells[x]! > 0) rows[r++] = x;
    const kept = rows.length;
    if (kept > 0) {
      const lk = conceptRows(rows, maps, annotated, plan, px);
      packed = tf.tidy(() => {
        // M'ᵀ [K × P'] · L' [P' × (C + G)]: XNNPACK packs the right operand,
        // and L' (31 columns, one tensor for all layers) is cheaper to pack
        // than M'. gatherNd, not gather: ~12× faster for whole rows on WASM.
        const l = tf.tensor2d(lk, [kept, cols + g]);
        const at = tf.tensor2d(rows, [kept, 1], "int32");
        return tf.concat(centredMaps.map((m) =>
          tf.reshape(
            tf.matMul(tf.transpose(tf.step(tf.gatherND(m, at) as tf.Tensor2D)), l),
            [-1],
          )
        ));
      });
    }
  } finally {
    tf.dispose(centredMaps);
  }
  let flat: Float32Array | null = null;
  if (packed) {
    try {
      flat = (await packed.data()) as Float32Array;
    } finally {
      packed.dispose();
    }
  }
  let at = 0;
  return layers.map((l) => {
    const k = l.activations.shape[3]!;
    const t = emptyTally(l.layer, k, plan);
    t.images = n;
    t.conceptArea.set(conceptArea);
    if (flat) {
      // The product is [K × (C + G)].
      for (let u = 0; u < k; u++) {
        for (let c = 0; c < cols; c++) {
          t.intersection[u * cols + c] = flat[at + u * (cols + g) + c]!;
        }
        for (let gi = 0; gi < g; gi++) {
          t.unitArea[gi * k + u] = flat[at + u * (cols + g) + cols + gi]!;
        }
      }
      at += (cols + g) * k;
    }
    return t;
  });
}

/**
 * One pass over a batch's label maps: the maps the plan counts (with their
 * category's index), Σ|L_c| (a concept marked by several label layers at one
 * pixel counts once), and whether category g is annotated in image i ([N, G]).
 */
function scanLabels(shard: ConceptSet, plan: TallyPlan) {
  const [n, h, w] = shard.shape;
  const px = h * w, g = plan.categories.length;
  const maps: Int16Array[] = [], categoryOf: number[] = [];
  for (const [key, map] of Object.entries(shard.labelMaps) as [string, Int16Array][]) {
    const gi = plan.categories.indexOf(categoryOfKey(key));
    if (gi >= 0) {
      maps.push(map);
      categoryOf.push(gi);
    }
  }
  const column = plan.column;
  const area = new Float64Array(plan.conceptIds.length);
  const annotated = new Uint8Array(n * g);
  for (let j = 0; j < maps.length; j++) {
    const map = maps[j]!, gi = categoryOf[j]!;
    for (let i = 0; i < n; i++) {
      let any = false;
      for (let x = i * px, end = x + px; x < end; x++) {
        const id = map[x]!;
        if (id < 0) continue;
        any = true;
        const col = column[id]!;
        if (col < 0) continue;
        // Counted already by an earlier label layer at this pixel?
        let dup = false;
        for (let e = 0; e < j && !dup; e++) dup = maps[e]![x] === id;
        if (!dup) area[col]!++;
      }
      if (any) annotated[i * g + gi] = 1;
    }
  }
  return { maps, conceptArea: area, annotated };
}

/** L restricted to the kept pixel rows: [P' × (C + G)] row-major, 0/1. */
function conceptRows(
  rows: Int32Array,
  maps: readonly Int16Array[],
  annotated: Uint8Array,
  plan: TallyPlan,
  px: number,
): Float32Array {
  const cols = plan.conceptIds.length, g = plan.categories.length, kept = rows.length;
  const width = cols + g, column = plan.column;
  const l = new Float32Array(width * kept);
  for (const map of maps) {
    for (let r = 0; r < kept; r++) {
      const id = map[rows[r]!]!;
      if (id < 0) continue;
      const col = column[id]!;
      if (col >= 0) l[r * width + col] = 1;
    }
  }
  for (let r = 0; r < kept; r++) {
    const i = Math.floor(rows[r]! / px);
    for (let gi = 0; gi < g; gi++) if (annotated[i * g + gi]) l[r * width + cols + gi] = 1;
  }
  return l;
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
