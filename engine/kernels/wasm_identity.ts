/**
 * A zero-copy `Identity` for the WASM backend.
 *
 * tfjs saves the tensors a kernel needs for its backward pass through
 * `Identity` (engine `clone`). The stock WASM kernel copies the whole buffer,
 * which on a 64-image batch of a 64×64×16 activation is a 16 MB memcpy per
 * saved tensor — about a tenth of a forward + backward pass. Tensors are
 * immutable and the WASM backend reference-counts its buffers (its `Reshape`
 * already shares them), so sharing the buffer, as the CPU backend does, is
 * exact.
 *
 * @module
 */
import { tf } from "../deps.ts";

let registered = false;

/** Replaces the WASM `Identity` kernel with a buffer-sharing one; idempotent. */
export function registerWasmIdentity(): void {
  if (registered || !tf.getKernel("Identity", "wasm")) return;
  registered = true;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

let castRegistered = false;

/**
 * Wraps the WASM `Cast` kernel so that a cast to the input's own dtype shares
 * the buffer instead of copying it (the stock kernel always copies; tfjs
 * casts float32 tensors to float32 in losses and gradients). Other casts go
 * to the stock kernel. Idempotent.
 */
export function registerWasmCast(): void {
  const original = tf.getKernel("Cast", "wasm");
  if (castRegistered || !original) return;
  castRegistered = true;
  tf.unregisterKernel("Cast", "wasm");
  tf.registerKernel({
    kernelName: "Cast",
    backendName: "wasm",
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { dtype } = args.attrs as unknown as tf.CastAttrs;
      if (dtype !== x.dtype) return original.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
