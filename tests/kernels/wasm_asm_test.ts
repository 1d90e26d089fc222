/** The WebAssembly assembler: encodings checked by running tiny functions. */
import assert from "node:assert/strict";
import {
  assemble,
  type Code,
  F32,
  forLoop,
  I32,
  Locals,
  op,
  V128,
  type ValueType,
} from "../../engine/kernels/_wasm_asm.ts";

type Fn = (...args: number[]) => number;

/** Instantiates one exported function `f` over a fresh one-page memory. */
function build(
  params: ValueType[],
  results: ValueType[],
  locals: ValueType[],
  body: Code[],
): { f: Fn; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const module = new WebAssembly.Module(
    assemble([{ name: "f", params, results, locals, body }]),
  );
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { f: instance.exports.f as Fn, memory };
}

Deno.test("i32 constants round-trip through signed LEB128 at every length", () => {
  for (
    const v of [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, -8193, 2 ** 31 - 1, -(2 ** 31)]
  ) {
    const { f } = build([], [I32], [], [op.i32(v)]);
    assert.equal(f(), v, `constant ${v}`);
  }
});

Deno.test("more than 127 locals (a two-byte local index) and grouped local declarations", () => {
  const locals: ValueType[] = [...new Array(130).fill(I32), F32, F32, V128];
  // local 130 (two LEB128 bytes) = 7, then read back.
  const { f } = build([I32], [I32], locals, [
    op.i32(7),
    op.set(130),
    op.get(130),
    op.get(0),
    op.i32Add,
  ]);
  assert.equal(f(5), 12);
});

Deno.test("f32 constants, arithmetic and conversions", () => {
  const { f } = build([I32], [I32], [], [
    op.get(0),
    op.f32ConvertI32S,
    op.f32(2.5),
    op.f32Mul,
    op.f32(-Infinity),
    op.f32Max,
    op.i32TruncF32S,
  ]);
  assert.equal(f(3), 7); // trunc(3 · 2.5)
  assert.equal(f(-4), -10);
});

Deno.test("SIMD loads, arithmetic, comparisons and bit selects act lane by lane", () => {
  // out[0..3] = a > b ? a·b : a + b, for float vectors at 0 and 16, written at 32.
  const { f, memory } = build([], [I32], [V128, V128], [
    op.i32(0),
    op.v128Load(0),
    op.set(0),
    op.i32(0),
    op.v128Load(16),
    op.set(1),
    op.i32(32),
    op.get(0),
    op.get(1),
    op.f32x4Mul,
    op.get(0),
    op.get(1),
    op.f32x4Add,
    op.get(0),
    op.get(1),
    op.f32x4Gt,
    op.v128Bitselect,
    op.v128Store(0),
    op.i32(0),
  ]);
  const heap = new Float32Array(memory.buffer);
  heap.set([1, 5, -2, 3, 2, 4, -3, 3], 0);
  f();
  assert.deepEqual(Array.from(heap.subarray(8, 12)), [3, 20, 6, 6]);
});

Deno.test("forLoop and Locals: a sum of 1..n", () => {
  const l = new Locals(["n"]);
  l.add("i", I32);
  l.add("s", I32);
  const { f } = build([I32], [I32], l.types, [
    forLoop(l, "i", op.i32(1), [l.get("n"), op.i32(1), op.i32Add], op.i32(1), [
      l.get("s"),
      l.get("i"),
      op.i32Add,
      l.set("s"),
    ]),
    l.get("s"),
  ]);
  assert.equal(f(10), 55);
  assert.throws(() => l.get("missing"), /No local 'missing'/);
});

Deno.test("a negative memory offset is refused", () => {
  assert.throws(() => op.f32Load(-4), RangeError);
});

Deno.test("shuffle32 picks whole lanes from two vectors; bad lanes are a RangeError", () => {
  // Memory: a = [0, 1, 2, 3], b = [10, 11, 12, 13]; out at byte 32.
  const { f, memory } = build([], [], [], [
    op.i32(32),
    op.i32(0),
    op.v128Load(0),
    op.i32(0),
    op.v128Load(16),
    op.shuffle32([3, 4, 0, 7]),
    op.v128Store(0),
  ]);
  const view = new Float32Array(memory.buffer, 0, 12);
  view.set([0, 1, 2, 3, 10, 11, 12, 13]);
  f();
  assert.deepEqual(Array.from(view.subarray(8, 12)), [3, 10, 0, 13]);
  assert.throws(() => op.shuffle32([0, 1, 8, 2]), /4 lanes in 0…7, got \[0,1,8,2\]/);
  assert.throws(() => op.shuffle32([0, 1]), RangeError);
});
