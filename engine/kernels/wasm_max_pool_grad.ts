/**
 * A correct `MaxPoolGrad` for the WASM backend.
 *
 * tfjs-backend-wasm 4.22's `MaxPoolGrad` (and `MaxPoolWithArgmax`) start
 * their search for the window maximum at the smallest positive float instead
 * of −∞, so a window whose values are all ≤ 0 sends its gradient to the
 * wrong place (or nowhere). The forward `MaxPool` (XNNPACK) is correct. This
 * hits anything pooling a tanh, a BatchNorm output or a replaced activation,
 * and ReLU networks too: a window of zeros loses its (sub)gradient, which
 * matters for gradients taken with respect to post-ReLU activations.
 *
 * The arg-max of a window does not change when a constant is added to every
 * value, so when the input has values ≤ 0 the original kernel is run on
 * `input + (1 − min(input))`, which is positive. The shift can only merge
 * values closer than float32 resolution at the shifted scale into ties;
 * ties go to the last maximum of a window (the CPU backend picks the first;
 * both are valid subgradients).
 *
 * @module
 */
import { tf } from "../deps.ts";

interface WasmBackend {
  write(values: Float32Array, shape: number[], dtype: tf.DataType): object;
  readSync(dataId: object): Float32Array;
  disposeData(dataId: object): void;
}

let registered = false;

/** Replaces the WASM `MaxPoolGrad` kernel with the corrected one; idempotent. */
export function registerWasmMaxPoolGrad(): void {
  if (registered) return;
  const original = tf.getKernel("MaxPoolGrad", "wasm");
  const min = tf.getKernel("Min", "wasm");
  const add = tf.getKernel("Add", "wasm");
  if (!original || !min || !add) return;
  registered = true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackend;
    const input = inputs.input as tf.TensorInfo;
    const all = input.shape.map((_, i) => i);
    const low = min.kernelFunc({
      inputs: { x: input },
      backend: args.backend,
      attrs: { axis: all, keepDims: false },
    }) as tf.TensorInfo;
    const lowest = backend.readSync(low.dataId)[0]!;
    backend.disposeData(low.dataId);
    if (lowest > 0) return original.kernelFunc(args);
    const shift: tf.TensorInfo = {
      dataId: backend.write(new Float32Array([1 - lowest]), [], "float32"),
      shape: [],
      dtype: "float32",
    };
    const shifted = add.kernelFunc({
      inputs: { a: input, b: shift },
      backend: args.backend,
      attrs: {},
    }) as tf.TensorInfo;
    try {
      return original.kernelFunc({
        inputs: { ...inputs, input: shifted },
        backend: args.backend,
        attrs: attrs ?? {},
      });
    } finally {
      backend.disposeData(shift.dataId);
      backend.disposeData(shifted.dataId);
    }
  };
  tf.unregisterKernel("MaxPoolGrad", "wasm");
  tf.registerKernel({ kernelName: "MaxPoolGrad", backendName: "wasm", kernelFunc });
}
