/// <reference lib="dom" />
/**
 * A server-side DOM for drawing views outside a browser (static SVG/HTML
 * fallbacks in notebooks, tests), from linkedom.
 *
 * @module
 */
// 0.18.12, not newer: 0.18.13+ depend on a package the npm registry does not serve.
import { parseHTML } from "npm:linkedom@0.18.12";

/**
 * A fresh, empty HTML document with a `<body>`, for rendering a view in Deno.
 *
 * @returns the document; `document.body` is where to render.
 * @example
 * ```ts
 * import { createDocument } from "./dom.ts";
 * const doc = createDocument();
 * const div = doc.createElement("div");
 * div.textContent = "<b>text</b>";
 * doc.body.append(div);
 * if (!doc.body.innerHTML.includes("&lt;b&gt;text")) throw new Error("not escaped");
 * ```
 */
export function createDocument(): Document {
  const { document } = parseHTML("<!doctype html><html><head></head><body></body></html>");
  return document as unknown as Document;
}
