/**
 * Layer overview, drawing part: the LayerIM chart and the detector chart
 * side by side, an IoU threshold slider that recounts the detectors, and a
 * per-layer table. Clicking a layer's box (or its table row) selects it.
 *
 * Test ids: `layer_overview-view`, `overview-layerim` (chart; boxes are
 * `rect`s under `g.nl-overview-layerim` with `data-layer` = layer index and
 * `data-testid="overview-layer-box"`), `overview-detectors` (chart; bars
 * under `g.nl-overview-detectors`), `overview-iou` (range input),
 * `overview-table`, `overview-row` (one per layer; `data-layer`; cells:
 * layer, neurons, LayerIM, detectors, unique concepts), `overview-selected`.
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import {
  clear,
  docOf,
  formatNumber,
  frame,
  h,
  type RenderOptions,
  slider,
} from "../_shared/dom.ts";
import {
  type BestConcepts,
  bestConcepts,
  checkOverviewState,
  DEFAULT_IOU_THRESHOLD,
  detectorCounts,
  detectorPlotOptions,
  LAYERIM_CLASS,
  layerImPlotOptions,
  type LayerOverviewState,
  layerSummaries,
} from "./spec.ts";

/** Options of {@link drawOverviewCharts}. */
export interface OverviewChartOptions {
  /** IoU threshold for the detector chart. */
  iouThreshold: number;
  /** Selected layer index, highlighted. Default: none. */
  selected?: number | null;
  /** Called with a layer index when its box is clicked. */
  onSelectLayer?: (layer: number) => void;
  /** Precomputed best concepts (the explorer keeps them). */
  best?: BestConcepts;
  /** Width of each chart. Default: 420. */
  width?: number;
}

/**
 * Draws the LayerIM chart and (with IoU data) the detector chart.
 *
 * @param doc the document
 * @param state a checked overview state
 * @param options threshold, selection, click callback
 * @returns a flex row with the charts
 */
export function drawOverviewCharts(
  doc: Document,
  state: LayerOverviewState,
  options: OverviewChartOptions,
): HTMLElement {
  const row = h(doc, "div", { style: "display:flex;flex-wrap:wrap;gap:16px;align-items:flex-end" });
  const summaries = layerSummaries(state);
  const im = h(doc, "div", { "data-testid": "overview-layerim" });
  const plot = Plot.plot({
    ...layerImPlotOptions(summaries, {
      metric: state.metric,
      selected: options.selected ?? null,
      width: options.width ?? 420,
    }),
    document: doc,
  });
  plot.querySelectorAll(`g.${LAYERIM_CLASS} rect`).forEach((rect, i) => {
    const s = summaries[i];
    if (!s) return;
    rect.setAttribute("data-testid", "overview-layer-box");
    rect.setAttribute("data-layer", String(s.index));
    rect.setAttribute("style", "cursor:pointer");
  });
  plot.addEventListener("click", (event) => {
    const attr = (event.target as Element | null)?.getAttribute?.("data-layer");
    const hovered = (plot as unknown as { value?: { index: number } }).value;
    const layer = attr != null ? Number(attr) : hovered ? hovered.index : null;
    if (layer !== null) options.onSelectLayer?.(layer);
  });
  im.append(plot);
  row.append(im);
  if (state.iou && state.categories) {
    const counts = detectorCounts(state, options.iouThreshold, options.best ?? bestConcepts(state));
    const det = h(doc, "div", { "data-testid": "overview-detectors" });
    det.append(Plot.plot({
      ...detectorPlotOptions(counts.rows, {
        layers: state.layers,
        categories: state.categories,
        threshold: options.iouThreshold,
        width: options.width ?? 420,
      }),
      document: doc,
    }));
    row.append(det);
  }
  return row;
}

/** Options of {@link render}. */
export interface OverviewRenderOptions extends RenderOptions {
  /** Called with a layer index when a layer is selected. */
  onSelectLayer?: (layer: number) => void;
}

/**
 * Renders the layer overview into `el`.
 *
 * @param el container
 * @param state a {@link LayerOverviewState}
 * @param options document, width, selection callback
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: LayerOverviewState,
  options: OverviewRenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkOverviewState(state);
  const best = bestConcepts(state);
  let iouThreshold = state.iouThreshold ?? DEFAULT_IOU_THRESHOLD;
  let selected: number | null = null;
  const root = frame(doc, "layer_overview", state.title);
  if (state.iou) {
    root.append(
      slider(doc, {
        testid: "overview-iou",
        label: "dissection IoU threshold",
        min: 0,
        max: 0.5,
        step: 0.005,
        value: iouThreshold,
        onInput: (v) => {
          iouThreshold = v;
          redraw();
        },
      }).root,
    );
  }
  const charts = h(doc, "div");
  const table = h(doc, "table", {
    "data-testid": "overview-table",
    style: "border-collapse:collapse;margin-top:6px",
  });
  const selectedLine = h(doc, "div", { "data-testid": "overview-selected" });
  root.append(charts, table, selectedLine);
  const select = (layer: number) => {
    selected = layer;
    redraw();
    options.onSelectLayer?.(layer);
  };
  function redraw(): void {
    clear(charts);
    charts.append(drawOverviewCharts(doc, state, {
      iouThreshold,
      selected,
      onSelectLayer: select,
      best,
      ...(options.width ? { width: options.width } : {}),
    }));
    clear(table);
    const summaries = layerSummaries(state);
    const det = state.iou ? detectorCounts(state, iouThreshold, best).perLayer : null;
    const head = h(doc, "tr");
    for (
      const c of [
        "layer",
        "neurons",
        `mean ${state.metric}`,
        "median",
        ...(det ? ["detectors", "concepts"] : []),
      ]
    ) {
      head.append(h(doc, "th", { style: "padding:2px 8px;text-align:left" }, c));
    }
    table.append(head);
    for (const s of summaries) {
      const tr = h(doc, "tr", {
        "data-testid": "overview-row",
        "data-layer": String(s.index),
        style: `cursor:pointer${s.index === selected ? ";background:#ffe8e3" : ""}`,
      });
      const cells = [s.layer, String(s.n), formatNumber(s.mean), formatNumber(s.median)];
      if (det) cells.push(String(det[s.index]!.detectors), String(det[s.index]!.uniqueConcepts));
      for (const c of cells) tr.append(h(doc, "td", { style: "padding:2px 8px" }, c));
      tr.addEventListener("click", () => select(s.index));
      table.append(tr);
    }
    selectedLine.textContent = selected === null
      ? "click a layer to select it"
      : `selected layer: ${state.layers[selected]}`;
  }
  redraw();
  el.append(root);
  return () => root.remove();
}
