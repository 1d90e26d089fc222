/**
 * Every third-party package the engine uses, pinned in one place.
 *
 * Users import `mod.ts` from their own notebooks, where this repository's
 * import map does not apply, so the source names full `npm:` specifiers here
 * and everything else imports from this module.
 *
 * @module
 */
export * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
export * as tfl from "npm:@tensorflow/tfjs-layers@4.22.0";
export { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

/** The version of tfjs every package above is pinned to. */
export const TFJS_VERSION = "4.22.0";
