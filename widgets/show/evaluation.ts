/**
 * Adapters from map and map-evaluation results to view states: MapResults →
 * map gallery; region perturbation (AOPC) and deletion/insertion results →
 * curves. Engine types are restated structurally (fields read).
 *
 * @module
 */
import type { CurveSeries, CurvesState } from "../views/curves/spec.ts";
import type { MapGalleryState } from "../views/map_gallery/spec.ts";
import { f32 } from "./_convert.ts";

/** A MapResult (fields read). */
export interface MapResultLike {
  method: string;
  layer: string | null;
  /** [N, H, W]. */
  values: Float32Array;
  shape: readonly [number, number, number] | number[];
  classes: Int32Array;
}

/** Images under the maps: an ImageSet or `{ images, shape }` (fields read). */
export interface GalleryImages {
  /** [N, H, W, C] in [0, 1]. */
  images: Float32Array;
  shape: readonly [number, number, number, number] | number[];
  /** Class names for row labels. */
  classNames?: readonly string[];
}

/** Options of {@link galleryState}. */
export interface GalleryAdapterOptions {
  /** Title. Default: "Maps". */
  title?: string;
  /** The images the maps explain (drawn under them). Default: none. */
  images?: GalleryImages;
  /** Row labels. Default: "image i · <class>" from the first result's classes. */
  rowLabels?: readonly string[];
  /** Most images shown. Default: 8. */
  maxImages?: number;
  /** Heatmap opacity over the image. Default: 0.5. */
  alpha?: number;
}

/**
 * A map gallery from map results of several methods (or of one method at
 * several layers: then the columns are the layers).
 *
 * @param results MapResults over the same images (same [N, H, W])
 * @param options images, labels, limits
 * @returns the state: rows = images, columns = results
 * @throws {RangeError} for no results, results of different shapes, or images that do not match
 * @example
 * ```ts
 * import { galleryState } from "./evaluation.ts";
 * const r = (method: string) => ({ method, layer: null, values: new Float32Array(8), shape: [2, 2, 2], classes: new Int32Array(2) });
 * const s = galleryState([r("saliency"), r("gradCam")]);
 * if (s.maps.length !== 16 || s.columnLabels[1] !== "gradCam") throw new Error("example failed");
 * ```
 */
export function galleryState(
  results: readonly MapResultLike[],
  options: GalleryAdapterOptions = {},
): MapGalleryState {
  const first = results[0];
  if (!first) throw new RangeError("galleryState: no map results");
  const [n, h, w] = first.shape as [number, number, number];
  for (const r of results) {
    if ((r.shape as number[]).join() !== [n, h, w].join()) {
      throw new RangeError(
        `galleryState: ${r.method} maps are [${
          (r.shape as number[]).join(", ")
        }]; expected [${n}, ${h}, ${w}] like ${first.method}`,
      );
    }
  }
  const rows = Math.min(n, options.maxImages ?? 8);
  const sameMethod = results.every((r) => r.method === first.method);
  const byLayer = sameMethod && results.length > 1 && results.every((r) => r.layer !== null);
  const columnLabels = results.map((r) =>
    byLayer
      ? r.layer!
      : r.layer === null || results.filter((x) => x.method === r.method).length === 1
      ? r.method
      : `${r.method} @ ${r.layer}`
  );
  const maps = new Float32Array(rows * results.length * h * w);
  for (let i = 0; i < rows; i++) {
    results.forEach((r, c) =>
      maps.set(r.values.subarray(i * h * w, (i + 1) * h * w), (i * results.length + c) * h * w)
    );
  }
  let channels = 1;
  let images: Float32Array | undefined;
  if (options.images) {
    const [N, H, W, C] = options.images.shape as number[];
    if (H !== h || W !== w || N! < rows) {
      throw new RangeError(
        `galleryState: images are [${
          (options.images.shape as number[]).join(", ")
        }]; expected [≥${rows}, ${h}, ${w}, C] to match the maps`,
      );
    }
    channels = C!;
    images = options.images.images.slice(0, rows * h * w * channels);
  }
  const names = options.images?.classNames;
  const rowLabels = options.rowLabels
    ? [...options.rowLabels].slice(0, rows)
    : Array.from({ length: rows }, (_, i) => {
      const c = first.classes[i] ?? -1;
      return c < 0 ? `image ${i}` : `image ${i} · ${names?.[c] ?? `class ${c}`}`;
    });
  if (rowLabels.length !== rows) {
    throw new RangeError(`galleryState: ${rowLabels.length} row labels for ${rows} images`);
  }
  const state: MapGalleryState = {
    title: options.title ?? "Maps",
    rowLabels,
    columnLabels,
    columnKind: byLayer ? "layer" : "method",
    imageShape: [h, w, channels],
    maps,
  };
  if (images) state.images = images;
  if (options.alpha !== undefined) state.alpha = options.alpha;
  return state;
}

/** A region perturbation run (fields read). */
export interface RegionPerturbationLike {
  order: "morf" | "lerf" | "random";
  steps: number;
  aopc: number;
  meanCurve: Float32Array;
}

/** A deletion/insertion run (fields read). */
export interface DeletionInsertionLike {
  pixels: Int32Array;
  meanDeletion: Float32Array;
  meanInsertion: Float32Array;
  deletionAuc: number;
  insertionAuc: number;
  comprehensive: number;
}

const ORDER_NAME = { morf: "MoRF", lerf: "LeRF", random: "random" } as const;

/**
 * Curves from region perturbation runs: one mean curve per method and order,
 * scored by AOPC, plus ABPC (LeRF − MoRF area) when both orders are there.
 *
 * @param results method name → its runs (MoRF, and optionally LeRF/random)
 * @param options `title` (default "Region perturbation (AOPC)")
 * @returns the curves state (x = perturbation step)
 * @throws {RangeError} for no runs
 */
export function regionPerturbationCurves(
  results: Readonly<Record<string, RegionPerturbationLike | readonly RegionPerturbationLike[]>>,
  options: { title?: string } = {},
): CurvesState {
  const curves: CurveSeries[] = [];
  const scores: CurvesState["scores"] = [];
  for (const [method, value] of Object.entries(results)) {
    const runs = (Array.isArray(value) ? value : [value]) as RegionPerturbationLike[];
    for (const r of runs) {
      curves.push({
        method,
        kind: ORDER_NAME[r.order],
        y: f32(r.meanCurve),
        x: Float32Array.from(r.meanCurve, (_, k) => k),
        score: r.aopc,
      });
    }
    const morf = runs.find((r) => r.order === "morf"), lerf = runs.find((r) => r.order === "lerf");
    if (morf && lerf && morf.meanCurve.length === lerf.meanCurve.length) {
      let s = 0;
      for (let k = 0; k < morf.meanCurve.length; k++) s += lerf.meanCurve[k]! - morf.meanCurve[k]!;
      scores.push({ method, name: "ABPC", value: s / morf.meanCurve.length });
    }
  }
  if (curves.length === 0) throw new RangeError("regionPerturbationCurves: no runs");
  return {
    title: options.title ?? "Region perturbation (AOPC)",
    curves,
    xLabel: "perturbation step",
    yLabel: "score of the explained class",
    scoreName: "AOPC",
    scores,
  };
}

/**
 * Curves from deletion/insertion runs: mean deletion and insertion curves per
 * method with their AUCs, plus the comprehensive score ×100.
 *
 * @param results method (or "method @ layer") → its run
 * @param options `title` (default "Deletion / insertion")
 * @returns the curves state (x = fraction of pixels changed)
 * @throws {RangeError} for no runs
 */
export function deletionInsertionCurves(
  results: Readonly<Record<string, DeletionInsertionLike>>,
  options: { title?: string } = {},
): CurvesState {
  const curves: CurveSeries[] = [];
  const scores: CurvesState["scores"] = [];
  for (const [method, r] of Object.entries(results)) {
    const total = r.pixels[r.pixels.length - 1] || 1;
    const x = Float32Array.from(r.pixels, (p) => p / total);
    curves.push({ method, kind: "deletion", x, y: f32(r.meanDeletion), score: r.deletionAuc });
    curves.push({ method, kind: "insertion", x, y: f32(r.meanInsertion), score: r.insertionAuc });
    scores.push({ method, name: "comprehensive ×100", value: 100 * r.comprehensive });
  }
  if (curves.length === 0) throw new RangeError("deletionInsertionCurves: no runs");
  return {
    title: options.title ?? "Deletion / insertion",
    curves,
    xLabel: "fraction of pixels",
    yLabel: "probability of the class",
    scoreName: "AUC",
    scores,
  };
}
