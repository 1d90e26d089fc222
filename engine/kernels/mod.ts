/**
 * Kernels neurolens registers on the WASM backend: gradients tfjs lacks,
 * a correct max-pool gradient, a zero-copy identity and same-dtype cast, a fast transposed
 * matmul, a copy-free sum over leading axes (bias gradients) and a SIMD
 * per-channel bias add.
 *
 * @module
 */
import { registerWasmBatchMatMul } from "./wasm_batch_mat_mul.ts";
import { registerWasmBiasAdd } from "./wasm_bias_add.ts";
import { registerWasmGradients } from "./wasm_gradients.ts";
import { registerWasmCast, registerWasmIdentity } from "./wasm_identity.ts";
import { registerWasmMaxPoolGrad } from "./wasm_max_pool_grad.ts";
import { registerWasmSum } from "./wasm_sum.ts";

/** Registers every WASM kernel replacement; idempotent. Call after the backend is ready. */
export function registerWasmKernels(): void {
  registerWasmGradients();
  registerWasmMaxPoolGrad();
  registerWasmIdentity();
  registerWasmCast();
  registerWasmBatchMatMul();
  registerWasmSum();
  registerWasmBiasAdd();
}
