/**
 * The browser-side packages of the widget views, pinned in one place.
 *
 * Views are bundled for the browser (`deno task build`) and also run in Deno
 * (tests, static fallbacks), so this module must stay browser-safe: no Deno
 * APIs, no Node-only packages. Server-side DOM lives in `widgets/host/dom.ts`.
 *
 * @module
 */
export * as Plot from "npm:@observablehq/plot@0.6.17";

/** The Observable Plot version every view is built with. */
export const PLOT_VERSION = "0.6.17";
