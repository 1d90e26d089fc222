/**
 * A correct and fast `MaxPoolGrad` for the WASM backend.
 *
 * tfjs-backend-wasm 4.22's `MaxPoolGrad` (and `MaxPoolWithArgmax`) start
 * their search for the window maximum at the smallest positive float instead
 * of −∞, so a window whose values are all ≤ 0 sends its gradient to the wrong
 * place or nowhere. The forward `MaxPool` (XNNPACK) is correct. This hits
 * anything pooling a tanh, a BatchNorm output or a replaced activation, and
 * ReLU networks too: a window of zeros loses its (sub)gradient, which matters
 * for gradients taken with respect to post-ReLU activations. The stock kernel
 * is also slow (about as long as the forward conv before it).
 *
 * This kernel reads `input` and `dy` straight from the WASM heap and routes
 * each output gradient to the first maximum of its window (−∞ start, padding
 * skipped), exactly like the CPU backend, in one pass over the output.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { simdMaxPool2x2Grad } from "./_simd_max_pool_grad.ts";
import { wasmHeap } from "./_simd_runtime.ts";

interface HeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

let registered = false;

/** Replaces the WASM `MaxPoolGrad` kernel with this one; idempotent. */
export function registerWasmMaxPoolGrad(): void {
  if (registered || !tf.getKernel("MaxPoolGrad", "wasm")) return;
  registered = true;
  tf.unregisterKernel("MaxPoolGrad", "wasm");
  tf.registerKernel({ kernelName: "MaxPoolGrad", backendName: "wasm", kernelFunc: maxPoolGrad });
}

const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const heap = backend as unknown as HeapBackend;
  const input = inputs.input as tf.TensorInfo;
  const dyInfo = inputs.dy as tf.TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const out = heap.makeOutput([...input.shape], "float32");
  const dx = heap.typedArrayFromHeap(out);
  const x = heap.typedArrayFromHeap(input);
  const dy = heap.typedArrayFromHeap(dyInfo);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  if (
    fh === 2 && fw === 2 && strideHeight === 2 && strideWidth === 2 && top === 0 && left === 0 &&
    outHeight * 2 <= inHeight && outWidth * 2 <= inWidth
  ) {
    // The windows write every cell they cover; only a last odd row or column needs zeros.
    if (outHeight * 2 < inHeight || outWidth * 2 < inWidth) dx.fill(0);
    const simd = wasmHeap(backend);
    if (simd !== null && c % 4 === 0) {
      simdMaxPool2x2Grad(
        simd,
        { x: simd.address(input), dy: simd.address(dyInfo), dx: simd.address(out) },
        { batch: batchSize, inHeight, inWidth, channels: c },
      );
    } else pool2x2(dx, x, dy, batchSize, inHeight, inWidth, c, outHeight, outWidth);
    return out;
  }
  dx.fill(0);
  // Channels innermost: memory is read in order (NHWC), which is what makes
  // this loop fast. Window positions in row-major order with a strict ">"
  // keep the first maximum, as the CPU backend does.
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    const xBase = b * inHeight * inWidth * c;
    const dyBase = b * outHeight * outWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + fh);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let yy = yStart; yy < yEnd; yy++) {
          for (let xx = xStart; xx < xEnd; xx++) {
            const at = xBase + (yy * inWidth + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[at + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                where[ch] = at + ch;
              }
            }
          }
        }
        const dyRow = dyBase + (oy * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const w = where[ch]!;
          if (w >= 0) dx[w]! += dy[dyRow + ch]!;
        }
      }
    }
  }
  return out;
};

/**
 * The common 2×2, stride-2, unpadded case (what VGG-style nets use): the
 * windows do not overlap and hold four values, so the first maximum is found
 * with four comparisons in registers instead of per-channel scratch arrays,
 * and every covered cell of `dx` is written (the gradient or 0), so only
 * cells outside all windows need zeroing beforehand.
 */
function pool2x2(
  dx: Float32Array,
  x: Float32Array,
  dy: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  c: number,
  outHeight: number,
  outWidth: number,
): void {
  const rowStride = inWidth * c;
  let d = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const row = (b * inHeight + 2 * oy) * rowStride;
      for (let ox = 0; ox < outWidth; ox++) {
        const p0 = row + 2 * ox * c;
        const p1 = p0 + c;
        const p2 = p0 + rowStride;
        const p3 = p2 + c;
        for (let ch = 0; ch < c; ch++, d++) {
          // Row-major window order and a strict ">" from −∞ keep the first
          // maximum and skip NaNs, as the CPU backend does.
          let best = -Infinity;
          let at = -1;
          const v0 = x[p0 + ch]!;
          if (v0 > best) {
            best = v0;
            at = p0 + ch;
          }
          const v1 = x[p1 + ch]!;
          if (v1 > best) {
            best = v1;
            at = p1 + ch;
          }
          const v2 = x[p2 + ch]!;
          if (v2 > best) {
            best = v2;
            at = p2 + ch;
          }
          const v3 = x[p3 + ch]!;
          if (v3 > best) at = p3 + ch;
          // Every cell of the window is written, so dx needs no zero-fill pass.
          const g = dy[d]!;
          dx[p0 + ch] = at === p0 + ch ? g : 0;
          dx[p1 + ch] = at === p1 + ch ? g : 0;
          dx[p2 + ch] = at === p2 + ch ? g : 0;
          dx[p3 + ch] = at === p3 + ch ? g : 0;
        }
      }
    }
  }
}
