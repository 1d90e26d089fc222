/**
 * Training monitor, drawing part: accuracy lines; below, for a chosen layer
 * and epoch (a select and a slider), the correlation heatmap and the filter
 * importance bars.
 *
 * Test ids: `training_monitor-view`, `monitor-accuracy` (lines: `path`s under
 * `g.nl-monitor-lines`, one per layer), `monitor-layer` (select),
 * `monitor-epoch` (range input over the epochs), `monitor-correlation`
 * (`rect`s under `g.nl-monitor-cells`, C² of them), `monitor-correlation-title`,
 * `monitor-legend`, `monitor-importance` (`rect`s under `g.nl-monitor-bars`).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { clear, docOf, frame, h, type RenderOptions, select, slider } from "../_shared/dom.ts";
import { colorLegend } from "../_shared/legend.ts";
import {
  accuracyPlotOptions,
  checkMonitorState,
  correlationPlotOptions,
  entryAt,
  importancePlotOptions,
  type TrainingMonitorState,
} from "./spec.ts";

/**
 * Renders the training monitor into `el`.
 *
 * @param el container
 * @param state a {@link TrainingMonitorState}
 * @param options document, width
 * @returns cleanup that removes what was drawn
 */
export function render(
  el: HTMLElement,
  state: TrainingMonitorState,
  options: RenderOptions = {},
): () => void {
  const doc = docOf(el, options);
  checkMonitorState(state);
  const root = frame(doc, "training_monitor", state.title);
  const acc = h(doc, "div", { "data-testid": "monitor-accuracy" });
  acc.append(
    Plot.plot({
      ...accuracyPlotOptions(state, options.width ? { width: options.width } : {}),
      document: doc,
    }),
  );
  root.append(acc);
  const corr = state.correlations ?? [];
  const imp = state.importance ?? [];
  const detailLayers = [...new Set([...corr, ...imp].map((e) => e.layer))];
  if (detailLayers.length) {
    const epochs = [...new Set([...corr, ...imp].map((e) => e.epoch))].sort((a, b) => a - b);
    let layer = detailLayers[0]!;
    let epoch = epochs[epochs.length - 1]!;
    const controls = h(doc, "div");
    controls.append(
      select(doc, {
        testid: "monitor-layer",
        label: "layer",
        // Option values are indices: user text never goes into attributes.
        options: detailLayers.map((l, i) => ({ value: String(i), text: l })),
        value: "0",
        onChange: (v) => {
          layer = detailLayers[Number(v)]!;
          redraw();
        },
      }).root,
    );
    if (epochs.length > 1) {
      controls.append(
        slider(doc, {
          testid: "monitor-epoch",
          label: "epoch",
          min: epochs[0]!,
          max: epochs[epochs.length - 1]!,
          step: 1,
          value: epoch,
          onInput: (v) => {
            epoch = v;
            redraw();
          },
        }).root,
      );
    }
    const detail = h(doc, "div", {
      style: "display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start",
    });
    root.append(controls, detail);
    const redraw = () => {
      clear(detail);
      const c = entryAt(corr, layer, epoch);
      if (c) {
        const box = h(doc, "div", { "data-testid": "monitor-correlation" });
        box.append(
          h(
            doc,
            "div",
            { "data-testid": "monitor-correlation-title" },
            `channel correlation · ${c.layer} · epoch ${c.epoch} (cluster order)`,
          ),
          Plot.plot({ ...correlationPlotOptions(c), document: doc }),
          colorLegend(doc, "monitor-legend", {
            scheme: "RdBu",
            domain: [-1, 1],
            label: "Pearson r",
            width: 240,
            reverse: true,
          }),
        );
        detail.append(box);
      }
      const m = entryAt(imp, layer, epoch);
      if (m) {
        const box = h(doc, "div", { "data-testid": "monitor-importance" });
        box.append(
          h(doc, "div", {}, `filter importance · ${m.layer} · epoch ${m.epoch}`),
          Plot.plot({ ...importancePlotOptions(m), document: doc }),
        );
        detail.append(box);
      }
    };
    redraw();
  }
  el.append(root);
  return () => root.remove();
}
