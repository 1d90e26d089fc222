/**
 * Test-only npm pins for the browser tests: Playwright (driving Debian's
 * Chromium), and the two front-end files a page needs to run widgets the
 * way Jupyter does, found on disk so the tests can serve them offline.
 *
 * @module
 */
export { chromium } from "npm:playwright-core@1.65.1";
export type { Browser, Page, Route } from "npm:playwright-core@1.65.1";
import { fileURLToPath } from "node:url";
// JSON imports put both packages in the module graph (so Deno installs them
// and import.meta.resolve finds their files) without running their code.
import _htmlManagerPkg from "npm:@jupyter-widgets/html-manager@1.0.15/package.json" with {
  type: "json",
};
// anywidget exports no package.json; its tiny `types` entry serves the same purpose.
import "npm:anywidget@0.9.21/types";

/** The anywidget front-end version the tests serve (and the kernel's default). */
export const ANYWIDGET_VERSION = "0.9.21";
/** The html-manager version the tests serve. */
export const HTML_MANAGER_VERSION = "1.0.15";

/** Local files the offline page loads, by the URL Jupyter would fetch them from. */
export const FRONT_END_FILES = {
  /** `@jupyter-widgets/html-manager/dist/embed-amd.js`. */
  embedAmd: sibling(
    import.meta.resolve(`npm:@jupyter-widgets/html-manager@${HTML_MANAGER_VERSION}/package.json`),
    "./dist/embed-amd.js",
  ),
  /** `anywidget/dist/index.js` (an AMD module needing `@jupyter-widgets/base`). */
  anywidget: sibling(import.meta.resolve(`npm:anywidget@${ANYWIDGET_VERSION}`), "./index.js"),
  /** requirejs from Debian's libjs-requirejs. */
  requirejs: "/usr/share/javascript/requirejs/require.min.js",
};

/** Where Debian's Chromium lives. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Chromium flags that keep it quiet and offline (RECIPES.md). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The html-manager version read from the installed package (checks the pin). */
export const INSTALLED_HTML_MANAGER = (_htmlManagerPkg as { version: string }).version;

function sibling(entry: string, rel: string): string {
  return fileURLToPath(new URL(rel, entry));
}
