/**
 * The 2×2, stride-2, unpadded max-pool gradient (what VGG-style nets use) as
 * a WebAssembly SIMD kernel on tfjs-backend-wasm's heap, four channels at a
 * time: each window's four values are compared as vectors, and the first
 * maximum (row-major order, strict ">" from −∞, so NaNs and an all-−∞ window
 * get nothing, as on the CPU backend) receives dy through a bit mask. Every
 * covered cell of dx is written, so only cells outside all windows need
 * zeroing beforehand.
 *
 * @module
 */
import { forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

const PARAMS = [
  "x",
  "dy",
  "dx",
  "batch",
  "outHeight",
  "outWidth",
  "imageBytes",
  "rowBytes",
  "colBytes",
] as const;

/**
 * dx for every window; channels a multiple of 4. Sizes in bytes: one input
 * image, one input row, one pixel's channels.
 */
function maxPool2x2Grad(): WasmFunction {
  const l = new Locals(PARAMS);
  for (const name of ["b", "r", "q", "c", "p0", "p2", "d"]) l.add(name, I32);
  for (const name of ["v0", "v1", "v2", "v3", "best", "c0", "c1", "c2", "c3", "g"]) {
    l.add(name, V128);
  }
  const negInf = [op.f32(-Infinity), op.f32x4Splat];
  // best = vi where vi > best, keeping the mask of the step.
  const step = (i: number) => [
    l.get(`v${i}`),
    l.get("best"),
    op.f32x4Gt,
    l.set(`c${i}`),
    i < 3 ? [l.get(`v${i}`), l.get("best"), l.get(`c${i}`), op.v128Bitselect, l.set("best")] : [],
  ];
  // dx cell = g where this step won and no later step did.
  const write = (i: number, at: string, offset: number) => {
    const later = [1, 2, 3].filter((j) => j > i);
    const mask = [l.get(`c${i}`), ...later.flatMap((j) => [l.get(`c${j}`), op.v128AndNot])];
    return [l.get(at), l.get("g"), ...mask, op.v128And, op.v128Store(offset)];
  };
  return {
    name: "maxPool2x2Grad",
    params: PARAMS.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      // dy is read in order, one vector after the other.
      l.get("dy"),
      l.set("d"),
      forLoop(l, "b", op.i32(0), l.get("batch"), op.i32(1), [
        forLoop(l, "r", op.i32(0), l.get("outHeight"), op.i32(1), [
          forLoop(l, "q", op.i32(0), l.get("outWidth"), op.i32(1), [
            // p0 = top-left cell of window (r, q) of image b, relative to x and dx.
            l.get("b"),
            l.get("imageBytes"),
            op.i32Mul,
            l.get("r"),
            l.get("rowBytes"),
            op.i32Mul,
            op.i32(1),
            op.i32Shl,
            op.i32Add,
            l.get("q"),
            l.get("colBytes"),
            op.i32Mul,
            op.i32(1),
            op.i32Shl,
            op.i32Add,
            l.set("p0"),
            forLoop(l, "c", op.i32(0), l.get("colBytes"), op.i32(16), [
              l.get("x"),
              l.get("p0"),
              op.i32Add,
              l.get("c"),
              op.i32Add,
              l.tee("p2"),
              op.v128Load(0),
              l.set("v0"),
              l.get("p2"),
              l.get("colBytes"),
              op.i32Add,
              op.v128Load(0),
              l.set("v1"),
              l.get("p2"),
              l.get("rowBytes"),
              op.i32Add,
              l.tee("p2"),
              op.v128Load(0),
              l.set("v2"),
              l.get("p2"),
              l.get("colBytes"),
              op.i32Add,
              op.v128Load(0),
              l.set("v3"),
              negInf,
              l.set("best"),
              step(0),
              step(1),
              step(2),
              step(3),
              l.get("d"),
              op.v128Load(0),
              l.set("g"),
              // The same cells in dx: p0 = dx + p0 + c, p2 = its row below.
              l.get("dx"),
              l.get("p0"),
              op.i32Add,
              l.get("c"),
              op.i32Add,
              l.set("p0"),
              l.get("p0"),
              l.get("rowBytes"),
              op.i32Add,
              l.set("p2"),
              write(0, "p0", 0),
              [l.get("p0"), l.get("colBytes"), op.i32Add, l.set("p0")],
              write(1, "p0", 0),
              write(2, "p2", 0),
              [l.get("p2"), l.get("colBytes"), op.i32Add, l.set("p2")],
              write(3, "p2", 0),
              // Back to the window's offset for the next channels.
              l.get("p0"),
              l.get("colBytes"),
              op.i32Sub,
              l.get("dx"),
              op.i32Sub,
              l.get("c"),
              op.i32Sub,
              l.set("p0"),
              [l.get("d"), op.i32(16), op.i32Add, l.set("d")],
            ]),
          ]),
        ]),
      ]),
    ],
  };
}

function buildKernels(): WasmFunction[] {
  return [maxPool2x2Grad()];
}

/**
 * dx of a 2×2, stride-2, unpadded max pool over NHWC `x` whose channels are a
 * multiple of 4; cells outside every window (a last odd row or column) are
 * left for the caller to zero.
 */
export function simdMaxPool2x2Grad(
  heap: WasmHeap,
  at: { x: number; dy: number; dx: number },
  shape: { batch: number; inHeight: number; inWidth: number; channels: number },
): void {
  const { batch, inHeight, inWidth, channels } = shape;
  if (channels % 4 !== 0) {
    throw new RangeError(
      `simdMaxPool2x2Grad needs channels that are a multiple of 4, got ${channels}`,
    );
  }
  const kernel = simdKernels(heap.memory, buildKernels).get("maxPool2x2Grad")!;
  kernel(
    at.x,
    at.dy,
    at.dx,
    batch,
    Math.floor(inHeight / 2),
    Math.floor(inWidth / 2),
    4 * inHeight * inWidth * channels,
    4 * inWidth * channels,
    4 * channels,
  );
}
