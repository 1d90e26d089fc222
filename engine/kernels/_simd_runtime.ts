/**
 * Running the project's own WebAssembly kernels on tfjs-backend-wasm's heap:
 * each kernel module is assembled and instantiated once per heap, importing
 * that heap's memory, so kernels read and write tensors in place.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { assemble, type WasmFunction } from "./_wasm_asm.ts";

/** An exported kernel: every argument an i32 (addresses in bytes, counts). */
export type Kernel = (...args: number[]) => void;

/** The part of tfjs-backend-wasm's backend the kernels need. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  wasm: { asm?: { memory?: unknown } };
}

/** A tfjs-wasm heap: its memory, tensor addresses and new outputs. */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  /** The byte address of a tensor's buffer. */
  address(info: tf.TensorInfo): number;
  /** A new uninitialised float32 tensor in the heap. */
  output(shape: number[]): tf.TensorInfo;
  /** Frees a tensor made by {@link WasmHeap.output} that is not returned. */
  free(info: tf.TensorInfo): void;
}

/**
 * The heap of a tfjs-backend-wasm backend, or null for any other backend
 * (callers then take their tfjs-op path).
 */
export function wasmHeap(backend: unknown): WasmHeap | null {
  const b = backend as Partial<WasmHeapBackend>;
  const memory = b.wasm?.asm?.memory;
  if (
    !(memory instanceof WebAssembly.Memory) || b.dataIdMap === undefined ||
    typeof b.makeOutput !== "function" || typeof b.disposeData !== "function"
  ) {
    return null;
  }
  const heap = b as WasmHeapBackend;
  return {
    memory,
    address(info) {
      const entry = heap.dataIdMap.get(info.dataId);
      if (entry === undefined) throw new Error("A tensor passed to a WASM kernel has no data");
      return entry.memoryOffset;
    },
    output: (shape) => heap.makeOutput(shape, "float32"),
    free: (info) => void heap.disposeData(info.dataId),
  };
}

const instances = new WeakMap<WebAssembly.Memory, Map<() => WasmFunction[], Map<string, Kernel>>>();

/**
 * The kernels `build` returns, instantiated on `memory` (once per memory and
 * builder; later calls return the same functions).
 *
 * @param memory the heap the kernels run on
 * @param build a module-level function returning the kernels' code
 * @returns the kernels by name
 */
export function simdKernels(
  memory: WebAssembly.Memory,
  build: () => WasmFunction[],
): Map<string, Kernel> {
  let modules = instances.get(memory);
  if (modules === undefined) {
    modules = new Map();
    instances.set(memory, modules);
  }
  let kernels = modules.get(build);
  if (kernels === undefined) {
    const module = new WebAssembly.Module(assemble(build()));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    kernels = new Map(Object.entries(instance.exports as Record<string, Kernel>));
    modules.set(build, kernels);
  }
  return kernels;
}
