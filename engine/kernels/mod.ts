/**
 * Kernels neurolens registers on the WASM backend: gradients tfjs lacks,
 * a correct max-pool gradient, and a zero-copy identity.
 *
 * @module
 */
import { registerWasmGradients } from "./wasm_gradients.ts";
import { registerWasmIdentity } from "./wasm_identity.ts";
import { registerWasmMaxPoolGrad } from "./wasm_max_pool_grad.ts";

/** Registers every WASM kernel replacement; idempotent. Call after the backend is ready. */
export function registerWasmKernels(): void {
  registerWasmGradients();
  registerWasmMaxPoolGrad();
  registerWasmIdentity();
}
