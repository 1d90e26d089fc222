/**
 * Neuron ranking, drawing part: sorted bars (one per neuron), a threshold
 * slider that re-colours and re-counts, a layer filter and click selection.
 *
 * Test ids: `ranking-view`, `ranking-title`, `ranking-layer` (select; value
 * "all" or a layer index), `ranking-threshold` (range input),
 * `ranking-threshold-value`, `ranking-count` (text "P of N pass"),
 * `ranking-plot`, `ranking-bar` (one `<rect>` per neuron, with `data-index` =
 * neuron index, `data-rank`, `data-pass` "1"/"0"), `ranking-selected`.
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
  select,
  slider,
} from "../_shared/dom.ts";
import {
  BAR_CLASS,
  checkRankingState,
  countPassing,
  defaultThreshold,
  rankingPlotOptions,
  type RankingRow,
  type RankingState,
  rankRows,
  thresholdRange,
  tipText,
} from "./spec.ts";

/** Options of {@link render} beyond the document. */
export interface RankingRenderOptions extends RenderOptions {
  /** Called with the neuron index when a bar is clicked. Default: none. */
  onSelect?: (index: number) => void;
  /** Called when the threshold moves. Default: none. */
  onThreshold?: (threshold: number) => void;
  /** Layer index to show first, or null for all. Default: null. */
  layer?: number | null;
  /** Neuron index selected first. Default: none. */
  selected?: number | null;
  /** Plot height. Default: 240. */
  height?: number;
}

/**
 * Draws the bars of rows into an SVG and tags each bar with its neuron.
 *
 * @param doc the document
 * @param rows sorted rows
 * @param options as {@link rankingPlotOptions}
 * @returns the plot element (SVG, or a figure when it has a title)
 */
export function drawRankingPlot(
  doc: Document,
  rows: RankingRow[],
  options: Parameters<typeof rankingPlotOptions>[1],
): SVGSVGElement | HTMLElement {
  const plot = Plot.plot({ ...rankingPlotOptions(rows, options), document: doc });
  const bars = plot.querySelectorAll(`g.${BAR_CLASS} rect`);
  // Plot draws the rects in row order (every score is finite, none dropped).
  bars.forEach((rect, i) => {
    const row = rows[i];
    if (!row) return;
    rect.setAttribute("data-testid", "ranking-bar");
    rect.setAttribute("data-index", String(row.index));
    rect.setAttribute("data-rank", String(row.rank));
    rect.setAttribute("data-pass", row.pass ? "1" : "0");
    rect.setAttribute("style", "cursor:pointer");
  });
  return plot;
}

/**
 * Renders the ranking view into `el`.
 *
 * @param el container (its children are replaced)
 * @param state a {@link RankingState}
 * @param options document, width, callbacks
 * @returns cleanup that empties `el`
 * @example
 * ```ts
 * import { createDocument } from "../../host/dom.ts";
 * import { render } from "./view.ts";
 * const doc = createDocument();
 * const el = doc.createElement("div");
 * render(el, { title: "demo", metric: "m", layers: ["a"], layerOf: new Int32Array(2),
 *   unit: Int32Array.from([0, 1]), score: Float32Array.from([0.2, 0.8]) }, { document: doc });
 * if (el.querySelectorAll('[data-testid="ranking-bar"]').length !== 2) throw new Error("example failed");
 * ```
 */
export function render(
  el: HTMLElement,
  state: RankingState,
  options: RankingRenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkRankingState(state);
  let threshold = defaultThreshold(state);
  let layer: number | null = options.layer ?? null;
  let selected: number | null = options.selected ?? null;
  const root = frame(doc, "ranking", state.title);
  const controls = h(doc, "div", { class: "nl-controls" });
  if (state.layers.length > 1) {
    controls.append(
      select(doc, {
        testid: "ranking-layer",
        label: "layer",
        options: [
          { value: "all", text: "all layers" },
          ...state.layers.map((l, i) => ({ value: String(i), text: l })),
        ],
        value: layer === null ? "all" : String(layer),
        onChange: (v) => {
          layer = v === "all" ? null : Number(v);
          redraw();
        },
      }).root,
    );
  }
  const range = thresholdRange(state.score);
  controls.append(
    slider(doc, {
      testid: "ranking-threshold",
      label: `${state.metric} threshold`,
      ...range,
      value: threshold,
      onInput: (v) => {
        threshold = v;
        redraw();
        options.onThreshold?.(v);
      },
    }).root,
  );
  const count = h(doc, "span", { "data-testid": "ranking-count", style: "margin-left:8px" });
  controls.append(count);
  const plotBox = h(doc, "div", { "data-testid": "ranking-plot" });
  const selectedLine = h(doc, "div", {
    "data-testid": "ranking-selected",
    style: "white-space:pre-line;min-height:1.2em",
  });
  root.append(controls, plotBox, selectedLine);
  let rows: RankingRow[] = [];
  let plot: Element | null = null;
  const onClick = (event: Event) => {
    const target = event.target as Element | null;
    const attr = target?.getAttribute?.("data-index");
    // Thin bars are hard to hit: fall back to the bar under the pointer.
    const hovered = (plot as unknown as { value?: RankingRow } | null)?.value;
    const index = attr != null ? Number(attr) : hovered ? hovered.index : null;
    if (index === null) return;
    selected = index;
    redraw();
    options.onSelect?.(index);
  };
  function redraw(): void {
    rows = rankRows(state, { layer, threshold });
    const c = countPassing(state, threshold);
    const shown = layer === null ? c.passing : c.perLayer[layer]!;
    const of = layer === null ? c.total : c.sizes[layer]!;
    const op = (state.higherIsBetter ?? true) ? "≥" : "≤";
    count.textContent = `${shown} of ${of} neurons ${op} ${formatNumber(threshold)}`;
    clear(plotBox);
    plot = drawRankingPlot(doc, rows, {
      metric: state.metric,
      threshold,
      selected,
      width: options.width ?? 640,
      height: options.height ?? 240,
    });
    plot.addEventListener("click", onClick);
    plotBox.append(plot);
    const row = selected === null
      ? undefined
      : rankRows(state, { threshold }).find((r) => r.index === selected);
    selectedLine.textContent = row
      ? `selected: ${tipText(row, state.metric).replaceAll("\n", " · ")}`
      : "click a bar to select a neuron";
  }
  redraw();
  el.append(root);
  return () => root.remove();
}
