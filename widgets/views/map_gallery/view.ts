/**
 * Map gallery, drawing part: an HTML grid (header = methods or layers, one
 * row per image), each cell an SVG `<image>`; a colour legend; an opacity
 * slider when images are given.
 *
 * Test ids: `map_gallery-view`, `gallery-col` (column headers),
 * `gallery-row` (row labels), `gallery-cell` (`data-row`, `data-col`),
 * `gallery-legend`, `gallery-alpha` (range input).
 *
 * @module
 */
import { docOf, frame, h, type RenderOptions, slider } from "../_shared/dom.ts";
import { colorLegend } from "../_shared/legend.ts";
import { checkGalleryState, galleryCells, type MapGalleryState } from "./spec.ts";

const SVG = "http://www.w3.org/2000/svg";

/** Options of {@link render}. */
export interface GalleryRenderOptions extends RenderOptions {
  /** Displayed cell side in pixels. Default: 112. */
  size?: number;
}

/**
 * Renders the gallery into `el`.
 *
 * @param el container
 * @param state a {@link MapGalleryState}
 * @param options document, cell size
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: MapGalleryState,
  options: GalleryRenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkGalleryState(state);
  const size = options.size ?? 112;
  const [ih, iw] = state.imageShape;
  const scale = size / Math.max(ih, iw);
  const [wpx, hpx] = [Math.round(iw * scale), Math.round(ih * scale)];
  const root = frame(doc, "map_gallery", state.title);
  const controls = h(doc, "div");
  const grid = h(doc, "table", { style: "border-collapse:collapse" });
  const images: SVGImageElement[] = [];
  const fill = (alpha?: number) => {
    const cells = galleryCells(state, alpha === undefined ? {} : { alpha });
    cells.forEach((c, i) => images[i]?.setAttribute("href", c.url));
  };
  const head = h(doc, "tr");
  head.append(
    h(doc, "th", {}, state.columnKind === "layer" ? "image \\ layer" : "image \\ method"),
  );
  for (const label of state.columnLabels) {
    head.append(
      h(
        doc,
        "th",
        { "data-testid": "gallery-col", style: "padding:2px 4px;font-weight:600" },
        label,
      ),
    );
  }
  grid.append(head);
  state.rowLabels.forEach((label, r) => {
    const tr = h(doc, "tr");
    tr.append(
      h(doc, "th", {
        "data-testid": "gallery-row",
        style: "padding:2px 6px;text-align:right;font-weight:400",
      }, label),
    );
    state.columnLabels.forEach((_, col) => {
      const td = h(doc, "td", { style: "padding:2px" });
      const svg = doc.createElementNS(SVG, "svg");
      svg.setAttribute("data-testid", "gallery-cell");
      svg.setAttribute("data-row", String(r));
      svg.setAttribute("data-col", String(col));
      svg.setAttribute("width", String(wpx));
      svg.setAttribute("height", String(hpx));
      const img = doc.createElementNS(SVG, "image") as SVGImageElement;
      img.setAttribute("width", String(wpx));
      img.setAttribute("height", String(hpx));
      img.setAttribute("preserveAspectRatio", "none");
      img.setAttribute("style", "image-rendering:pixelated");
      images.push(img);
      svg.append(img);
      td.append(svg);
      tr.append(td);
    });
    grid.append(tr);
  });
  fill();
  if (state.images) {
    controls.append(
      slider(doc, {
        testid: "gallery-alpha",
        label: "map opacity",
        min: 0,
        max: 1,
        step: 0.05,
        value: state.alpha ?? 0.5,
        onInput: (a) => fill(a),
      }).root,
    );
  }
  controls.append(colorLegend(doc, "gallery-legend", {
    domain: state.domain ?? [0, 1],
    scheme: state.scheme ?? "turbo",
    label: "relevance",
    width: 240,
  }));
  root.append(controls, grid);
  el.append(root);
  return () => root.remove();
}
