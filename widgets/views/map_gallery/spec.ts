/**
 * Map gallery, pure part: images × methods (or × layers), each cell the
 * method's heatmap (METHODS.md §1–3) blended over its image.
 *
 * @module
 */
import { checkArray, checkNumber, checkString, checkStrings } from "../_shared/check.ts";
import { colormap, heatRgba, imageRgba } from "../_shared/image.ts";
import { pngDataUrl } from "../_shared/png.ts";

/** State of the map gallery (traits = these keys). */
export interface MapGalleryState {
  /** Title line (user text). */
  title: string;
  /** One label per image row (user text: file names, classes). */
  rowLabels: string[];
  /** One label per column: method names or layer names (user text). */
  columnLabels: string[];
  /** What the columns are; shown in the header. Default: "method". */
  columnKind?: "method" | "layer";
  /** [h, w, c] of the images; maps are [h, w]. c = 1 or 3. */
  imageShape: [number, number, number];
  /** Maps, row-major [rows, columns, h, w], values within `domain`. */
  maps: Float32Array;
  /** Images under the maps, row-major [rows, h, w, c] in [0, 1]; none: maps alone. */
  images?: Float32Array;
  /** Value range of the colour scale. Default: [0, 1] (normalised maps). */
  domain?: [number, number];
  /** Plot colour scheme. Default: "turbo". */
  scheme?: string;
  /** Opacity of the heatmap over the image, in [0, 1]. Default: 0.5. */
  alpha?: number;
}

/** The state keys the front end reads. */
export const MAP_GALLERY_TRAITS = [
  "title",
  "rowLabels",
  "columnLabels",
  "columnKind",
  "imageShape",
  "maps",
  "images",
  "domain",
  "scheme",
  "alpha",
] as const;

/** One cell of the gallery. */
export interface GalleryCell {
  row: number;
  col: number;
  /** PNG data URL of the (blended) map. */
  url: string;
}

/**
 * Checks a gallery state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError} for a wrongly typed field; {@link RangeError} for sizes that disagree
 */
export function checkGalleryState(state: MapGalleryState): MapGalleryState {
  const v = "map_gallery";
  checkString(v, "title", state.title);
  const rows = checkStrings(v, "rowLabels", state.rowLabels).length;
  const cols = checkStrings(v, "columnLabels", state.columnLabels).length;
  const s = checkArray(v, "imageShape", state.imageShape, 3);
  const [h, w, c] = [s[0]!, s[1]!, s[2]!];
  if (!(h > 0 && w > 0 && (c === 1 || c === 3))) {
    throw new RangeError(
      `map_gallery: state.imageShape is [${Array.from(s)}]; expected [h, w, 1 or 3]`,
    );
  }
  checkArray(v, "maps", state.maps, rows * cols * h * w);
  if (state.images !== undefined) checkArray(v, "images", state.images, rows * h * w * c);
  if (state.domain !== undefined) {
    const d = checkArray(v, "domain", state.domain, 2);
    if (!(d[1]! > d[0]!)) {
      throw new RangeError(`map_gallery: state.domain [${Array.from(d)}] must be increasing`);
    }
  }
  if (state.scheme !== undefined) checkString(v, "scheme", state.scheme);
  if (state.alpha !== undefined) {
    const a = checkNumber(v, "alpha", state.alpha);
    if (a < 0 || a > 1) throw new RangeError(`map_gallery: state.alpha is ${a}; expected 0..1`);
  }
  return state;
}

/**
 * The gallery's cells, row-major, as PNG data URLs.
 *
 * @param state a checked state
 * @param options `alpha` overrides the state's (the view's slider)
 * @returns rows × columns cells
 * @example
 * ```ts
 * import { galleryCells } from "./spec.ts";
 * const cells = galleryCells({ title: "", rowLabels: ["x"], columnLabels: ["saliency", "gradCam"],
 *   imageShape: [1, 1, 1], maps: Float32Array.from([0, 1]) });
 * if (cells.length !== 2 || !cells[1]!.url.startsWith("data:image/png")) throw new Error("example failed");
 * ```
 */
export function galleryCells(
  state: MapGalleryState,
  options: { alpha?: number } = {},
): GalleryCell[] {
  const [h, w, c] = state.imageShape;
  const lut = colormap(state.scheme ?? "turbo");
  const domain = state.domain ?? [0, 1];
  const alpha = options.alpha ?? state.alpha ?? 0.5;
  const cells: GalleryCell[] = [];
  const cols = state.columnLabels.length;
  for (let r = 0; r < state.rowLabels.length; r++) {
    // The image's bytes are shared by every method of the row.
    const base = state.images
      ? imageRgba(state.images, [h, w, c], { offset: r * h * w * c, range: [0, 1] })
      : undefined;
    for (let col = 0; col < cols; col++) {
      const rgba = heatRgba(state.maps, h, w, {
        offset: (r * cols + col) * h * w,
        domain,
        lut,
        ...(base ? { base, alpha } : {}),
      });
      cells.push({ row: r, col, url: pngDataUrl(rgba, w, h) });
    }
  }
  return cells;
}
