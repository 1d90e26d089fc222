/**
 * One self-contained HTML page from widgets: each view's bundled module and
 * the saved state inline (typed arrays as base64 buffers), run by a small
 * anywidget-compatible model in the page. No network at view time.
 *
 * @module
 */
import { toWire } from "../views/_shared/wire.ts";
import type { WidgetHandle } from "./widget.ts";

/** Options of {@link exportHtml} and {@link exportPage}. */
export interface ExportOptions {
  /** The page title (shown as text). Default: `"neurolens report"`. */
  title?: string;
}

/** What a page needs from a widget: {@link WidgetHandle} has all of it. */
export type ExportableWidget = Pick<WidgetHandle, "id" | "view" | "state" | "esm" | "title"> & {
  fallbackHtml?: () => string;
};

/**
 * Writes widgets to one self-contained HTML page (DESIGN.md, Widgets).
 *
 * @param path the file to write (`.html`)
 * @param widgets the widgets, in page order
 * @param options {@link ExportOptions}
 * @returns resolves once written
 * @throws {TypeError} for an empty list or state that cannot travel
 * @example
 * ```ts
 * import { exportHtml } from "./export.ts";
 * const path = await Deno.makeTempFile({ suffix: ".html" });
 * const esm = "export default { render({ model, el }) { el.textContent = model.get('msg'); } }";
 * await exportHtml(path, [{ id: "a1", view: "note", title: "note", esm, state: { msg: "hi" } }]);
 * if (!(await Deno.readTextFile(path)).includes("neurolens-state")) throw new Error("no state");
 * await Deno.remove(path);
 * ```
 */
export async function exportHtml(
  path: string,
  widgets: readonly ExportableWidget[],
  options: ExportOptions = {},
): Promise<void> {
  await Deno.writeTextFile(path, exportPage(widgets, options));
}

/**
 * The HTML of {@link exportHtml}'s page, as a string.
 *
 * @param widgets the widgets, in page order
 * @param options {@link ExportOptions}
 * @returns the page
 */
export function exportPage(
  widgets: readonly ExportableWidget[],
  options: ExportOptions = {},
): string {
  if (!Array.isArray(widgets) || widgets.length === 0) {
    throw new TypeError("exportHtml needs at least one widget (got an empty list)");
  }
  const title = options.title ?? "neurolens report";
  const modules: Record<string, string> = {};
  const saved: Record<string, unknown> = {};
  const sections: string[] = [];
  widgets.forEach((w, i) => {
    if (!w || typeof w.esm !== "string" || typeof w.view !== "string") {
      throw new TypeError(`Widget ${i} is not a widget handle (expected view, state and esm)`);
    }
    // Modules are keyed by content so two widgets of one view share a copy.
    const key = `${w.view}:${hash(w.esm)}`;
    modules[key] = w.esm;
    const wire = toWire(w.state);
    const id = `w${i}-${String(w.id).replace(/[^A-Za-z0-9_-]/g, "")}`;
    saved[id] = {
      module: key,
      state: wire.state,
      buffers: wire.buffers.map((b, j) => ({ path: wire.bufferPaths[j], data: base64(b) })),
    };
    let fallback = "";
    try {
      fallback = w.fallbackHtml?.() ?? "";
    } catch {
      // A broken fallback must not stop the export: the live view is the point.
    }
    sections.push(
      `<section class="nl-widget" data-view="${escapeAttr(w.view)}" data-widget-id="${id}">\n` +
        `<h2>${escapeText(w.title ?? w.view)}</h2>\n` +
        `<div class="nl-root" id="${id}"><div class="nl-fallback">${fallback}</div></div>\n` +
        `</section>`,
    );
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' blob:; style-src 'unsafe-inline'; img-src data: blob:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
.nl-widget { margin: 0 0 32px; }
.nl-widget h2 { font-size: 16px; margin: 0 0 8px; }
.nl-error { color: #b00; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>${escapeText(title)}</h1>
${sections.join("\n")}
<script type="application/json" id="neurolens-modules">${scriptJson(modules)}</script>
<script type="application/json" id="neurolens-state">${scriptJson(saved)}</script>
<script type="module">${BOOT}</script>
</body>
</html>
`;
}

/**
 * JSON safe inside a `<script>` element: `<`, `>`, `&` and the JavaScript
 * line separators written as `\u` escapes, so neither `</script>` in a
 * module nor an HTML-escaping exporter can break it (the nbconvert 6.5 bug).
 *
 * @param value any JSON value
 * @returns the JSON text
 * @example
 * ```ts
 * import { scriptJson } from "./export.ts";
 * const s = scriptJson({ esm: "</script><b>&" });
 * if (/[<>&]/.test(s) || JSON.parse(s).esm !== "</script><b>&") throw new Error(s);
 * ```
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeText(s: string): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const escapeAttr = escapeText;

function base64(view: DataView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

// The page's runtime: anywidget's model contract (get/set/on/off/save_changes/
// send) over the saved state, buffers placed as DataViews at their paths the
// way Jupyter's widget manager does, then each module's render. Progress and
// errors are recorded on <body> for people and tests.
const BOOT = `
const started = performance.now();
const modules = JSON.parse(document.getElementById("neurolens-modules").textContent);
const saved = JSON.parse(document.getElementById("neurolens-state").textContent);
const errors = [];
const urls = {};
for (const [k, src] of Object.entries(modules)) {
  urls[k] = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
}
function place(state, path, value) {
  let o = state;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]];
  o[path[path.length - 1]] = value;
}
function decode(b64) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new DataView(bytes.buffer);
}
function makeModel(state) {
  const handlers = new Map();
  const emit = (ev, ...args) => { for (const cb of [...(handlers.get(ev) ?? [])]) cb(...args); };
  return {
    get: (k) => state[k],
    set(k, v) { const old = state[k]; state[k] = v; emit("change:" + k, v, old); emit("change"); },
    on(ev, cb) { for (const e of String(ev).split(" ")) { if (!handlers.has(e)) handlers.set(e, new Set()); handlers.get(e).add(cb); } },
    off(ev, cb) {
      if (!ev) { handlers.clear(); return; }
      for (const e of String(ev).split(" ")) { if (cb) handlers.get(e)?.delete(cb); else handlers.delete(e); }
    },
    save_changes() {},
    send() {},
    widget_manager: { async get_model() { throw new Error("no widget manager in an exported page"); } },
  };
}
async function mount(id, entry) {
  const el = document.getElementById(id);
  try {
    const state = entry.state;
    for (const b of entry.buffers) place(state, b.path, decode(b.data));
    let widget = (await import(urls[entry.module])).default;
    if (typeof widget === "function") widget = await widget();
    const model = makeModel(state);
    await widget.initialize?.({ model });
    el.querySelector(".nl-fallback")?.remove();
    await widget.render?.({ model, el });
    el.dataset.rendered = "true";
  } catch (e) {
    errors.push(id + ": " + (e && e.message || e));
    const pre = document.createElement("pre");
    pre.className = "nl-error";
    pre.textContent = String(e && e.stack || e);
    el.append(pre);
  }
}
await Promise.all(Object.entries(saved).map(([id, entry]) => mount(id, entry)));
document.body.dataset.neurolensMs = (performance.now() - started).toFixed(1);
document.body.dataset.neurolensErrors = String(errors.length);
document.body.dataset.neurolensReady = "true";
`;
