/**
 * RGB images between channel planes and pixels, with a 3×3 colour mixing
 * on the way, as WebAssembly SIMD kernels on tfjs-backend-wasm's heap:
 *
 * - `planesToPixels`: x [B, 3, P] → out [B, P, 3], out[b, p, j] =
 *   Σ_c x[b, c, p] · M[c, j] (the last step of rendering a Fourier
 *   spectrum: the inverse DFT yields channel planes, the network wants
 *   pixels of decorrelated colour);
 * - `pixelsToPlanes`: its adjoint, dy [B, P, 3] → out [B, 3, P], out[b, c, p]
 *   = Σ_j dy[b, p, j] · M[c, j].
 *
 * In tfjs each is a transpose plus a [B·P, 3] × [3, 3] matmul, on which
 * XNNPACK reaches only ~4 GFLOP/s (three output columns): ~1.7 ms for 64
 * images of 64×64, against one pass over memory here. Four pixels at a
 * time: three vector loads, nine multiply-adds, and lane shuffles between
 * the planar and the interleaved order. P must be a multiple of 4.
 *
 * @module
 */
import { type Code, forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** Loads the 9 entries of M (row-major [in, out]) as splat vectors m{c}{j}. */
function loadMatrix(l: Locals): number[][] {
  const code: number[][] = [];
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < 3; j++) {
      code.push(l.get("mix"), op.v128Load32Splat(4 * (c * 3 + j)), l.set(`m${c}${j}`));
    }
  }
  return code;
}

/** Σ_k get(k) · m{row(k)}{col(k)} over k = 0, 1, 2 (left to right), left on the stack. */
function mixed(l: Locals, get: (k: number) => string, entry: (k: number) => string): number[][] {
  return [0, 1, 2].map((k) => [
    ...l.get(get(k)),
    ...l.get(entry(k)),
    ...op.f32x4Mul,
    ...(k > 0 ? op.f32x4Add : []),
  ]);
}

/** The shared frame: locals, then per image b a loop over 4-pixel steps. */
function kernel(name: string, step: (l: Locals) => Code[]): WasmFunction {
  const params = ["x", "out", "mix", "images", "planeBytes"] as const;
  const l = new Locals(params);
  for (const n of ["b", "i", "src", "dst"]) l.add(n, I32);
  for (let c = 0; c < 3; c++) for (let j = 0; j < 3; j++) l.add(`m${c}${j}`, V128);
  for (const n of ["v0", "v1", "v2", "o0", "o1", "o2", "t"]) l.add(n, V128);
  return {
    name,
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      loadMatrix(l),
      forLoop(l, "b", op.i32(0), l.get("images"), op.i32(1), [
        // src, dst: image b's data in x and out (3 planes or P pixels, the same bytes).
        [l.get("b"), l.get("planeBytes"), op.i32Mul, op.i32(3), op.i32Mul, l.set("src")],
        [l.get("src"), l.get("out"), op.i32Add, l.set("dst")],
        [l.get("src"), l.get("x"), op.i32Add, l.set("src")],
        forLoop(l, "i", op.i32(0), l.get("planeBytes"), op.i32(16), step(l)),
      ]),
    ],
  };
}

/** x planes → mixed pixels. In `kernel`, "src" points into x and "dst" into out. */
function planesToPixels(): WasmFunction {
  return kernel("planesToPixels", (l) => {
    const at = (plane: number) => [
      l.get("src"),
      l.get("i"),
      op.i32Add,
      ...(plane > 0 ? [l.get("planeBytes"), op.i32(plane), op.i32Mul, op.i32Add] : []),
    ];
    const store = (k: number, from: string) => [
      l.get("dst"),
      l.get("i"),
      op.i32(3),
      op.i32Mul,
      op.i32Add,
      l.get(from),
      op.v128Store(16 * k),
    ];
    return [
      [0, 1, 2].map((c) => [at(c), op.v128Load(), l.set(`v${c}`)]),
      // o_j = Σ_c v_c · M[c, j]: four pixels of output channel j.
      [0, 1, 2].map((j) => [mixed(l, (c) => `v${c}`, (c) => `m${c}${j}`), l.set(`o${j}`)]),
      // Interleave: [a0 b0 c0 a1], [b1 c1 a2 b2], [c2 a3 b3 c3].
      [l.get("o0"), l.get("o1"), op.shuffle32([0, 4, 1, 5]), l.set("t")],
      [l.get("t"), l.get("o2"), op.shuffle32([0, 1, 4, 2]), l.set("v0")],
      [l.get("o1"), l.get("o2"), op.shuffle32([1, 5, 2, 6]), l.set("t")],
      [l.get("t"), l.get("o0"), op.shuffle32([0, 1, 6, 2]), l.set("v1")],
      [l.get("o2"), l.get("o0"), op.shuffle32([2, 7, 3, 3]), l.set("t")],
      [l.get("t"), l.get("o1"), op.shuffle32([0, 1, 7, 2]), l.set("v2")],
      [0, 1, 2].map((k) => store(k, `v${k}`)),
    ];
  });
}

/**
 * dy pixels → planes of Σ_j dy_j · M[c, j]. Here "src" points into x = dy
 * (read as pixels) and "dst" into out (written as planes): the frame's
 * pointers are the same sizes, so the roles swap.
 */
function pixelsToPlanes(): WasmFunction {
  return kernel("pixelsToPlanes", (l) => {
    const load = (k: number) => [
      l.get("src"),
      l.get("i"),
      op.i32(3),
      op.i32Mul,
      op.i32Add,
      op.v128Load(16 * k),
      l.set(`v${k}`),
    ];
    const at = (plane: number) => [
      l.get("dst"),
      l.get("i"),
      op.i32Add,
      ...(plane > 0 ? [l.get("planeBytes"), op.i32(plane), op.i32Mul, op.i32Add] : []),
    ];
    return [
      [0, 1, 2].map(load),
      // De-interleave into o_j = [j of pixel 0, 1, 2, 3].
      [l.get("v0"), l.get("v1"), op.shuffle32([0, 3, 6, 6]), l.set("t")],
      [l.get("t"), l.get("v2"), op.shuffle32([0, 1, 2, 5]), l.set("o0")],
      [l.get("v0"), l.get("v1"), op.shuffle32([1, 4, 7, 7]), l.set("t")],
      [l.get("t"), l.get("v2"), op.shuffle32([0, 1, 2, 6]), l.set("o1")],
      [l.get("v0"), l.get("v1"), op.shuffle32([2, 5, 5, 5]), l.set("t")],
      [l.get("t"), l.get("v2"), op.shuffle32([0, 1, 4, 7]), l.set("o2")],
      // Plane c = Σ_j o_j · M[c, j].
      [0, 1, 2].map((c) => [at(c), mixed(l, (j) => `o${j}`, (j) => `m${c}${j}`), op.v128Store()]),
    ];
  });
}

function buildKernels(): WasmFunction[] {
  return [planesToPixels(), pixelsToPlanes()];
}

/**
 * Runs one of the two kernels (module doc) over `images` RGB images of
 * `pixels` pixels each.
 *
 * @param heap the WASM heap
 * @param direction `planesToPixels` (x [B, 3, P] → [B, P, 3]) or its adjoint
 * @param at byte addresses of x, out and the 9 floats of M ([in, out], row-major)
 * @param images B
 * @param pixels P, a positive multiple of 4
 * @throws {RangeError} when P is not a positive multiple of 4
 */
export function simdColorMix(
  heap: WasmHeap,
  direction: "planesToPixels" | "pixelsToPlanes",
  at: { x: number; out: number; mix: number },
  images: number,
  pixels: number,
): void {
  if (!(pixels > 0 && pixels % 4 === 0)) {
    throw new RangeError(`simdColorMix needs a positive multiple of 4 pixels, got ${pixels}`);
  }
  if (images === 0) return;
  const run = simdKernels(heap.memory, buildKernels).get(direction)!;
  run(at.x, at.out, at.mix, images, 4 * pixels);
}
