/**
 * A faster `Sum` over all axes but the last, on the WASM backend.
 *
 * Every conv and dense layer's bias gradient is such a sum of dy over
 * [N, H, W]. The stock WASM kernel reduces innermost axes only, so it first
 * transposes the whole of dy to channels-first (a strided copy as large as
 * dy) and then sums. Reading dy once in place, channels innermost, and
 * accumulating per channel skips that copy (a SIMD kernel when the channels
 * are a multiple of 4, `_simd_channels.ts`). Other reductions, and non-float
 * inputs, go to the stock kernel.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { simdColumnSums } from "./_simd_channels.ts";
import { wasmHeap } from "./_simd_runtime.ts";

interface HeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

let registered = false;

/** Wraps the WASM `Sum` kernel; idempotent. */
export function registerWasmSum(): void {
  const original = tf.getKernel("Sum", "wasm");
  if (registered || !original) return;
  registered = true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const leading = rank >= 2 && axes.length === rank - 1 &&
      [...axes].sort((a, b) => a - b).every((a, i) => a === i);
    if (!leading || x.dtype !== "float32") return original.kernelFunc(args);
    const channels = x.shape[rank - 1] as number;
    const shape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
    const backend = args.backend as unknown as HeapBackend;
    const simd = wasmHeap(args.backend);
    const size = x.shape.reduce((a, b) => a * b, 1);
    const sums = simd !== null && channels % 4 === 0
      ? simdColumnSums(simd, simd.address(x), size / channels, channels)
      : columnSums(backend.typedArrayFromHeap(x), channels);
    const out = backend.makeOutput(shape, "float32");
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  tf.unregisterKernel("Sum", "wasm");
  tf.registerKernel({ kernelName: "Sum", backendName: "wasm", kernelFunc });
}

/** Sums of each of the `channels` columns of row-major `values`, in doubles. */
function columnSums(values: Float32Array, channels: number): Float64Array {
  const sums = new Float64Array(channels);
  const n = values.length;
  if (channels === 1) {
    let s = 0;
    for (let p = 0; p < n; p++) s += values[p]!;
    sums[0] = s;
    return sums;
  }
  for (let p = 0; p < n; p += channels) {
    for (let c = 0; c < channels; c++) sums[c]! += values[p + c]!;
  }
  return sums;
}
