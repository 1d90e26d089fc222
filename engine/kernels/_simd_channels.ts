/**
 * Per-channel work over an NHWC buffer seen as [rows, channels], as
 * WebAssembly SIMD kernels on tfjs-backend-wasm's heap: adding a bias to
 * every row (the forward of an unfused conv layer in training) and summing
 * the rows (every layer's bias gradient). Channels must be a multiple of 4.
 *
 * @module
 */
import { forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** Vectors of 4 channels one loop step handles: 4 when they divide the channels, else 1. */
function width(channels: number): 1 | 4 {
  return channels % 16 === 0 ? 4 : 1;
}

/** out[r, c] = x[r, c] + bias[c], `nv` vectors of channels per step. */
function biasAdd(nv: number): WasmFunction {
  const params = ["x", "bias", "out", "rows", "rowBytes"] as const;
  const l = new Locals(params);
  for (const name of ["r", "c"]) l.add(name, I32);
  const body = [];
  for (let v = 0; v < nv; v++) {
    body.push(
      l.get("out"),
      l.get("x"),
      op.v128Load(16 * v),
      l.get("bias"),
      l.get("c"),
      op.i32Add,
      op.v128Load(16 * v),
      op.f32x4Add,
      op.v128Store(16 * v),
    );
  }
  const step = 16 * nv;
  return {
    name: `biasAdd${nv}`,
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    // x and out advance together, one step at a time; c is the offset in the row.
    body: [forLoop(l, "r", op.i32(0), l.get("rows"), op.i32(1), [
      forLoop(l, "c", op.i32(0), l.get("rowBytes"), op.i32(step), [
        ...body,
        [l.get("x"), op.i32(step), op.i32Add, l.set("x")],
        [l.get("out"), op.i32(step), op.i32Add, l.set("out")],
      ]),
    ])],
  };
}

/**
 * sums[b, c] = Σ over rows b·blockRows … of x[r, c], in f32 per block (the
 * caller adds the blocks in doubles, which keeps the error of a long sum at
 * that of one block).
 */
function blockSums(nv: number): WasmFunction {
  const params = ["x", "sums", "rows", "blockRows", "rowBytes"] as const;
  const l = new Locals(params);
  for (const name of ["r0", "r1", "r", "c", "p", "s"]) l.add(name, I32);
  for (let v = 0; v < nv; v++) l.add(`acc${v}`, V128);
  const zero = [];
  const accumulate = [];
  const store = [];
  for (let v = 0; v < nv; v++) {
    zero.push(op.v128Zero, l.set(`acc${v}`));
    accumulate.push(
      l.get(`acc${v}`),
      l.get("p"),
      op.v128Load(16 * v),
      op.f32x4Add,
      l.set(`acc${v}`),
    );
    store.push(l.get("s"), l.get(`acc${v}`), op.v128Store(16 * v));
  }
  return {
    name: `blockSums${nv}`,
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      l.get("sums"),
      l.set("s"),
      forLoop(l, "r0", op.i32(0), l.get("rows"), l.get("blockRows"), [
        // r1 = min(r0 + blockRows, rows)
        l.get("r0"),
        l.get("blockRows"),
        op.i32Add,
        l.tee("r1"),
        l.get("rows"),
        op.i32GtS,
        op.if(l.get("rows"), l.set("r1")),
        forLoop(l, "c", op.i32(0), l.get("rowBytes"), op.i32(16 * nv), [
          ...zero,
          // p = x + r0·rowBytes + c
          l.get("x"),
          l.get("r0"),
          l.get("rowBytes"),
          op.i32Mul,
          op.i32Add,
          l.get("c"),
          op.i32Add,
          l.set("p"),
          forLoop(l, "r", l.get("r0"), l.get("r1"), op.i32(1), [
            ...accumulate,
            [l.get("p"), l.get("rowBytes"), op.i32Add, l.set("p")],
          ]),
          ...store,
          [l.get("s"), op.i32(16 * nv), op.i32Add, l.set("s")],
        ]),
      ]),
    ],
  };
}

function buildKernels(): WasmFunction[] {
  return [biasAdd(1), biasAdd(4), blockSums(1), blockSums(4)];
}

/** Rows one f32 block sum covers: its rounding error stays near 2⁻²⁴·√256. */
const BLOCK_ROWS = 256;

/**
 * out = x + bias over the last axis, in place of a broadcasting `Add`.
 *
 * @param heap the WASM heap
 * @param at byte addresses of x [rows, channels], bias [channels] and out (x's shape)
 * @param rows rows of x
 * @param channels a multiple of 4
 */
export function simdBiasAdd(
  heap: WasmHeap,
  at: { x: number; bias: number; out: number },
  rows: number,
  channels: number,
): void {
  checkChannels(channels);
  const nv = width(channels);
  const kernel = simdKernels(heap.memory, buildKernels).get(`biasAdd${nv}`)!;
  if (rows > 0) kernel(at.x, at.bias, at.out, rows, 4 * channels);
}

/**
 * Σ over rows of x [rows, channels], each channel's sum in doubles over f32
 * blocks of {@link BLOCK_ROWS} rows.
 *
 * @param heap the WASM heap
 * @param x byte address of x
 * @param rows rows of x
 * @param channels a multiple of 4
 * @returns the sums per channel
 */
export function simdColumnSums(
  heap: WasmHeap,
  x: number,
  rows: number,
  channels: number,
): Float64Array {
  checkChannels(channels);
  const sums = new Float64Array(channels);
  if (rows === 0) return sums;
  const blocks = Math.ceil(rows / BLOCK_ROWS);
  const scratch = heap.output([blocks, channels]);
  try {
    const kernel = simdKernels(heap.memory, buildKernels).get(`blockSums${width(channels)}`)!;
    const at = heap.address(scratch);
    kernel(x, at, rows, BLOCK_ROWS, 4 * channels);
    const partial = new Float32Array(heap.memory.buffer, at, blocks * channels);
    for (let b = 0; b < blocks; b++) {
      for (let c = 0; c < channels; c++) sums[c]! += partial[b * channels + c]!;
    }
  } finally {
    heap.free(scratch);
  }
  return sums;
}

function checkChannels(channels: number): void {
  if (channels % 4 !== 0 || channels <= 0) {
    throw new RangeError(
      `The SIMD channel kernels need a positive multiple of 4 channels, got ${channels}`,
    );
  }
}
