/**
 * Every notebook runs top to bottom on the Deno kernel (nbclient through
 * `jupyter nbconvert --execute`) with no error output, and the widget state
 * it leaves is a complete anywidget model.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { toolTest } from "../browser/_browser.ts";
import { displayedViews, errorOutputs, executeNotebook, listNotebooks } from "./_execute.ts";
import type { WidgetModelState, WidgetStateBundle } from "../browser/_browser.ts";

/** Traits each view's widgets must carry (beyond `_esm`): what the notebooks rely on. */
const EXPECTED_TRAITS: Record<string, string[]> = {
  ranking: ["title", "metric", "layers", "layerOf", "unit", "score"],
  // The explorer's cards (pictures, examples, histograms) and imageShape come from the quickstart.
  explorer: ["title", "metric", "layers", "layerOf", "unit", "score", "imageShape", "cards"],
  // Dissection views: the IoU matrix and concept categories the browser re-thresholds.
  layer_overview: [
    "title",
    "metric",
    "layers",
    "layerOf",
    "unit",
    "score",
    "concepts",
    "categories",
    "conceptCategory",
    "iou",
    "iouThreshold",
  ],
  // The maps notebook passes the scenes, so the gallery draws maps over images.
  map_gallery: ["title", "rowLabels", "columnLabels", "imageShape", "maps", "images"],
  curves: ["title", "curves", "xLabel", "yLabel", "scoreName", "scores"],
  pruning: ["title", "ratios", "series", "pruned"],
  training_monitor: [
    "title",
    "layers",
    "epochs",
    "testAccuracy",
    "trainAccuracy",
    "correlations",
    "importance",
  ],
};

/** What each notebook must show, at least. */
const EXPECTED_VIEWS: Record<string, string[]> = {
  quickstart: ["ranking", "explorer"],
  maps: ["map_gallery", "curves"],
  dissection: ["layer_overview"],
  pruning: ["pruning"],
  training_monitor: ["training_monitor"],
};

/** How many widgets of a view each notebook shows, where it shows several. */
const EXPECTED_COUNTS: Record<string, Record<string, number>> = {
  // Region perturbation (AOPC) and deletion/insertion.
  maps: { curves: 2 },
  // Before and after the random rotation.
  dissection: { layer_overview: 2 },
};

for (const path of await listNotebooks()) {
  const name = basename(path, ".ipynb");
  await toolTest(`notebook ${name} runs on the Deno kernel and saves anywidget state`, [
    "jupyter",
  ], async () => {
    const out = await Deno.makeTempDir({ prefix: `nb-${name}-` });
    try {
      const started = performance.now();
      const nb = await executeNotebook(path, out);
      console.log(
        `${name}.ipynb executed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      assert.equal(nb.nbformat, 4);
      assert.ok(nb.nbformat_minor >= 5, "cells need ids (nbformat 4.5)");
      for (const c of nb.cells) assert.equal(typeof c.id, "string", "every cell has an id");
      assert.deepEqual(errorOutputs(nb), [], "no cell may end in an error");
      const widgets = nb.metadata.widgets as Record<string, unknown> | undefined;
      const bundle = widgets?.["application/vnd.jupyter.widget-state+json"] as
        | WidgetStateBundle
        | undefined;
      const views = displayedViews(nb);
      if (views.length === 0 && !(name in EXPECTED_VIEWS)) return;
      assert.ok(bundle, "executed notebook has widget state");
      const seen: string[] = [];
      for (const v of views) {
        const model: WidgetModelState | undefined = bundle.state[v.modelId];
        assert.ok(model, `displayed model ${v.modelId} has saved state`);
        assert.equal(model.model_module, "anywidget");
        assert.equal(model.model_name, "AnyModel");
        assert.match(model.model_module_version, /^\d+\.\d+\.\d+/);
        const esm: unknown = model.state._esm;
        assert.ok(typeof esm === "string" && esm.length > 1000, "_esm holds the bundled view");
        const id: string = String(model.state._anywidget_id ?? "");
        assert.match(id, /^neurolens\./);
        const view: string = id.slice("neurolens.".length);
        seen.push(view);
        for (const trait of (EXPECTED_TRAITS[view] ?? []) as readonly string[]) {
          assert.ok(trait in model.state, `${view} widget has trait "${trait}"`);
        }
        // Typed arrays travel as binary buffers, not JSON numbers.
        for (const b of model.buffers ?? []) assert.equal(b.encoding, "base64");
      }
      for (const view of EXPECTED_VIEWS[name] ?? []) {
        assert.ok(seen.includes(view), `${name} shows a ${view} widget (saw ${seen.join(", ")})`);
      }
      for (const [view, n] of Object.entries(EXPECTED_COUNTS[name] ?? {})) {
        assert.equal(
          seen.filter((v) => v === view).length,
          n,
          `${name} shows ${n} ${view} widgets`,
        );
      }
      if (name === "quickstart") {
        // The ranking is the first view (the browser test drives it); the
        // update cell pushed a new metric to that same widget.
        const model = bundle.state[views[0]!.modelId]!;
        assert.equal(model.state._anywidget_id, "neurolens.ranking");
        assert.equal(model.state.metric, "active fraction");
        assert.deepEqual(model.buffers?.map((b) => b.path.join(".")).sort(), [
          "layerOf.data",
          "score.data",
          "unit.data",
        ]);
        // Every conv neuron of mnist-cnn (16 + 16 + 32 + 32 + 64), and the
        // explorer's NeuronIM neurons of the two layers it scores, each with a card.
        const length = (m: WidgetModelState, path: string) =>
          atob(m.buffers?.find((b) => b.path.join(".") === path)?.data ?? "").length / 4;
        assert.equal(length(model, "score.data"), 160);
        const explorer = views.map((v) => bundle.state[v.modelId]!).find((m) =>
          m.state._anywidget_id === "neurolens.explorer"
        )!;
        assert.deepEqual(explorer.state.layers, ["block2_conv2", "block3_conv1"]);
        assert.equal(length(explorer, "score.data"), 32 + 64);
        assert.ok(Array.isArray(explorer.state.cards) && explorer.state.cards.length === 32);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}
