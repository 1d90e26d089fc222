/**
 * Perturbation curves, drawing part: the faceted line chart, its method
 * legend, and the score table (text cells).
 *
 * Test ids: `curves-view`, `curves-plot` (lines: `path`s under
 * `g.nl-curves-lines`, one per curve), `curves-table`, `curves-row` (one per
 * method; first cell the method), `curves-score` (value cells).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { docOf, formatNumber, frame, h, type RenderOptions } from "../_shared/dom.ts";
import { checkCurvesState, curvesPlotOptions, type CurvesState, scoreTable } from "./spec.ts";

/**
 * Renders the curves into `el`.
 *
 * @param el container
 * @param state a {@link CurvesState}
 * @param options document, width
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: CurvesState,
  options: RenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkCurvesState(state);
  const root = frame(doc, "curves", state.title);
  const box = h(doc, "div", { "data-testid": "curves-plot" });
  box.append(
    Plot.plot({
      ...curvesPlotOptions(state, options.width ? { width: options.width } : {}),
      document: doc,
    }),
  );
  root.append(box);
  const t = scoreTable(state);
  if (t.columns.length) {
    const table = h(doc, "table", {
      "data-testid": "curves-table",
      style: "border-collapse:collapse;margin-top:6px",
    });
    const head = h(doc, "tr");
    head.append(h(doc, "th", { style: "text-align:left;padding:2px 8px" }, "method"));
    for (const c of t.columns) head.append(h(doc, "th", { style: "padding:2px 8px" }, c));
    table.append(head);
    for (const r of t.rows) {
      const tr = h(doc, "tr", { "data-testid": "curves-row" });
      tr.append(h(doc, "td", { style: "padding:2px 8px" }, r.method));
      for (const v of r.values) {
        tr.append(
          h(doc, "td", {
            "data-testid": "curves-score",
            style: "padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums",
          }, v === null ? "–" : formatNumber(v)),
        );
      }
      table.append(tr);
    }
    root.append(table);
  }
  el.append(root);
  return () => root.remove();
}
