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

/** Traits each view's widgets must carry (beyond `_esm`). */
const EXPECTED_TRAITS: Record<string, string[]> = {
  ranking: ["title", "metric", "layers", "layerOf", "unit", "score"],
};

/** What each notebook must show, at least. */
const EXPECTED_VIEWS: Record<string, string[]> = {
  quickstart: ["ranking"],
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
      if (name === "quickstart") {
        const model = bundle.state[views[0]!.modelId]!;
        // The update cell pushed a new metric to the same widget.
        assert.equal(model.state.metric, "active fraction");
        assert.deepEqual(model.buffers?.map((b) => b.path.join(".")).sort(), [
          "layerOf.data",
          "score.data",
          "unit.data",
        ]);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}
