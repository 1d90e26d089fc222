/**
 * Pruning curves, drawing part: accuracy (and loss, when given) side by side.
 *
 * Test ids: `pruning-view`, `pruning-pruned`, `pruning-accuracy` and
 * `pruning-loss` (plots; lines are `path`s under `g.nl-pruning-lines`, one per
 * ranking; bands under `g.nl-pruning-bands`).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { docOf, frame, h, type RenderOptions } from "../_shared/dom.ts";
import { checkPruningState, pruningPlotOptions, type PruningState } from "./spec.ts";

/**
 * Renders the pruning curves into `el`.
 *
 * @param el container
 * @param state a {@link PruningState}
 * @param options document, width of each plot
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: PruningState,
  options: RenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkPruningState(state);
  const root = frame(doc, "pruning", state.title);
  if (state.pruned) {
    root.append(h(doc, "div", { "data-testid": "pruning-pruned" }, `pruned: ${state.pruned}`));
  }
  const row = h(doc, "div", { style: "display:flex;flex-wrap:wrap;gap:16px" });
  const size = options.width ? { width: options.width } : {};
  for (const q of ["accuracy", "loss"] as const) {
    if (q === "loss" && !state.series.some((s) => s.loss)) continue;
    const box = h(doc, "div", { "data-testid": `pruning-${q}` });
    box.append(Plot.plot({ ...pruningPlotOptions(state, q, size), document: doc }));
    row.append(box);
  }
  root.append(row);
  el.append(root);
  return () => root.remove();
}
