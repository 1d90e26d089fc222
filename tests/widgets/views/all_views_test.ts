// Every view, generically: it has spec/view/mod/sample, its sample renders in
// a server-side DOM with user text kept as text, and its anywidget module
// renders the same sample after a trip through the wire format and redraws
// on a kernel update.
import assert from "node:assert/strict";
import { toWire } from "../../../widgets/views/_shared/wire.ts";
import { XSS_LABEL } from "../../../widgets/views/_shared/sample_util.ts";
import type { AnyModel } from "../../../widgets/views/_shared/anywidget.ts";
import { assertXssSafe, renderInto } from "./_render.ts";
import { createDocument } from "../../../widgets/host/dom.ts";

const VIEWS = new URL("../../../widgets/views/", import.meta.url);
const names = Array.from(Deno.readDirSync(VIEWS))
  .filter((e) => e.isDirectory && !e.name.startsWith("_"))
  .map((e) => e.name)
  .sort();

Deno.test("every view folder has spec.ts, view.ts, mod.ts and sample.ts", () => {
  assert.deepEqual(names, [
    "curves",
    "explorer",
    "layer_overview",
    "map_gallery",
    "neuron_card",
    "pruning",
    "ranking",
    "training_monitor",
  ]);
  for (const n of names) {
    for (const f of ["spec.ts", "view.ts", "mod.ts", "sample.ts"]) {
      assert.ok(Deno.statSync(new URL(`${n}/${f}`, VIEWS)).isFile, `${n}/${f}`);
    }
  }
});

/** A stand-in for anywidget's model over a wire state (buffers placed at their paths). */
function fakeModel(state: Record<string, unknown>) {
  const wire = toWire(state);
  const placed = structuredClone(wire.state);
  wire.bufferPaths.forEach((path, i) => {
    let o = placed as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
    o[path[path.length - 1]!] = wire.buffers[i];
  });
  const listeners = new Map<string, Set<() => void>>();
  const model: AnyModel & { set(k: string, v: unknown): void; count(): number } = {
    get: (k) => (placed as Record<string, unknown>)[k],
    on: (e, cb) => {
      if (!listeners.has(e)) listeners.set(e, new Set());
      listeners.get(e)!.add(cb);
    },
    off: (e, cb) => {
      if (e && cb) listeners.get(e)?.delete(cb);
      else listeners.clear();
    },
    set(k, v) {
      (placed as Record<string, unknown>)[k] = toWire({ [k]: v }).state[k];
      for (const cb of listeners.get(`change:${k}`) ?? []) cb();
    },
    count: () => [...listeners.values()].reduce((s, l) => s + l.size, 0),
  };
  return model;
}

for (const name of names) {
  Deno.test(`${name}: the sample renders with labels as text, and its anywidget module round-trips`, async () => {
    const { render } = await import(new URL(`${name}/view.ts`, VIEWS).href);
    const { sampleState } = await import(new URL(`${name}/sample.ts`, VIEWS).href);
    const state = sampleState();
    const json = JSON.stringify(state, (_k, v) => (ArrayBuffer.isView(v) ? "[typed]" : v));
    assert.ok(json.includes(XSS_LABEL.replaceAll('"', '\\"')), "the sample carries the XSS probe");
    const { doc, el, cleanup } = renderInto(render, state);
    assert.ok(el.querySelector(`[data-testid="${name}-view"]`));
    assertXssSafe(doc);
    const html = el.innerHTML;
    cleanup();
    assert.equal(el.children.length, 0, "cleanup empties the element");

    // The front-end module on a model fed through the wire format.
    const mod = (await import(new URL(`${name}/mod.ts`, VIEWS).href)).default;
    const doc2 = createDocument();
    const el2 = doc2.createElement("div");
    doc2.body.append(el2);
    const model = fakeModel(state);
    const stop = mod.render({ model, el: el2 });
    assert.equal(el2.querySelector('[data-testid="view-error"]'), null, el2.textContent ?? "");
    // Plot numbers its markers with a global counter.
    const norm = (s: string) => s.replace(/plot-marker-\d+/g, "plot-marker");
    assert.equal(norm(el2.innerHTML), norm(html), "same drawing after the wire round trip");
    // A kernel update redraws once, after the microtask.
    model.set("title", "updated <b>title</b>");
    await Promise.resolve();
    assert.equal(el2.querySelectorAll(`[data-testid="${name}-view"]`).length, 1);
    assert.equal(
      el2.querySelector(`[data-testid="${name}-title"]`)?.textContent,
      "updated <b>title</b>",
    );
    assert.equal(el2.querySelectorAll("b").length, 0);
    stop();
    assert.equal(model.count(), 0, "cleanup removes the listeners");
    assert.equal(el2.children.length, 0);
  });
}

Deno.test("a broken state shows its error in the output instead of a blank cell", async () => {
  const mod = (await import(new URL("ranking/mod.ts", VIEWS).href)).default;
  const doc = createDocument();
  const el = doc.createElement("div");
  const model = fakeModel({
    title: "t",
    metric: "m",
    layers: ["a"],
    layerOf: new Int32Array([3]),
    unit: new Int32Array([0]),
    score: new Float32Array([1]),
  });
  const stop = mod.render({ model, el });
  assert.match(el.querySelector('[data-testid="view-error"]')!.textContent!, /layerOf\[0\] is 3/);
  stop();
});
