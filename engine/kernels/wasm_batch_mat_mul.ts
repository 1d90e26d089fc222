/**
 * `BatchMatMul` with `transposeA` on the WASM backend, made fast.
 *
 * The stock WASM kernel handles `transposeA` with a strided inner loop that
 * runs about 4× slower than transposing A first and multiplying (RECIPES.md,
 * measured). Dense layers hit it in every backward pass (dW = xᵀ·dy). This
 * wrapper transposes A with the `Transpose` kernel and calls the original
 * kernel without the flag; everything else goes straight through.
 *
 * @module
 */
import { tf } from "../deps.ts";

interface DisposingBackend {
  disposeData(dataId: object): void;
}

let registered = false;

/** Wraps the WASM `BatchMatMul` kernel; idempotent. */
export function registerWasmBatchMatMul(): void {
  const original = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (registered || !original || !transpose) return;
  registered = true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!attrs.transposeA) return original.kernelFunc(args);
    const a = args.inputs.a as tf.TensorInfo;
    const perm = a.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [
      perm[perm.length - 1]!,
      perm[perm.length - 2]!,
    ];
    const at = transpose.kernelFunc({
      inputs: { x: a },
      backend: args.backend,
      attrs: { perm },
    }) as tf.TensorInfo;
    try {
      return original.kernelFunc({
        inputs: { ...args.inputs, a: at },
        backend: args.backend,
        attrs: { ...attrs, transposeA: false } as unknown as tf.NamedAttrMap,
      });
    } finally {
      (args.backend as unknown as DisposingBackend).disposeData(at.dataId);
    }
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", kernelFunc });
}
