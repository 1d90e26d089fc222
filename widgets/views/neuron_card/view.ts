/**
 * Neuron card, drawing part. Pictures are SVG `<image>` elements with PNG
 * data URLs made in the view (no canvas needed, so the static fallback in
 * Deno draws them too).
 *
 * Test ids: `neuron_card-view`, `card-head` (layer · unit), `card-score`,
 * `card-label`, `card-panel` (one per picture; `data-kind` = featureViz |
 * shap | example), `card-shap-legend`, `card-hist` (histogram; its bars are
 * `<rect>`s under `g.nl-card-hist`), `card-empty` (nothing but text).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { docOf, frame, h, type RenderOptions } from "../_shared/dom.ts";
import { colorLegend } from "../_shared/legend.ts";
import {
  cardPanels,
  cardText,
  checkCardState,
  histogramOptions,
  histogramRows,
  type NeuronCardState,
} from "./spec.ts";

const SVG = "http://www.w3.org/2000/svg";

/** Options of {@link render}. */
export interface CardRenderOptions extends RenderOptions {
  /** Displayed picture side in pixels. Default: 96. */
  size?: number;
}

/**
 * Draws the card's content (no frame) into a container: used by the card
 * view and by the explorer.
 *
 * @param doc the document
 * @param state a checked card state
 * @param options picture size, width
 * @returns the content element
 */
export function drawCard(
  doc: Document,
  state: NeuronCardState,
  options: CardRenderOptions = {},
): HTMLElement {
  const size = options.size ?? 96;
  const box = h(doc, "div", { class: "nl-card" });
  const t = cardText(state);
  box.append(h(doc, "div", { "data-testid": "card-head", style: "font-weight:600" }, t.head));
  if (t.score) box.append(h(doc, "div", { "data-testid": "card-score" }, t.score));
  if (t.label) box.append(h(doc, "div", { "data-testid": "card-label" }, t.label));
  const panels = cardPanels(state);
  if (panels.length) {
    const strip = h(doc, "div", { style: "display:flex;flex-wrap:wrap;gap:8px;margin:6px 0" });
    for (const p of panels) {
      const fig = h(doc, "figure", {
        "data-testid": "card-panel",
        "data-kind": p.kind,
        style: "margin:0;text-align:center",
      });
      const svg = doc.createElementNS(SVG, "svg");
      const scale = size / Math.max(p.size[0], p.size[1]);
      const [wpx, hpx] = [Math.round(p.size[1] * scale), Math.round(p.size[0] * scale)];
      svg.setAttribute("width", String(wpx));
      svg.setAttribute("height", String(hpx));
      svg.setAttribute("viewBox", `0 0 ${wpx} ${hpx}`);
      const img = doc.createElementNS(SVG, "image");
      img.setAttribute("href", p.url);
      img.setAttribute("width", String(wpx));
      img.setAttribute("height", String(hpx));
      img.setAttribute("preserveAspectRatio", "none");
      // Keep pixels crisp: these are tiny images blown up.
      img.setAttribute("style", "image-rendering:pixelated");
      svg.append(img);
      fig.append(
        svg,
        h(
          doc,
          "figcaption",
          { style: "font-size:11px;max-width:" + wpx + "px;overflow:hidden" },
          p.caption,
        ),
      );
      strip.append(fig);
    }
    box.append(strip);
    if (state.shap) {
      let max = 0;
      for (const v of state.shap) if (v > max) max = v;
      box.append(
        colorLegend(doc, "card-shap-legend", {
          domain: [0, max || 1],
          label: "SHAP |φ|",
          width: 200,
        }),
      );
    }
  }
  if (state.histEdges && state.histCounts) {
    const hist = h(doc, "div", { "data-testid": "card-hist" });
    hist.append(
      Plot.plot({
        ...histogramOptions(histogramRows(state.histEdges, state.histCounts), {
          width: options.width ?? 320,
        }),
        document: doc,
      }),
    );
    box.append(hist);
  }
  if (!panels.length && !state.histCounts) {
    box.append(
      h(
        doc,
        "div",
        { "data-testid": "card-empty", style: "color:#777" },
        "no pictures were sent for this neuron",
      ),
    );
  }
  return box;
}

/**
 * Renders the neuron card into `el`.
 *
 * @param el container
 * @param state a {@link NeuronCardState}
 * @param options document, picture size
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: NeuronCardState,
  options: CardRenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkCardState(state);
  const root = frame(doc, "neuron_card", state.title);
  root.append(drawCard(doc, state, options));
  el.append(root);
  return () => root.remove();
}
