/**
 * A faster broadcasting `Add` of a per-channel vector on the WASM backend.
 *
 * In training, tfjs-layers runs a conv layer with a ReLU unfused (its fused
 * conv has no gradient through the activation), so every conv adds its bias
 * as `Add([N, H, W, C], [C])`. The stock WASM kernel broadcasts through
 * generic index arithmetic at about a third of memory speed; a SIMD kernel
 * (`_simd_channels.ts`) adds the bias four channels at a time. Every other
 * `Add` goes to the stock kernel.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { simdBiasAdd } from "./_simd_channels.ts";
import { wasmHeap } from "./_simd_runtime.ts";

let registered = false;

/** Wraps the WASM `Add` kernel; idempotent. */
export function registerWasmBiasAdd(): void {
  const original = tf.getKernel("Add", "wasm");
  if (registered || !original) return;
  registered = true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const [x, bias] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const channels = x.shape.at(-1) ?? 0;
    const heap = wasmHeap(args.backend);
    if (
      heap === null || x.dtype !== "float32" || bias.dtype !== "float32" ||
      x.shape.length < 2 || bias.shape.length !== 1 || bias.shape[0] !== channels ||
      channels % 4 !== 0
    ) {
      return original.kernelFunc(args);
    }
    const out = heap.output([...x.shape]);
    const rows = x.shape.reduce((p, q) => p * q, 1) / channels;
    simdBiasAdd(
      heap,
      { x: heap.address(x), bias: heap.address(bias), out: heap.address(out) },
      rows,
      channels,
    );
    return out;
  };
  tf.unregisterKernel("Add", "wasm");
  tf.registerKernel({ kernelName: "Add", backendName: "wasm", kernelFunc });
}
