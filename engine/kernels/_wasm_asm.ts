/**
 * A tiny WebAssembly assembler: just enough to write SIMD kernels that run
 * on tfjs-backend-wasm's own heap (the module imports that memory, so the
 * kernels read and write tensors in place, with no copies).
 *
 * Why not a prebuilt `.wasm` file: the kernels are specialised by register
 * tile (how many input and output channels one loop keeps in registers),
 * which is easiest to read and to vary as TypeScript that writes the
 * instructions. The encoding follows the WebAssembly core spec (binary
 * format, §5) and the fixed-width SIMD proposal (opcodes prefixed 0xfd).
 *
 * @example
 * ```ts
 * import { assemble, I32, op } from "./_wasm_asm.ts";
 * // (a, b) => a + b, as a module that imports a memory it does not use.
 * const bytes = assemble([{
 *   name: "add",
 *   params: [I32, I32],
 *   results: [I32],
 *   locals: [],
 *   body: [op.get(0), op.get(1), op.i32Add],
 * }]);
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
 * const add = instance.exports.add as (a: number, b: number) => number;
 * if (add(2, 3) !== 5) throw new Error("example failed");
 * ```
 *
 * @module
 */

/** Value type codes. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

/** A piece of code: bytes, or nested pieces (flattened on assembly). */
export type Code = number | readonly Code[];

/** One exported function. */
export interface WasmFunction {
  name: string;
  params: ValueType[];
  results: ValueType[];
  /** Locals after the parameters, by type; indices continue the parameters'. */
  locals: ValueType[];
  body: Code[];
}

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A memory argument: alignment as log2 bytes, then a byte offset. */
function memarg(alignLog2: number, offset: number): number[] {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`A memory offset must be a non-negative integer, got ${offset}`);
  }
  return [...uleb(alignLog2), ...uleb(offset)];
}

function simd(code: number): number[] {
  return [0xfd, ...uleb(code)];
}

/**
 * Instructions, named after the spec's mnemonics (`i32.lt_s` → `i32LtS`).
 * Loads and stores take a constant byte offset (default 0) and assume
 * natural alignment.
 */
export const op = {
  get: (i: number): number[] => [0x20, ...uleb(i)],
  set: (i: number): number[] => [0x21, ...uleb(i)],
  tee: (i: number): number[] => [0x22, ...uleb(i)],
  select: [0x1b],
  drop: [0x1a],
  i32: (v: number): number[] => [0x41, ...sleb(v)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32LtU: [0x49],
  i32GtS: [0x4a],
  i32GtU: [0x4b],
  i32LeS: [0x4c],
  i32GeS: [0x4e],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32DivS: [0x6d],
  i32And: [0x71],
  i32Or: [0x72],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  f32Eq: [0x5b],
  f32Ne: [0x5c],
  f32Lt: [0x5d],
  f32Gt: [0x5e],
  f32Le: [0x5f],
  f32Ge: [0x60],
  f32Zero: [0x43, 0, 0, 0, 0],
  f32: (v: number): number[] => [0x43, ...new Uint8Array(new Float32Array([v]).buffer)],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Min: [0x96],
  f32Max: [0x97],
  f32ConvertI32S: [0xb2],
  i32TruncF32S: [0xa8],
  i32Load: (offset = 0): number[] => [0x28, ...memarg(2, offset)],
  i32Store: (offset = 0): number[] => [0x36, ...memarg(2, offset)],
  i32Load8U: (offset = 0): number[] => [0x2d, ...memarg(0, offset)],
  i32Store8: (offset = 0): number[] => [0x3a, ...memarg(0, offset)],
  f32Load: (offset = 0): number[] => [0x2a, ...memarg(2, offset)],
  f32Store: (offset = 0): number[] => [0x38, ...memarg(2, offset)],
  v128Load: (offset = 0): number[] => [...simd(0x00), ...memarg(2, offset)],
  v128Load32Splat: (offset = 0): number[] => [...simd(0x09), ...memarg(2, offset)],
  v128Store: (offset = 0): number[] => [...simd(0x0b), ...memarg(2, offset)],
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  v128Not: simd(0x4d),
  v128And: simd(0x4e),
  v128AndNot: simd(0x4f),
  v128Or: simd(0x50),
  v128Bitselect: simd(0x52),
  v128AnyTrue: simd(0x53),
  i32x4Splat: simd(0x11),
  f32x4Splat: simd(0x13),
  f32x4ExtractLane: (lane: number): number[] => [...simd(0x1f), lane],
  f32x4Eq: simd(0x41),
  f32x4Ne: simd(0x42),
  f32x4Lt: simd(0x43),
  f32x4Gt: simd(0x44),
  f32x4Le: simd(0x45),
  f32x4Ge: simd(0x46),
  i32x4AllTrue: simd(0xa3),
  i32x4Bitmask: simd(0xa4),
  i32x4Add: simd(0xae),
  i32x4Sub: simd(0xb1),
  f32x4Abs: simd(0xe0),
  f32x4Neg: simd(0xe1),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  f32x4ConvertI32x4S: simd(0xfa),
  /** `block … end`: `br` to it jumps past its end. */
  block: (...body: Code[]): Code[] => [[0x02, 0x40], ...body, 0x0b],
  /** `loop … end`: `br` to it jumps back to its start. */
  loop: (...body: Code[]): Code[] => [[0x03, 0x40], ...body, 0x0b],
  /** `if … end` on the i32 on the stack. */
  if: (...body: Code[]): Code[] => [[0x04, 0x40], ...body, 0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  return: [0x0f],
  f32x4Floor: simd(0x68),
  i32x4TruncSatF32x4S: simd(0xf8),
  i32x4ExtractLane: (lane: number): number[] => [...simd(0x1b), lane],
  i32x4Shl: simd(0xab),
  i32x4MinS: simd(0xb6),
  i32x4MaxS: simd(0xb8),
  /**
   * `i8x16.shuffle` choosing whole 32-bit lanes: lanes 0–3 of the result
   * from `lanes` (0–3: the first operand's, 4–7: the second's).
   */
  shuffle32: (lanes: readonly number[]): number[] => {
    if (lanes.length !== 4 || !lanes.every((l) => Number.isInteger(l) && l >= 0 && l < 8)) {
      throw new RangeError(`shuffle32 takes 4 lanes in 0…7, got [${lanes}]`);
    }
    return [...simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
  },
};

/**
 * Named locals, so generated code reads like the loop nest it is: the
 * function's parameters first (all i32), then each {@link Locals.add}.
 */
export class Locals {
  readonly types: ValueType[] = [];
  readonly #index = new Map<string, number>();

  constructor(params: readonly string[]) {
    params.forEach((p, i) => this.#index.set(p, i));
  }

  add(name: string, type: ValueType): void {
    this.#index.set(name, this.#index.size);
    this.types.push(type);
  }

  get(name: string): number[] {
    return op.get(this.#at(name));
  }

  set(name: string): number[] {
    return op.set(this.#at(name));
  }

  tee(name: string): number[] {
    return op.tee(this.#at(name));
  }

  #at(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) throw new Error(`No local '${name}'`);
    return i;
  }
}

/** `name += step` for i32 locals. */
export function bump(l: Locals, name: string, step: Code): Code {
  return [l.get(name), step, op.i32Add, l.set(name)];
}

/** `for (name = from; name < to; name += step) body`, for a loop known to run at least once. */
export function forLoop(
  l: Locals,
  name: string,
  from: Code,
  to: Code,
  step: Code,
  body: Code[],
): Code {
  return [
    from,
    l.set(name),
    op.loop(...body, bump(l, name, step), l.get(name), to, op.i32LtS, op.brIf(0)),
  ];
}

function flatten(code: Code, out: number[]): void {
  if (typeof code === "number") out.push(code);
  else for (const piece of code) flatten(piece, out);
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * Assembles a module that imports `env.memory` and exports `functions`.
 *
 * @param functions the functions, exported under their names
 * @returns the module's bytes, for `WebAssembly.Module`
 */
export function assemble(functions: readonly WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((
    f,
  ) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(1)];
  const bodies = functions.map((f) => {
    // Runs of equal types, as the local declarations want them.
    const groups: number[][] = [];
    for (const t of f.locals) {
      const last = groups.at(-1);
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const code: number[] = [];
    flatten(f.body, code);
    const body = [
      ...uleb(groups.length),
      ...groups.flatMap(([n, t]) => [...uleb(n!), t!]),
      ...code,
      0x0b,
    ];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}
