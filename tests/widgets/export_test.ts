import assert from "node:assert/strict";
import { exportHtml, exportPage, scriptJson } from "../../widgets/host/export.ts";
import { fromWire } from "../../widgets/views/_shared/wire.ts";

const XSS = `<img src=x onerror="globalThis.__xss=1">`;
const ESM =
  `export default { render({ model, el }) { el.textContent = "</script>" + model.get("name"); } };`;

function widget(id: string, state: Record<string, unknown>, view = "note") {
  return {
    id,
    view,
    title: `${view} ${XSS}`,
    esm: ESM,
    state,
    fallbackHtml: () => "<p>static</p>",
  };
}

/** The JSON of a `<script type="application/json" id=...>` in the page. */
function scriptData(page: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(page);
  assert.ok(m, `script ${id} present and free of "<"`);
  return JSON.parse(m[1]!);
}

Deno.test("exportPage inlines modules and state as script-safe JSON; typed arrays as base64 buffers", () => {
  const scores = new Float32Array([0.5, -2, 3.25]);
  const page = exportPage([
    widget("a", { name: XSS, scores, nested: { ids: new Int32Array([7]) } }),
  ], {
    title: `report ${XSS}`,
  });
  // User text never appears as markup; the only <script> tags are the page's own three.
  assert.ok(!page.includes("<img"), "no raw <img> anywhere in the page");
  assert.equal(page.match(/<script/g)?.length, 3);
  assert.ok(
    page.includes("<title>report &lt;img src=x onerror=&quot;globalThis.__xss=1&quot;&gt;</title>"),
  );
  const modules = scriptData(page, "neurolens-modules") as Record<string, string>;
  assert.deepEqual(Object.values(modules), [ESM]);
  const saved = scriptData(page, "neurolens-state") as Record<string, {
    module: string;
    state: Record<string, unknown>;
    buffers: { path: (string | number)[]; data: string }[];
  }>;
  const [entry] = Object.values(saved);
  assert.ok(entry);
  assert.ok(entry.module in modules);
  assert.deepEqual(entry.buffers.map((b) => b.path), [["scores", "data"], [
    "nested",
    "ids",
    "data",
  ]]);
  // What the page's runtime does: put each decoded buffer at its path, then the view calls fromWire.
  const state = structuredClone(entry.state) as Record<string, Record<string, unknown>>;
  for (const b of entry.buffers) {
    const bytes = Uint8Array.from(atob(b.data), (c) => c.charCodeAt(0));
    let o: Record<string, unknown> = state;
    for (const k of b.path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    o[b.path.at(-1)!] = new DataView(bytes.buffer);
  }
  const back = fromWire(state) as {
    name: string;
    scores: Float32Array;
    nested: { ids: Int32Array };
  };
  assert.equal(back.name, XSS);
  assert.deepEqual(Array.from(back.scores), [0.5, -2, 3.25]);
  assert.deepEqual(Array.from(back.nested.ids), [7]);
  // The static fallback is there for readers without JavaScript; a CSP keeps the page offline.
  assert.ok(page.includes('<div class="nl-fallback"><p>static</p></div>'));
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
});

Deno.test("exportPage shares one module copy between widgets of the same view", () => {
  const page = exportPage([widget("a", { name: "x" }), widget("b", { name: "y" }), {
    ...widget("c", { name: "z" }, "other"),
    esm: ESM + "\n// other",
  }]);
  assert.equal(Object.keys(scriptData(page, "neurolens-modules") as object).length, 2);
  assert.equal(Object.keys(scriptData(page, "neurolens-state") as object).length, 3);
  assert.equal(page.match(/class="nl-widget"/g)?.length, 3);
});

Deno.test("exportPage rejects an empty list, non-widgets and state that cannot travel", () => {
  assert.throws(
    () => exportPage([]),
    (e: Error) => e instanceof TypeError && /at least one widget/.test(e.message),
  );
  assert.throws(
    () => exportPage([{ id: "x" } as never]),
    (e: Error) => e instanceof TypeError && /Widget 0 is not a widget handle/.test(e.message),
  );
  assert.throws(
    () => exportPage([widget("a", { bad: Infinity })]),
    (e: Error) => e instanceof TypeError && /bad is Infinity/.test(e.message),
  );
});

Deno.test("scriptJson escapes <, >, & and line separators and still parses to the same value", () => {
  const value = { s: "</script><!-- & \u2028 \u2029 >" };
  const text = scriptJson(value);
  assert.ok(!/[<>&\u2028\u2029]/.test(text));
  assert.deepEqual(JSON.parse(text), value);
});

Deno.test("exportHtml writes the page to a file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".html" });
  try {
    await exportHtml(path, [widget("a", { name: "x" })], { title: "t" });
    const text = await Deno.readTextFile(path);
    assert.equal(text, exportPage([widget("a", { name: "x" })], { title: "t" }));
  } finally {
    await Deno.remove(path);
  }
});
