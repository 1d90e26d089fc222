/// <reference lib="dom" />
/**
 * Plain-DOM helpers shared by the views: every piece of user text goes
 * through `textContent`, never `innerHTML`, so a layer name or a concept label
 * like `<img src=x onerror=…>` stays text.
 *
 * Browser-safe: no Deno APIs.
 *
 * @module
 */

/** Options every view's `render` accepts. */
export interface RenderOptions {
  /** Document to create elements in. Default: `el.ownerDocument`. */
  document?: Document;
  /** Plot width in pixels. Default: 640. */
  width?: number;
}

/** The document a view draws into: the option, else the element's own. */
export function docOf(el: HTMLElement, options?: RenderOptions): Document {
  const doc = options?.document ?? el.ownerDocument;
  if (!doc) throw new TypeError("render: the element has no ownerDocument; pass options.document");
  return doc;
}

/**
 * Creates an element with attributes and (text-only) content.
 *
 * @param doc the document
 * @param tag tag name
 * @param attrs attributes set with `setAttribute` (values are strings)
 * @param text text content, set with `textContent` (never parsed as HTML)
 * @returns the element
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A labelled range slider; `onInput` gets the new value on every move. */
export function slider(
  doc: Document,
  opts: {
    testid: string;
    label: string;
    min: number;
    max: number;
    step: number;
    value: number;
    onInput: (v: number) => void;
  },
): { root: HTMLElement; input: HTMLInputElement; readout: HTMLElement } {
  const root = h(doc, "label", {
    class: "nl-slider",
    style:
      "display:inline-flex;gap:6px;align-items:center;margin:4px 12px 4px 0;font:12px system-ui,sans-serif",
  });
  const input = h(doc, "input", {
    type: "range",
    "data-testid": opts.testid,
    min: String(opts.min),
    max: String(opts.max),
    step: String(opts.step),
    value: String(opts.value),
  });
  // linkedom ignores the value attribute on reads: set the property too.
  input.value = String(opts.value);
  const readout = h(
    doc,
    "span",
    { "data-testid": `${opts.testid}-value` },
    formatNumber(opts.value),
  );
  input.addEventListener("input", () => {
    const v = Number(input.value);
    readout.textContent = formatNumber(v);
    opts.onInput(v);
  });
  root.append(h(doc, "span", {}, opts.label), input, readout);
  return { root, input, readout };
}

/** A `<select>` whose options are user text (set as text). */
export function select(
  doc: Document,
  opts: {
    testid: string;
    label: string;
    options: { value: string; text: string }[];
    value: string;
    onChange: (v: string) => void;
  },
): { root: HTMLElement; select: HTMLSelectElement } {
  const root = h(doc, "label", {
    style:
      "display:inline-flex;gap:6px;align-items:center;margin:4px 12px 4px 0;font:12px system-ui,sans-serif",
  });
  const sel = h(doc, "select", { "data-testid": opts.testid });
  for (const o of opts.options) {
    const opt = h(doc, "option", { value: o.value }, o.text);
    if (o.value === opts.value) opt.setAttribute("selected", "");
    sel.append(opt);
  }
  sel.addEventListener("change", () => opts.onChange(sel.value));
  root.append(h(doc, "span", {}, opts.label), sel);
  return { root, select: sel };
}

/** Compact number formatting for read-outs and tips. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toFixed(a < 1 ? 3 : a < 100 ? 2 : 1)));
}

/** Removes every child of `el` (cleanup and redraw). */
export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** The view's root container with a title line (text only). */
export function frame(doc: Document, view: string, title: string): HTMLElement {
  const root = h(doc, "div", {
    class: `nl-view nl-${view}`,
    "data-testid": `${view}-view`,
    style: "font:12px system-ui,sans-serif;color:#222",
  });
  if (title) {
    root.append(
      h(doc, "div", {
        "data-testid": `${view}-title`,
        style: "font-weight:600;font-size:14px;margin:4px 0",
      }, title),
    );
  }
  return root;
}
