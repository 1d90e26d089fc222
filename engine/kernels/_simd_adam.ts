/**
 * One Adam update (Kingma & Ba 2015) as a single WebAssembly SIMD pass over
 * tfjs-backend-wasm's heap, with the arithmetic of `tf.train.adam` step for
 * step (same f32 operations in the same order, so the same values):
 *
 *     m ← m·β₁ + g·(1 − β₁)           v ← v·β₂ + g²·(1 − β₂)
 *     p ← (m / c₁) / (√(v / c₂) + ε) · (−lr) + p,   cᵢ = 1 − βᵢᵗ
 *
 * tfjs runs this as eleven element-wise kernels, each a pass over memory
 * (about 4 ms for the 1.6 M spectrum values of 64 RGB images of 64×64);
 * one pass reads g, m, v, p once and writes m, v, p once.
 *
 * @module
 */
import { forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** The constants of one step, in the order the kernel reads them. */
export interface AdamConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 − β₁ᵗ. */
  correction1: number;
  /** 1 − β₂ᵗ. */
  correction2: number;
  epsilon: number;
  /** −learning rate. */
  negLearningRate: number;
}

const CONSTANT_ORDER = [
  "beta1",
  "oneMinusBeta1",
  "beta2",
  "oneMinusBeta2",
  "correction1",
  "correction2",
  "epsilon",
  "negLearningRate",
] as const;

/** The update over `bytes` bytes (a multiple of 16) of p, g, m, v; writes m, v in place and p to out. */
function adamKernel(): WasmFunction {
  const params = ["p", "g", "m", "v", "out", "constants", "bytes"] as const;
  const l = new Locals(params);
  l.add("i", I32);
  for (const name of [...CONSTANT_ORDER, "gv", "mv", "vv"]) l.add(name, V128);
  const at = (base: string) => [l.get(base), l.get("i"), op.i32Add];
  return {
    name: "adam",
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      CONSTANT_ORDER.map((name, k) => [
        l.get("constants"),
        op.v128Load32Splat(4 * k),
        l.set(name),
      ]),
      forLoop(l, "i", op.i32(0), l.get("bytes"), op.i32(16), [
        [at("g"), op.v128Load(), l.set("gv")],
        // m·β₁ + g·(1 − β₁)
        [at("m"), op.v128Load(), l.get("beta1"), op.f32x4Mul],
        [l.get("gv"), l.get("oneMinusBeta1"), op.f32x4Mul, op.f32x4Add, l.set("mv")],
        // v·β₂ + g²·(1 − β₂)
        [at("v"), op.v128Load(), l.get("beta2"), op.f32x4Mul],
        [l.get("gv"), l.get("gv"), op.f32x4Mul, l.get("oneMinusBeta2"), op.f32x4Mul, op.f32x4Add],
        l.set("vv"),
        [at("m"), l.get("mv"), op.v128Store()],
        [at("v"), l.get("vv"), op.v128Store()],
        // out = (m / c₁) / (√(v / c₂) + ε) · (−lr) + p
        at("out"),
        [l.get("mv"), l.get("correction1"), op.f32x4Div],
        [l.get("vv"), l.get("correction2"), op.f32x4Div, op.f32x4Sqrt],
        [l.get("epsilon"), op.f32x4Add, op.f32x4Div],
        [l.get("negLearningRate"), op.f32x4Mul, at("p"), op.v128Load(), op.f32x4Add],
        op.v128Store(),
      ]),
    ],
  };
}

function buildKernels(): WasmFunction[] {
  return [adamKernel()];
}

/**
 * The same update for one element, in f32 (`Math.fround` after every
 * operation), for the tail the vector loop leaves.
 */
function adamScalar(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: Float32Array,
  i: number,
  k: AdamConstants,
): void {
  const f = Math.fround;
  const gi = g[i]!;
  const mi = f(f(m[i]! * k.beta1) + f(gi * k.oneMinusBeta1));
  const vi = f(f(v[i]! * k.beta2) + f(f(gi * gi) * k.oneMinusBeta2));
  m[i] = mi;
  v[i] = vi;
  const denominator = f(f(Math.sqrt(f(vi / k.correction2))) + k.epsilon);
  out[i] = f(f(f(f(mi / k.correction1) / denominator) * k.negLearningRate) + p[i]!);
}

/**
 * One Adam step on float32 buffers of n values in the heap: m and v are
 * updated in place, the new parameters written to `out` (which may be p).
 *
 * @param heap the WASM heap
 * @param at byte addresses of p, g, m, v and out
 * @param n values in each buffer
 * @param constants the step's constants, already rounded to f32 by the caller
 */
export function simdAdamStep(
  heap: WasmHeap,
  at: { p: number; g: number; m: number; v: number; out: number },
  n: number,
  constants: AdamConstants,
): void {
  const vectorised = n - (n % 4);
  const scratch = heap.output([CONSTANT_ORDER.length]);
  try {
    const c = heap.address(scratch);
    new Float32Array(heap.memory.buffer, c, CONSTANT_ORDER.length).set(
      CONSTANT_ORDER.map((name) => constants[name]),
    );
    if (vectorised > 0) {
      const kernel = simdKernels(heap.memory, buildKernels).get("adam")!;
      kernel(at.p, at.g, at.m, at.v, at.out, c, 4 * vectorised);
    }
    if (vectorised < n) {
      const view = (address: number) => new Float32Array(heap.memory.buffer, address, n);
      const [p, g, m, v, out] = [at.p, at.g, at.m, at.v, at.out].map(view);
      for (let i = vectorised; i < n; i++) adamScalar(p!, g!, m!, v!, out!, i, constants);
    }
  } finally {
    heap.free(scratch);
  }
}
