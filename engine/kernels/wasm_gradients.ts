/**
 * Gradient kernels for the WASM backend (being written).
 *
 * @module
 */
/** Registers the WASM gradient kernels; idempotent. */
export function registerWasmGradients(): void {}
