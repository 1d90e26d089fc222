/**
 * The radix-2 butterfly of an inverse DFT along one axis, as WebAssembly
 * SIMD kernels on tfjs-backend-wasm's heap. A length-H inverse DFT is two of
 * length H/2, E over the even coefficients and O over the odd ones, then
 *
 *     Z[y] = E[y] + ω^y·O[y],   Z[y + H/2] = E[y] − ω^y·O[y],   ω = e^{2πi/H},
 *
 * for y < H/2: half the multiplications of the direct product (Cooley &
 * Tukey 1965). Each row holds [E | O] in, [Z[0 … H/2) | Z[H/2 … H)] out,
 * every half as H/2 complex numbers (real, imaginary) interleaved, so a
 * vector holds two of them. The twiddles come as two tables of H floats:
 * cos, cos and −sin, sin of 2πy/H per complex entry, which turn
 * ω^y·(a + ib) into one multiply-add with the lane-swapped (b, a).
 *
 * `butterflyAdjoint` is the transpose (the gradient): dE = dZ₀ + dZ₁,
 * dO = conj(ω^y)·(dZ₀ − dZ₁).
 *
 * @module
 */
import { type Code, forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** One kernel: per row, per vector of the half: load a, b and the twiddles, then `step`. */
function kernel(name: string, step: (l: Locals) => Code[]): WasmFunction {
  const params = ["x", "out", "cos", "sin", "rows", "halfBytes"] as const;
  const l = new Locals(params);
  for (const n of ["r", "i", "src", "dst"]) l.add(n, I32);
  for (const n of ["a", "b", "c", "s", "t"]) l.add(n, V128);
  const load = (base: string, offset: Code[]) => [l.get(base), l.get("i"), op.i32Add, offset];
  return {
    name,
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      [l.get("x"), l.set("src"), l.get("out"), l.set("dst")],
      forLoop(l, "r", op.i32(0), l.get("rows"), op.i32(1), [
        forLoop(l, "i", op.i32(0), l.get("halfBytes"), op.i32(16), [
          [load("src", []), op.v128Load(), l.set("a")],
          [load("src", [l.get("halfBytes"), op.i32Add]), op.v128Load(), l.set("b")],
          [load("cos", []), op.v128Load(), l.set("c")],
          [load("sin", []), op.v128Load(), l.set("s")],
          ...step(l),
        ]),
        [l.get("src"), l.get("halfBytes"), op.i32(2), op.i32Mul, op.i32Add, l.set("src")],
        [l.get("dst"), l.get("halfBytes"), op.i32(2), op.i32Mul, op.i32Add, l.set("dst")],
      ]),
    ],
  };
}

/** v·c + swap(v)·s, left on the stack (swap: real and imaginary lanes exchanged). */
function twiddled(l: Locals, v: string, combine: Code): Code[] {
  return [
    l.get(v),
    l.get("c"),
    op.f32x4Mul,
    l.get(v),
    l.get(v),
    op.shuffle32([1, 0, 3, 2]),
    l.get("s"),
    op.f32x4Mul,
    combine,
  ];
}

/** Stores what `value` leaves on the stack at dst + i (+ halfBytes when `second`). */
function store(l: Locals, second: boolean, value: Code[]): Code[] {
  return [
    l.get("dst"),
    l.get("i"),
    op.i32Add,
    second ? [l.get("halfBytes"), op.i32Add] : [],
    value,
    op.v128Store(),
  ];
}

/** [E | O] → [E + ωO | E − ωO]. */
function butterfly(): WasmFunction {
  return kernel("butterfly", (l) => [
    [twiddled(l, "b", op.f32x4Add), l.set("t")],
    store(l, false, [l.get("a"), l.get("t"), op.f32x4Add]),
    store(l, true, [l.get("a"), l.get("t"), op.f32x4Sub]),
  ]);
}

/** [dZ₀ | dZ₁] → [dZ₀ + dZ₁ | conj(ω)(dZ₀ − dZ₁)]. */
function butterflyAdjoint(): WasmFunction {
  return kernel("butterflyAdjoint", (l) => [
    store(l, false, [l.get("a"), l.get("b"), op.f32x4Add]),
    [l.get("a"), l.get("b"), op.f32x4Sub, l.set("t")],
    // conj(ω)·d = d·cos − swap(d)·(−sin, sin): the sine table with its signs flipped.
    store(l, true, twiddled(l, "t", op.f32x4Sub)),
  ]);
}

function buildKernels(): WasmFunction[] {
  return [butterfly(), butterflyAdjoint()];
}

/**
 * The twiddle tables for length H (H a multiple of 4): per complex entry y
 * < H/2, cos = (cos θ, cos θ) and sin = (−sin θ, sin θ), θ = 2πy/H.
 *
 * @param h the transform length
 * @returns the two tables, H floats each
 */
export function twiddleTables(h: number): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(h), sin = new Float32Array(h);
  for (let y = 0; y < h / 2; y++) {
    const a = (2 * Math.PI * y) / h;
    cos[2 * y] = cos[2 * y + 1] = Math.cos(a);
    sin[2 * y] = -Math.sin(a);
    sin[2 * y + 1] = Math.sin(a);
  }
  return { cos, sin };
}

/**
 * Runs the butterfly (module doc) or its adjoint over `rows` rows of 2H floats.
 *
 * @param heap the WASM heap
 * @param direction `butterfly` ([E | O] → Z) or `butterflyAdjoint` (dZ → [dE | dO])
 * @param at byte addresses of x, out and the two twiddle tables ({@link twiddleTables})
 * @param rows rows of x and out
 * @param h the transform length H, a positive multiple of 4
 * @throws {RangeError} when H is not a positive multiple of 4
 */
export function simdButterfly(
  heap: WasmHeap,
  direction: "butterfly" | "butterflyAdjoint",
  at: { x: number; out: number; cos: number; sin: number },
  rows: number,
  h: number,
): void {
  if (!(h > 0 && h % 4 === 0)) {
    throw new RangeError(`simdButterfly needs a length H that is a multiple of 4, got ${h}`);
  }
  if (rows === 0) return;
  const run = simdKernels(heap.memory, buildKernels).get(direction)!;
  // Each half: H/2 complex numbers = H floats.
  run(at.x, at.out, at.cos, at.sin, rows, 4 * h);
}
