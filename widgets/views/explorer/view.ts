/**
 * Explorer, drawing part: layer overview → neuron ranking → neuron card,
 * linked in the browser. Two sliders (NeuronIM threshold, dissection IoU
 * threshold) re-filter and re-count at once; clicking a layer (box or table
 * row) selects it; clicking a neuron's bar opens its card.
 *
 * Test ids: `explorer-view`, `explorer-threshold` and `explorer-iou` (range
 * inputs), `explorer-count` (totals text), `explorer-overview` (holds the
 * overview charts: `overview-layer-box` rects with `data-layer`),
 * `explorer-table`, `explorer-row` (`data-layer`; cells `explorer-passing`,
 * `explorer-detectors`), `explorer-ranking-title`, `explorer-ranking` (holds
 * `ranking-bar` rects with `data-index`), `explorer-card` (holds the card:
 * `card-head`, `card-label`, `card-panel`, …).
 *
 * @module
 */
import {
  clear,
  docOf,
  formatNumber,
  frame,
  h,
  type RenderOptions,
  slider,
} from "../_shared/dom.ts";
import { bestConcepts, DEFAULT_IOU_THRESHOLD } from "../layer_overview/spec.ts";
import { drawOverviewCharts } from "../layer_overview/view.ts";
import { drawCard } from "../neuron_card/view.ts";
import { rankRows, thresholdRange } from "../ranking/spec.ts";
import { drawRankingPlot } from "../ranking/view.ts";
import {
  checkExplorerState,
  explorerCard,
  explorerRanking,
  type ExplorerState,
  explorerSummary,
} from "./spec.ts";

/** Options of {@link render}. */
export interface ExplorerRenderOptions extends RenderOptions {
  /** Layer selected first. Default: 0. */
  layer?: number;
}

/**
 * Renders the explorer into `el`.
 *
 * @param el container
 * @param state an {@link ExplorerState}
 * @param options document, width, first layer
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: ExplorerState,
  options: ExplorerRenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkExplorerState(state);
  const best = bestConcepts(state);
  let iouThreshold = state.iouThreshold ?? DEFAULT_IOU_THRESHOLD;
  let ranking = explorerRanking(state, iouThreshold, best);
  let threshold = ranking.threshold!;
  let layer = options.layer ?? 0;
  const bestOf = (l: number) => rankRows(ranking, { layer: l, threshold })[0]?.index ?? null;
  let neuron: number | null = bestOf(layer);

  const root = frame(doc, "explorer", state.title);
  const controls = h(doc, "div");
  controls.append(
    slider(doc, {
      testid: "explorer-threshold",
      label: `${state.metric} threshold`,
      ...thresholdRange(state.score),
      value: threshold,
      onInput: (v) => {
        threshold = v;
        drawTable();
        drawRanking();
      },
    }).root,
  );
  if (state.iou) {
    controls.append(
      slider(doc, {
        testid: "explorer-iou",
        label: "dissection IoU threshold",
        min: 0,
        max: 0.5,
        step: 0.005,
        value: iouThreshold,
        onInput: (v) => {
          iouThreshold = v;
          ranking = explorerRanking(state, iouThreshold, best);
          drawOverview();
          drawTable();
          drawRanking();
          drawCardBox();
        },
      }).root,
    );
  }
  const count = h(doc, "div", { "data-testid": "explorer-count", style: "margin:2px 0 6px" });
  const overview = h(doc, "div", { "data-testid": "explorer-overview" });
  const table = h(doc, "table", {
    "data-testid": "explorer-table",
    style: "border-collapse:collapse",
  });
  const rankingTitle = h(doc, "div", {
    "data-testid": "explorer-ranking-title",
    style: "font-weight:600;margin-top:8px",
  });
  const rankingBox = h(doc, "div", { "data-testid": "explorer-ranking" });
  const cardBox = h(doc, "div", {
    "data-testid": "explorer-card",
    style: "border-top:1px solid #ddd;margin-top:6px;padding-top:4px",
  });
  const lower = h(doc, "div", {
    style: "display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start",
  });
  const left = h(doc, "div");
  left.append(rankingTitle, rankingBox);
  lower.append(left, cardBox);
  root.append(controls, count, overview, table, lower);

  const selectLayer = (l: number) => {
    layer = l;
    neuron = bestOf(l);
    drawOverview();
    drawTable();
    drawRanking();
    drawCardBox();
  };
  function drawOverview(): void {
    clear(overview);
    overview.append(drawOverviewCharts(doc, state, {
      iouThreshold,
      selected: layer,
      onSelectLayer: selectLayer,
      best,
      width: Math.min(420, options.width ?? 420),
    }));
  }
  function drawTable(): void {
    const s = explorerSummary(state, threshold, iouThreshold, best);
    const op = (state.higherIsBetter ?? true) ? "≥" : "≤";
    count.textContent =
      `${s.total.passing} of ${s.total.neurons} neurons ${op} ${formatNumber(threshold)}` +
      (state.iou ? ` · ${s.total.detectors} detectors at IoU > ${formatNumber(iouThreshold)}` : "");
    clear(table);
    const head = h(doc, "tr");
    const cols = [
      "layer",
      "neurons",
      `${op} threshold`,
      `mean ${state.metric}`,
      ...(state.iou ? ["detectors", "concepts"] : []),
    ];
    for (const c of cols) {
      head.append(h(doc, "th", { style: "padding:2px 8px;text-align:left" }, c));
    }
    table.append(head);
    for (const r of s.rows) {
      const tr = h(doc, "tr", {
        "data-testid": "explorer-row",
        "data-layer": String(r.index),
        style: `cursor:pointer${r.index === layer ? ";background:#ffe8e3" : ""}`,
      });
      tr.append(
        h(doc, "td", { style: "padding:2px 8px" }, r.layer),
        h(doc, "td", { style: "padding:2px 8px" }, String(r.neurons)),
        h(
          doc,
          "td",
          { "data-testid": "explorer-passing", style: "padding:2px 8px" },
          String(r.passing),
        ),
        h(doc, "td", { style: "padding:2px 8px" }, formatNumber(r.mean)),
      );
      if (state.iou) {
        tr.append(
          h(
            doc,
            "td",
            { "data-testid": "explorer-detectors", style: "padding:2px 8px" },
            String(r.detectors),
          ),
          h(doc, "td", { style: "padding:2px 8px" }, String(r.uniqueConcepts)),
        );
      }
      tr.addEventListener("click", () => selectLayer(r.index));
      table.append(tr);
    }
  }
  function drawRanking(): void {
    const rows = rankRows(ranking, { layer, threshold });
    const passing = rows.filter((r) => r.pass).length;
    rankingTitle.textContent = `neurons of ${
      state.layers[layer]
    } by ${state.metric} (${passing} of ${rows.length} pass)`;
    clear(rankingBox);
    const plot = drawRankingPlot(doc, rows, {
      metric: state.metric,
      threshold,
      selected: neuron,
      width: Math.min(520, options.width ?? 520),
      height: 200,
    });
    plot.addEventListener("click", (event) => {
      const attr = (event.target as Element | null)?.getAttribute?.("data-index");
      const hovered = (plot as unknown as { value?: { index: number } }).value;
      const index = attr != null ? Number(attr) : hovered ? hovered.index : null;
      if (index === null) return;
      neuron = index;
      drawRanking();
      drawCardBox();
    });
    rankingBox.append(plot);
  }
  function drawCardBox(): void {
    clear(cardBox);
    if (neuron === null) {
      cardBox.append(h(doc, "div", {}, "no neuron in this layer"));
      return;
    }
    cardBox.append(
      drawCard(doc, explorerCard(state, neuron, iouThreshold, best), { size: 80, width: 280 }),
    );
  }
  drawOverview();
  drawTable();
  drawRanking();
  drawCardBox();
  el.append(root);
  return () => root.remove();
}
