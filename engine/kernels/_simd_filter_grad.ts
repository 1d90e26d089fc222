/**
 * The dense conv filter gradient as a WebAssembly SIMD kernel that runs on
 * tfjs-backend-wasm's heap:
 *
 *   dW[i, j, c, o] = Σ_{n, y, x} x[n, y·sH + i·dH − padTop, x·sW + j·dW − padLeft, c] · dy[n, y, x, o]
 *
 * For each filter tap the output positions whose input pixel lies inside the
 * image form a rectangle, so padding costs nothing and x is read in place (no
 * padded copy, no im2col). A register tile of `mr` input channels × `4·nv`
 * output channels accumulates over every position of a chunk of images, one
 * splat of x and `nv` vector loads of dy per position; the chunk is sized to
 * stay in the L2 cache while the taps and channel tiles stream it again.
 *
 * XNNPACK's matmul is the wrong shape for this contraction (a few dozen rows
 * and columns, tens of thousands deep): it spent half its time re-packing and
 * re-streaming dy, and a first layer with 1–3 input channels ran at a seventh
 * of the forward conv's speed.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import {
  bump,
  type Code,
  F32,
  forLoop,
  I32,
  Locals,
  op,
  V128,
  type WasmFunction,
} from "./_wasm_asm.ts";
import { simdKernels } from "./_simd_runtime.ts";

/** Register tiles [mr, nv, lanes]: see {@link filterGradKernel}. */
const TILES: ReadonlyArray<readonly [mr: number, nv: number, lanes: 1 | 4]> = [
  ...[4, 3, 2, 1].flatMap((mr) => [[mr, mr <= 2 ? 4 : 2, 4], [mr, 1, 4], [mr, 1, 1]] as const),
];

function kernelName(mr: number, nv: number, lanes: number): string {
  return `filterGrad${mr}x${nv}x${lanes}`;
}

/** What a kernel computes: see {@link filterGradKernel}. */
type Mode = "dense" | "depthwiseFilter" | "depthwiseInput";

function depthwiseName(nv: number, mode: Mode): string {
  return `${mode}${nv}`;
}

/** Integer fields of one tap in the tap table. */
export const FILTER_TAP_FIELDS = 6;
const TAP_FIELDS = FILTER_TAP_FIELDS;

/** Parameters of every kernel, in order (all i32; pointers and steps in bytes). */
const PARAMS = [
  "x",
  "dy",
  "dw",
  "table",
  "taps",
  "n0",
  "n1",
  "xImage",
  "xRow",
  "xCol",
  "dyImage",
  "dyRow",
  "dyCol",
  "channels",
  "outChannels",
  "o0",
  "o1",
] as const;

/**
 * The kernel for one register tile of `mr` input channels × `nv` groups of
 * `lanes` output channels: 4 lanes are SIMD vectors, 1 lane is plain f32
 * (for output channels past the last multiple of 4). A depthwise kernel
 * (channel multiplier 1) pairs x and dy channel by channel instead, `nv`
 * vectors of channels at a time; it runs with outChannels = 1, o0 = 0, o1 = 1.
 *
 * The depthwise input gradient is the same loop nest run backwards: with x
 * standing for dx and dw for the filter, each tap's weights sit in the
 * accumulator registers and every position does dx[…] += w · dy[…].
 */
function filterGradKernel(
  mr: number,
  nv: number,
  lanes: 1 | 4,
  mode: Mode = "dense",
): WasmFunction {
  const depthwise = mode !== "dense";
  const scatter = mode === "depthwiseInput";
  const vector = lanes === 4;
  const type = vector ? V128 : F32;
  const l = new Locals(PARAMS);
  for (const name of ["t", "tap", "yStart", "yEnd", "xStart", "width", "xOff", "dwOff"]) {
    l.add(name, I32);
  }
  for (const name of ["c", "o", "n", "y", "xp", "dp", "k", "at"]) l.add(name, I32);
  const acc = (m: number, v: number) => `acc${m}_${v}`;
  for (let m = 0; m < mr; m++) for (let v = 0; v < nv; v++) l.add(acc(m, v), type);
  for (let v = 0; v < nv; v++) l.add(`d${v}`, type);
  l.add("s", type);
  const load = vector ? op.v128Load : op.f32Load;
  const store = vector ? op.v128Store : op.f32Store;
  const add = vector ? op.f32x4Add : op.f32Add;
  const mul = vector ? op.f32x4Mul : op.f32Mul;
  const bytes = 4 * lanes;

  const field = (f: number) => [l.get("tap"), op.i32Load(4 * f)];

  // One position: acc[m][v] += splat(x[c + m]) · dy[o + lanes·v …]
  // (depthwise: acc[0][v] += x[c + 4v …] · dy[c + 4v …]; its input
  // gradient: dx[c + 4v …] += acc[0][v] · dy[c + 4v …]).
  const position: Code[] = [];
  for (let v = 0; v < nv; v++) position.push(l.get("dp"), load(bytes * v), l.set(`d${v}`));
  for (let v = 0; depthwise && !scatter && v < nv; v++) {
    position.push(
      l.get(acc(0, v)),
      l.get("xp"),
      load(bytes * v),
      l.get(`d${v}`),
      mul,
      add,
      l.set(acc(0, v)),
    );
  }
  for (let v = 0; scatter && v < nv; v++) {
    position.push(
      l.get("xp"),
      l.get("xp"),
      load(bytes * v),
      l.get(acc(0, v)),
      l.get(`d${v}`),
      mul,
      add,
      store(bytes * v),
    );
  }
  for (let m = 0; !depthwise && m < mr; m++) {
    position.push(l.get("xp"), vector ? op.v128Load32Splat(4 * m) : op.f32Load(4 * m), l.set("s"));
    for (let v = 0; v < nv; v++) {
      position.push(l.get(acc(m, v)), l.get("s"), l.get(`d${v}`), mul, add, l.set(acc(m, v)));
    }
  }

  // One output row of one image: `width` positions from xStart on.
  const row: Code[] = [
    // xp = x + n·xImage + y·xRow + xStart·xCol + xOff + 4c
    l.get("x"),
    l.get("n"),
    l.get("xImage"),
    op.i32Mul,
    op.i32Add,
    l.get("y"),
    l.get("xRow"),
    op.i32Mul,
    op.i32Add,
    l.get("xStart"),
    l.get("xCol"),
    op.i32Mul,
    op.i32Add,
    l.get("xOff"),
    op.i32Add,
    l.get("c"),
    op.i32(2),
    op.i32Shl,
    op.i32Add,
    l.set("xp"),
    // dp = dy + n·dyImage + y·dyRow + xStart·dyCol + 4o (depthwise: + 4c)
    l.get("dy"),
    l.get("n"),
    l.get("dyImage"),
    op.i32Mul,
    op.i32Add,
    l.get("y"),
    l.get("dyRow"),
    op.i32Mul,
    op.i32Add,
    l.get("xStart"),
    l.get("dyCol"),
    op.i32Mul,
    op.i32Add,
    l.get(depthwise ? "c" : "o"),
    op.i32(2),
    op.i32Shl,
    op.i32Add,
    l.set("dp"),
    l.get("width"),
    l.set("k"),
    op.loop(
      ...position,
      bump(l, "xp", l.get("xCol")),
      bump(l, "dp", l.get("dyCol")),
      l.get("k"),
      op.i32(1),
      op.i32Sub,
      l.tee("k"),
      op.brIf(0),
    ),
  ];

  // Adds the tile into dW[tap][c + m][o + lanes·v] (scatter: loads the
  // tap's weights into the registers instead).
  const flush: Code[] = [];
  const zero: Code[] = [];
  for (let m = 0; m < mr; m++) {
    for (let v = 0; v < nv; v++) {
      (scatter ? zero : flush).push(
        // at = dw + dwOff + ((c + m)·outChannels + o)·4 + bytes·v
        l.get("dw"),
        l.get("dwOff"),
        op.i32Add,
        l.get("c"),
        op.i32(m),
        op.i32Add,
        l.get("outChannels"),
        op.i32Mul,
        l.get("o"),
        op.i32Add,
        op.i32(2),
        op.i32Shl,
        op.i32Add,
        l.set("at"),
        ...(scatter
          ? [l.get("at"), load(bytes * v), l.set(acc(m, v))]
          : [l.get("at"), l.get("at"), load(bytes * v), l.get(acc(m, v)), add, store(bytes * v)]),
      );
      if (!scatter) zero.push(vector ? op.v128Zero : op.f32Zero, l.set(acc(m, v)));
    }
  }

  const tile = forLoop(l, "o", l.get("o0"), l.get("o1"), op.i32(lanes * nv), [
    ...zero,
    forLoop(l, "n", l.get("n0"), l.get("n1"), op.i32(1), [
      forLoop(l, "y", l.get("yStart"), l.get("yEnd"), op.i32(1), row),
    ]),
    ...flush,
  ]);

  const body: Code[] = [
    forLoop(l, "t", op.i32(0), l.get("taps"), op.i32(1), [
      // tap = table + 4·TAP_FIELDS·t
      l.get("table"),
      l.get("t"),
      op.i32(4 * TAP_FIELDS),
      op.i32Mul,
      op.i32Add,
      l.set("tap"),
      field(0),
      l.set("yStart"),
      field(1),
      l.set("yEnd"),
      field(2),
      l.set("xStart"),
      field(3),
      l.set("width"),
      field(4),
      l.set("xOff"),
      field(5),
      l.set("dwOff"),
      // A tap that meets no input pixel adds nothing.
      op.block(
        l.get("width"),
        op.i32(1),
        op.i32LtS,
        op.brIf(0),
        l.get("yEnd"),
        l.get("yStart"),
        op.i32GtS,
        op.i32Eqz,
        op.brIf(0),
        forLoop(l, "c", op.i32(0), l.get("channels"), op.i32(depthwise ? 4 * nv : mr), [tile]),
      ),
    ]),
  ];
  return {
    name: depthwise ? depthwiseName(nv, mode) : kernelName(mr, nv, lanes),
    params: PARAMS.map(() => I32),
    results: [],
    locals: l.types,
    body,
  };
}

/** Every kernel of this file, for {@link simdKernels}. */
function buildKernels(): WasmFunction[] {
  return [
    ...TILES.map(([mr, nv, lanes]) => filterGradKernel(mr, nv, lanes)),
    ...[1, 2, 4].flatMap((nv) =>
      (["depthwiseFilter", "depthwiseInput"] as const).map((mode) =>
        filterGradKernel(1, nv, 4, mode)
      )
    ),
  ];
}

/**
 * The kernels for `channels` → `outChannels`: each with the output channels
 * it covers. Input channels go `mr` at a time, mr the largest of 4, 3, 2, 1
 * dividing them; output channels in vectors of 4, with registers for 8 (or
 * 16 when mr ≤ 2) where they divide, and the last `outChannels % 4` as
 * scalars.
 */
export function filterGradPlan(
  channels: number,
  outChannels: number,
): Array<{ name: string; o0: number; o1: number }> {
  const mr = [4, 3, 2, 1].find((m) => channels % m === 0)!;
  const vectorEnd = outChannels - (outChannels % 4);
  const wide = mr <= 2 ? 16 : 8;
  const plan = [];
  if (vectorEnd > 0) {
    const nv = vectorEnd % wide === 0 ? wide / 4 : 1;
    plan.push({ name: kernelName(mr, nv, 4), o0: 0, o1: vectorEnd });
  }
  if (vectorEnd < outChannels) {
    plan.push({ name: kernelName(mr, 1, 1), o0: vectorEnd, o1: outChannels });
  }
  return plan;
}

/** The depthwise kernel for `channels` (a multiple of 4), multiplier 1. */
function depthwisePlan(
  channels: number,
  mode: Mode,
): Array<{ name: string; o0: number; o1: number }> {
  const nv = [4, 2, 1].find((v) => channels % (4 * v) === 0)!;
  return [{ name: depthwiseName(nv, mode), o0: 0, o1: 1 }];
}

/** Floats of x and dy one image chunk may hold: half a 1 MiB L2 cache. */
let chunkFloats = 1 << 17;

/**
 * Sets how many floats of x and dy one image chunk of the WASM filter
 * gradient may hold (default 2^17); for measurements and tests. Each chunk
 * is streamed once per filter tap and channel tile, so it should stay in the
 * L2 cache.
 *
 * @param floats the new budget, ≥ 1; a chunk always holds at least one image
 * @returns the previous budget, to restore it
 * @example
 * ```ts
 * import { setFilterChunkFloats } from "./_simd_filter_grad.ts";
 * const old = setFilterChunkFloats(1); // one image per chunk
 * setFilterChunkFloats(old);
 * ```
 */
export function setFilterChunkFloats(floats: number): number {
  if (!(floats >= 1)) {
    throw new RangeError(`setFilterChunkFloats: floats must be a number ≥ 1, got ${floats}`);
  }
  const old = chunkFloats;
  chunkFloats = floats;
  return old;
}

/** Byte addresses in the heap of the buffers a kernel reads and writes. */
export interface ConvGradBuffers {
  /** x; for `depthwiseInput` the output dx, zeroed here. */
  x: number;
  dy: number;
  /** The output dW [kh, kw, C, Co], zeroed here; for `depthwiseInput` the filter. */
  dw: number;
  /** Scratch of at least {@link FILTER_TAP_FIELDS} int32 per filter tap. */
  table: number;
}

/**
 * Runs a conv gradient of the forward conv `c` on the heap `memory`: the
 * dense filter gradient (mode "dense", the default), or for a depthwise conv
 * with multiplier 1 and channels a multiple of 4 its filter gradient
 * ("depthwiseFilter") or its input gradient ("depthwiseInput").
 *
 * @param memory tfjs-backend-wasm's memory
 * @param at the buffers' byte addresses
 * @param c the forward conv's geometry
 * @param options `mode` (default "dense")
 */
export function simdConvGradient(
  memory: WebAssembly.Memory,
  at: ConvGradBuffers,
  c: tf.backend_util.Conv2DInfo,
  options: { mode?: Mode } = {},
): void {
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const mode = options.mode ?? "dense";
  const depthwise = mode !== "dense";
  if (depthwise && (co !== ci || ci % 4 !== 0)) {
    throw new RangeError(
      `The SIMD depthwise gradients need multiplier 1 and channels a multiple of 4, got ${ci} → ${co}`,
    );
  }
  // dW has [kh, kw, C, Co] floats, or [kh, kw, C, 1] for a depthwise conv.
  const dwChannels = depthwise ? 1 : co;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  const kernels = simdKernels(memory, buildKernels);
  const plan = (depthwise ? depthwisePlan(ci, mode) : filterGradPlan(ci, co))
    .map((p) => ({ ...p, kernel: kernels.get(p.name)! }));

  // Per tap, the output rows and columns whose input pixel is inside the image.
  const range = (
    tap: number,
    dilation: number,
    pad: number,
    stride: number,
    size: number,
    out: number,
  ) => {
    const shift = tap * dilation - pad;
    const start = Math.max(0, Math.ceil(-shift / stride));
    const end = Math.min(out, Math.floor((size - 1 - shift) / stride) + 1);
    return [start, end, shift] as const;
  };
  const table = new Int32Array(memory.buffer, at.table, kh * kw * TAP_FIELDS);
  for (let i = 0; i < kh; i++) {
    const [yStart, yEnd, dyShift] = range(i, dh, top, sh, h, oh);
    for (let j = 0; j < kw; j++) {
      const [xStart, xEnd, dxShift] = range(j, dw, left, sw, w, ow);
      const t = i * kw + j;
      table.set([
        yStart,
        yEnd,
        xStart,
        xEnd - xStart,
        4 * (dyShift * w + dxShift) * ci,
        4 * t * ci * dwChannels,
      ], t * TAP_FIELDS);
    }
  }
  if (mode === "depthwiseInput") {
    new Float32Array(memory.buffer, at.x, c.batchSize * h * w * ci).fill(0);
  } else new Float32Array(memory.buffer, at.dw, kh * kw * ci * dwChannels).fill(0);

  const perImage = h * w * ci + oh * ow * co;
  const chunk = Math.max(1, Math.floor(chunkFloats / perImage));
  for (let n0 = 0; n0 < c.batchSize; n0 += chunk) {
    for (const { kernel, o0, o1 } of plan) {
      kernel(
        at.x,
        at.dy,
        at.dw,
        at.table,
        kh * kw,
        n0,
        Math.min(c.batchSize, n0 + chunk),
        4 * h * w * ci,
        4 * sh * w * ci,
        4 * sw * ci,
        4 * oh * ow * co,
        4 * ow * co,
        4 * co,
        ci,
        dwChannels,
        o0,
        o1,
      );
    }
  }
}
