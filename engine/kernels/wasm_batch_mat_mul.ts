/**
 * `BatchMatMul` with `transposeA` or `transposeB` on the WASM backend, made fast.
 *
 * The stock WASM kernel runs XNNPACK only for untransposed operands; a
 * transpose flag sends it to a strided generic loop: about 4× slower than
 * transposing A first and multiplying (RECIPES.md, measured), and about 5×
 * for B (a [64,128]·[576,128]ᵀ product: 7.1 ms against 1.5 ms). Dense layers
 * hit both in every backward pass (dW = xᵀ·dy, dx = dy·Wᵀ). This wrapper
 * transposes the flagged operands with the `Transpose` kernel and calls the
 * original kernel without the flags; everything else goes straight through.
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
  /** The operand with its last two axes swapped, as a new buffer. */
  const swapped = (x: tf.TensorInfo, backend: object): tf.TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [
      perm[perm.length - 1]!,
      perm[perm.length - 2]!,
    ];
    return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
  };
  const kernelFunc: tf.KernelFunc = (args) => {
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const temps: tf.TensorInfo[] = [];
    try {
      const at = attrs.transposeA ? swapped(a, args.backend) : a;
      if (at !== a) temps.push(at);
      const bt = attrs.transposeB ? swapped(b, args.backend) : b;
      if (bt !== b) temps.push(bt);
      return original.kernelFunc({
        inputs: { ...args.inputs, a: at, b: bt },
        backend: args.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
      });
    } finally {
      for (const t of temps) (args.backend as unknown as DisposingBackend).disposeData(t.dataId);
    }
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", kernelFunc });
}
