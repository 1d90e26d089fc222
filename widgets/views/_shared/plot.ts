/**
 * Observable Plot for the views, re-exported flat so that bundles keep only
 * the marks a view uses: `widgets/deps.ts` re-exports Plot as a namespace
 * (`export * as Plot`), which `deno bundle` cannot tree-shake (every view
 * came out at ~384 KB; through this module ~255 KB). Same pinned version as
 * `widgets/deps.ts` (a test checks that they agree). Views:
 * `import * as Plot from "../_shared/plot.ts"`.
 *
 * @module
 */
export * from "npm:@observablehq/plot@0.6.17";
