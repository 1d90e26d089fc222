/// <reference lib="dom" />
/**
 * Widgets from the Deno kernel: an anywidget model opened over
 * `Deno.jupyter.broadcast` (the Jupyter widget message protocol 2.1; the
 * kernel sends, it never receives), displayed with a static fallback, and a
 * handle that pushes new state.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { toWire, type WireState } from "../views/_shared/wire.ts";
import { anywidgetVersion } from "./anywidget_version.ts";
import { viewModule } from "./bundle.ts";
import { createDocument } from "./dom.ts";
import { jupyterTransport } from "./_transport.ts";

/** A displayed widget, to update or export. */
export interface WidgetHandle {
  /** The comm (model) id. */
  id: string;
  /** The view's name (`widgets/views/<view>/`). */
  view: string;
  /** The current state (traits), updated by {@link WidgetHandle.update}. */
  state: Record<string, unknown>;
  /** The view's bundled front-end module (anywidget's `_esm`). */
  esm: string;
  /** A title for exports and text fallbacks. */
  title: string;
  /**
   * Merges `patch` into the state and, in Jupyter, sends it to the front end.
   * The returned promise resolves once the message is handed to the kernel:
   * await it in a notebook cell, or the cell may finish before the update
   * is sent (and a notebook saved right then misses it).
   */
  update(patch: Record<string, unknown>): Promise<void>;
  /** The static HTML fallback for the current state (text only, never user markup). */
  fallbackHtml(): string;
  /** Resolves when every message sent so far has been handed to the kernel. */
  sent(): Promise<void>;
}

/** Options of {@link createWidget}. */
export interface CreateWidgetOptions {
  /** Draws the static fallback shown where widgets cannot run (nbviewer,
   * GitHub). Default: the view's own `view.ts` render drawn server-side, else
   * a line of text naming the view. */
  fallback?: (doc: Document) => Element;
  /** A title for exports and text fallbacks. Default: the view name. */
  title?: string;
  /** The anywidget module to use instead of `widgets/views/<view>/mod.ts`
   * (path or file URL). Default: the view's `mod.ts`. */
  module?: string | URL;
  /** Display the widget now (in Jupyter). `false` opens the model without showing it, and
   * outside Jupyter skips the note on stderr (for widgets made only for `exportHtml`).
   * Default: true. */
  display?: boolean;
}

/** The protocol version of the Jupyter widget messages sent. */
export const WIDGET_PROTOCOL_VERSION = "2.1.0";

let warnedOutside = false;

/**
 * Creates a widget of a view and displays it in Jupyter (anywidget's
 * `AnyModel`/`AnyView`, state split with `toWire` so typed arrays travel as
 * binary buffers). Outside Jupyter nothing is displayed: a note on stderr
 * says how to view it, and the handle still works (e.g. with `exportHtml`).
 *
 * @param view a view folder name under `widgets/views/` (e.g. `"ranking"`)
 * @param state the traits: top-level keys not starting with `_`; plain data
 *   and typed arrays
 * @param options {@link CreateWidgetOptions}
 * @returns the handle
 * @throws {TypeError} for an unknown view, a reserved trait name, or state
 *   that cannot travel
 * @example
 * ```ts
 * import { createWidget } from "./widget.ts";
 * // Outside Jupyter this only prints how to view the widget; in a notebook it shows it.
 * const w = await createWidget("ranking", {
 *   title: "two neurons", metric: "score", layers: ["conv1"],
 *   layerOf: new Int32Array([0, 0]), unit: new Int32Array([0, 1]), score: new Float32Array([3, 1]),
 * });
 * await w.update({ title: "still two neurons" });
 * if (w.state.title !== "still two neurons" || !w.esm) throw new Error("example failed");
 * ```
 */
export async function createWidget(
  view: string,
  state: Record<string, unknown>,
  options: CreateWidgetOptions = {},
): Promise<WidgetHandle> {
  checkTraits(state, "state");
  toWire(state); // fail early, naming the bad value, before any message goes out
  const esm = await viewModule(
    view,
    options.module === undefined ? {} : { entry: options.module },
  );
  const title = options.title ?? view;
  const viewUrl = options.module === undefined
    ? new URL(`../views/${view}/view.ts`, import.meta.url)
    : new URL("./view.ts", toFileUrl(options.module));
  const fallback: Fallback = options.fallback ?? await defaultFallback(viewUrl, title);
  const jupyter = jupyterTransport();
  let queue: Promise<void> = Promise.resolve();
  let failure: unknown;
  const send = (job: () => Promise<void>) => {
    queue = queue.then(job).catch((e) => {
      failure ??= e;
    });
  };
  const handle: WidgetHandle = {
    id: crypto.randomUUID().replaceAll("-", ""),
    view,
    state: { ...state },
    esm,
    title,
    update(patch) {
      checkTraits(patch, "update");
      const wire = toWire(patch);
      Object.assign(handle.state, patch);
      if (!jupyter) return Promise.resolve();
      send(() =>
        jupyter.broadcast("comm_msg", {
          comm_id: handle.id,
          data: { method: "update", state: wire.state, buffer_paths: wire.bufferPaths },
        }, { metadata: { version: WIDGET_PROTOCOL_VERSION }, buffers: bytesOf(wire.buffers) })
      );
      return handle.sent().then(settle);
    },
    fallbackHtml() {
      const doc = createDocument();
      try {
        return fallback(doc, handle.state).outerHTML;
      } catch (e) {
        const div = doc.createElement("div");
        div.textContent = `${title} (static view unavailable: ${(e as Error).message})`;
        return div.outerHTML;
      }
    },
    async sent() {
      await queue;
      if (failure !== undefined) throw failure;
    },
  };
  Object.defineProperty(handle, Symbol.for("Deno.customInspect"), {
    value: () => `Widget(${view} ${handle.id})`,
  });
  if (!jupyter) {
    // Only a widget meant to be shown deserves the note (exports pass display: false).
    if (!warnedOutside && options.display !== false) {
      warnedOutside = true;
      console.error(
        `neurolens: the "${view}" widget needs Jupyter (the Deno kernel: \`deno jupyter --install\`, ` +
          `and the anywidget front end); outside a notebook, write it to a page with ` +
          `exportHtml("report.html", [widget]).`,
      );
    }
    return handle;
  }
  const version = await anywidgetVersion();
  const model = widgetModelState(handle, version);
  send(() =>
    jupyter.broadcast("comm_open", {
      comm_id: handle.id,
      target_name: "jupyter.widget",
      data: { state: model.state, buffer_paths: model.bufferPaths },
    }, { metadata: { version: WIDGET_PROTOCOL_VERSION }, buffers: bytesOf(model.buffers) })
  );
  if (options.display !== false) {
    send(() =>
      jupyter.display({
        "application/vnd.jupyter.widget-view+json": {
          version_major: 2,
          version_minor: 1,
          model_id: handle.id,
        },
        "text/plain": `${title} (an interactive widget: needs the anywidget front end)`,
        "text/html": handle.fallbackHtml(),
      }, { raw: true })
    );
  }
  await handle.sent();
  if (jupyter && options.display !== false) await settle();
  return handle;
}

/**
 * The full anywidget model state of a widget as `comm_open` sends it: the
 * protocol fields, `_esm`, and the traits split by `toWire`.
 *
 * @param handle the widget
 * @param version the anywidget front-end version to announce
 * @returns the JSON state, its binary buffers and their paths
 */
export function widgetModelState(
  handle: Pick<WidgetHandle, "view" | "state" | "esm">,
  version: string,
): WireState {
  const wire = toWire(handle.state);
  return {
    state: {
      _model_module: "anywidget",
      _model_name: "AnyModel",
      _model_module_version: version,
      _view_module: "anywidget",
      _view_name: "AnyView",
      _view_module_version: version,
      _view_count: null,
      _esm: handle.esm,
      // anywidget's name for the widget kind; tests and tools read the view from it.
      _anywidget_id: `neurolens.${handle.view}`,
      ...wire.state,
    },
    buffers: wire.buffers,
    bufferPaths: wire.bufferPaths,
  };
}

type Fallback = (doc: Document, state: Record<string, unknown>) => Element;

/** The view's own render drawn server-side, or a line of text. */
async function defaultFallback(viewUrl: URL, title: string): Promise<Fallback> {
  const text: Fallback = (doc) => {
    const div = doc.createElement("div");
    div.textContent = `${title}: an interactive widget (open in Jupyter with the anywidget ` +
      `front end, or export it with exportHtml)`;
    return div;
  };
  try {
    const mod = await import(viewUrl.href) as {
      render?: (el: HTMLElement, state: unknown, o: { document: Document }) => () => void;
    };
    const render = mod.render;
    if (typeof render !== "function") return text;
    return (doc, state) => {
      const el = doc.createElement("div");
      const cleanup = render(el as HTMLElement, state, { document: doc });
      // The cleanup empties the element: keep a copy of what was drawn.
      const drawn = el.cloneNode(true) as Element;
      cleanup?.();
      return drawn;
    };
  } catch {
    return text;
  }
}

function checkTraits(state: Record<string, unknown>, what: string): void {
  if (state === null || typeof state !== "object" || Array.isArray(state)) {
    throw new TypeError(`Widget ${what} must be an object of traits; got ${typeof state}`);
  }
  for (const key of Object.keys(state)) {
    if (key.startsWith("_")) {
      throw new TypeError(
        `Widget trait "${key}" is reserved (names starting with "_" belong to the widget protocol)`,
      );
    }
  }
}

function toFileUrl(module: string | URL): URL {
  if (module instanceof URL) return module;
  return module.startsWith("file:") ? new URL(module) : pathToFileURL(module);
}

function bytesOf(buffers: DataView[]): Uint8Array[] {
  return buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Waits briefly after a widget message. The Deno kernel (2.9) can report a
 * cell finished before the messages sent just before are delivered, and
 * nbclient (and front ends) then drop them: in a test of 36 widget cells a
 * third lost a display or an update; with this wait none did.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** How long {@link settle} waits, in ms. */
const SETTLE_MS = 100;
