/**
 * Test helpers: render a view into a linkedom document and query it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createDocument } from "../../../widgets/host/dom.ts";
import { XSS_LABEL } from "../../../widgets/views/_shared/sample_util.ts";

/** Renders with `render(el, state, { document })` and returns the document and container. */
export function renderInto<S, O extends { document?: Document }>(
  render: (el: HTMLElement, state: S, options?: O) => () => void,
  state: S,
  options?: Omit<O, "document">,
): { doc: Document; el: HTMLElement; cleanup: () => void } {
  const doc = createDocument();
  const el = doc.createElement("div");
  doc.body.append(el);
  const cleanup = render(el, state, { ...(options ?? {}), document: doc } as O);
  return { doc, el, cleanup };
}

/** All elements with a `data-testid`. */
export function byTestId(root: ParentNode, id: string): Element[] {
  return Array.from(root.querySelectorAll(`[data-testid="${id}"]`));
}

/** The single element with a `data-testid` (fails when absent). */
export function one(root: ParentNode, id: string): Element {
  const e = root.querySelector(`[data-testid="${id}"]`);
  assert.ok(e, `no element with data-testid="${id}"`);
  return e;
}

/** Asserts that the XSS label is present as text and created no element. */
export function assertXssSafe(doc: Document): void {
  const html = doc.body.innerHTML;
  assert.equal(doc.querySelectorAll("img").length, 0, "an <img> element was created");
  assert.ok(!html.includes(XSS_LABEL), "the raw label reached the markup");
  // Not even inside an attribute value: user text stays out of attributes.
  assert.ok(!/<img/i.test(html), "a literal <img appears in the markup");
  assert.ok(
    html.includes("&lt;img src=x onerror="),
    "the label is not shown as text",
  );
  assert.ok(doc.body.textContent?.includes(XSS_LABEL), "the label text is missing");
  for (const e of Array.from(doc.querySelectorAll("*"))) {
    for (const a of Array.from(e.attributes)) {
      assert.ok(!a.name.startsWith("on"), `event-handler attribute ${a.name} on <${e.tagName}>`);
    }
  }
}

/** Fires a DOM event on an element (linkedom's Event). */
export function fire(doc: Document, el: Element, type: string): void {
  const win = doc.defaultView as unknown as { Event: typeof Event };
  el.dispatchEvent(new win.Event(type, { bubbles: true }));
}

/** Sets a range input's value and fires `input`. */
export function slide(doc: Document, input: Element, value: number): void {
  (input as HTMLInputElement).value = String(value);
  fire(doc, input, "input");
}
