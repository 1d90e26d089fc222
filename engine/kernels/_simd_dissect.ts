/**
 * The full-resolution step of the dissection tally (METHODS.md §6) as one
 * WebAssembly SIMD pass over tfjs-backend-wasm's heap: bilinear upsampling of
 * D = A − T (activations minus each unit's threshold, subtracted in the
 * kernel at the layer's resolution as tf.sub would), the test D > 0, and
 * the packing of each pixel's units into bit words, keeping only the pixels
 * where some unit is on.
 *
 * Why a kernel: with tf ops the upsampled maps (22 M floats per batch of 32
 * scenes for scenes-cnn's four conv layers) were written, read again for a
 * max over units, gathered and multiplied; here nothing full-size is
 * written, and a pixel is only interpolated where one of its (up to four)
 * source pixels has a unit above threshold ("hot"): a bilinear value
 * a + (b − a)·α with 0 ≤ α ≤ 1 of values ≤ 0 is ≤ 0 in float arithmetic too
 * (b − a ≤ −a rounds to at most −a, as does its product with α), so the
 * pixels skipped are exactly those with no unit on.
 *
 * The interpolation repeats XNNPACK's (what tf.image.resizeBilinear runs on
 * WASM) operation by operation, t = tl + (tr − tl)·αh, b = bl + (br − bl)·αh,
 * v = t + (b − t)·αv, with the source indices and weights taken from the
 * backend itself (see {@link bilinearAxis}), so the bits
 * are those of step(resizeBilinear(D)), bit for bit.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type Code, forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** Source rows (or columns) and weights of one axis of a bilinear resize. */
export interface ResizeAxis {
  /** First source index per output index. */
  lo: Int32Array;
  /** Second source index (equal to `lo` at a clamped edge). */
  hi: Int32Array;
  /** Weight of `hi`: value = v[lo] + (v[hi] − v[lo])·alpha, in float32. */
  alpha: Float32Array;
}

/** The pixels where some unit is on, with their units as bits. */
export interface OnPixels {
  /** 32-bit words per pixel: ⌈K/32⌉. */
  words: number;
  /** Pixels listed. */
  count: number;
  /**
   * `count` records of 1 + `words` int32: the pixel's index n·H·W + y·W + x,
   * then its words (bit u of word i: unit 32·i + u is on).
   */
  records: Int32Array;
}

/** Bytes of one coordinate entry: two byte offsets, a weight, two hot-flag offsets. */
const ENTRY = 20;

/** hot[p] = 1 where some unit of pixel p has a > t, i.e. a − t > 0 (`nv` vectors of units). */
function hotPixels(nv: number): WasmFunction {
  const params = ["a", "t", "hot", "pixels"] as const;
  const l = new Locals(params);
  l.add("p", I32);
  l.add("acc", V128);
  const body: Code[] = [op.v128Zero, l.set("acc")];
  for (let v = 0; v < nv; v++) {
    body.push(
      l.get("acc"),
      l.get("a"),
      op.v128Load(16 * v),
      l.get("t"),
      op.v128Load(16 * v),
      op.f32x4Gt,
      op.v128Or,
      l.set("acc"),
    );
  }
  return {
    name: "hot",
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [forLoop(l, "p", op.i32(0), l.get("pixels"), op.i32(1), [
      ...body,
      l.get("hot"),
      l.get("acc"),
      op.v128AnyTrue,
      op.i32Store(0),
      [l.get("a"), op.i32(16 * nv), op.i32Add, l.set("a")],
      [l.get("hot"), op.i32(4), op.i32Add, l.set("hot")],
    ])],
  };
}

/**
 * Upsample, threshold and pack (module doc); returns the number of records
 * written at `out`. Offsets in `coords` are relative to an image of d / hot.
 */
function onBits(nv: number): WasmFunction {
  const params = [
    "a",
    "t",
    "hot",
    "coords",
    "out",
    "batch",
    "outHeight",
    "outWidth",
    "imageBytes",
    "hotImageBytes",
  ] as const;
  const words = Math.ceil(nv / 8);
  const l = new Locals(params);
  for (
    const name of [
      "n",
      "oy",
      "ox",
      "cy",
      "cx",
      "xBase",
      "dImg",
      "hImg",
      "top",
      "bot",
      "hT",
      "hB",
      "pTL",
      "pTR",
      "pBL",
      "pBR",
      "rec",
      "px",
      "word",
      "any",
    ]
  ) l.add(name, I32);
  for (const name of ["av", "ah", "tv", "top4", "bot4"]) l.add(name, V128);
  const lerp = (a: Code, b: Code, alpha: string): Code => [
    b,
    a,
    op.f32x4Sub,
    l.get(alpha),
    op.f32x4Mul,
    a,
    op.f32x4Add,
  ];
  const pack: Code[] = [];
  for (let w = 0; w < words; w++) {
    pack.push(op.i32(0), l.set("word"));
    for (let j = 0; j < 8 && 8 * w + j < nv; j++) {
      const offset = 16 * (8 * w + j);
      // D = A − T at each corner, the same float32 subtraction as tf.sub.
      const load = (p: string) => [l.get(p), op.v128Load(offset), l.get("tv"), op.f32x4Sub];
      pack.push(
        [l.get("t"), op.v128Load(offset), l.set("tv")],
        lerp(load("pTL"), load("pTR"), "ah"),
        l.set("top4"),
        lerp(load("pBL"), load("pBR"), "ah"),
        l.set("bot4"),
        lerp(l.get("top4"), l.get("bot4"), "av"),
        op.v128Zero,
        op.f32x4Gt,
        op.i32x4Bitmask,
        op.i32(4 * j),
        op.i32Shl,
        l.get("word"),
        op.i32Or,
        l.set("word"),
      );
    }
    pack.push(
      l.get("rec"),
      l.get("word"),
      op.i32Store(4 + 4 * w),
      l.get("any"),
      l.get("word"),
      op.i32Or,
      l.set("any"),
    );
  }
  const hotAt = (row: string, col: number) => [
    l.get(row),
    l.get("cx"),
    op.i32Load(col),
    op.i32Add,
    op.i32Load(0),
  ];
  const pixel: Code[] = [
    // Any hot source pixel among the four corners?
    hotAt("hT", 12),
    hotAt("hT", 16),
    op.i32Or,
    hotAt("hB", 12),
    op.i32Or,
    hotAt("hB", 16),
    op.i32Or,
    op.if(
      [l.get("cx"), op.f32Load(8), op.f32x4Splat, l.set("ah")],
      [l.get("top"), l.get("cx"), op.i32Load(0), op.i32Add, l.set("pTL")],
      [l.get("top"), l.get("cx"), op.i32Load(4), op.i32Add, l.set("pTR")],
      [l.get("bot"), l.get("cx"), op.i32Load(0), op.i32Add, l.set("pBL")],
      [l.get("bot"), l.get("cx"), op.i32Load(4), op.i32Add, l.set("pBR")],
      op.i32(0),
      l.set("any"),
      ...pack,
      l.get("any"),
      op.if(
        l.get("rec"),
        l.get("px"),
        op.i32Store(0),
        [l.get("rec"), op.i32(4 * (1 + words)), op.i32Add, l.set("rec")],
      ),
    ),
    [l.get("px"), op.i32(1), op.i32Add, l.set("px")],
    [l.get("cx"), op.i32(ENTRY), op.i32Add, l.set("cx")],
  ];
  return {
    name: "onBits",
    params: params.map(() => I32),
    results: [I32],
    locals: l.types,
    body: [
      l.get("out"),
      l.set("rec"),
      op.i32(0),
      l.set("px"),
      [l.get("coords"), l.get("outHeight"), op.i32(ENTRY), op.i32Mul, op.i32Add, l.set("xBase")],
      forLoop(l, "n", op.i32(0), l.get("batch"), op.i32(1), [
        [l.get("a"), l.get("n"), l.get("imageBytes"), op.i32Mul, op.i32Add, l.set("dImg")],
        [l.get("hot"), l.get("n"), l.get("hotImageBytes"), op.i32Mul, op.i32Add, l.set("hImg")],
        l.get("coords"),
        l.set("cy"),
        forLoop(l, "oy", op.i32(0), l.get("outHeight"), op.i32(1), [
          [l.get("dImg"), l.get("cy"), op.i32Load(0), op.i32Add, l.set("top")],
          [l.get("dImg"), l.get("cy"), op.i32Load(4), op.i32Add, l.set("bot")],
          [l.get("cy"), op.f32Load(8), op.f32x4Splat, l.set("av")],
          [l.get("hImg"), l.get("cy"), op.i32Load(12), op.i32Add, l.set("hT")],
          [l.get("hImg"), l.get("cy"), op.i32Load(16), op.i32Add, l.set("hB")],
          l.get("xBase"),
          l.set("cx"),
          forLoop(l, "ox", op.i32(0), l.get("outWidth"), op.i32(1), pixel),
          [l.get("cy"), op.i32(ENTRY), op.i32Add, l.set("cy")],
        ]),
      ]),
      l.get("rec"),
      l.get("out"),
      op.i32Sub,
      op.i32(4 * (1 + words)),
      op.i32DivS,
    ],
  };
}

const builders = new Map<number, () => WasmFunction[]>();

/** The kernels for `nv` vectors of units (one builder per nv, so instances are cached). */
function builder(nv: number): () => WasmFunction[] {
  let b = builders.get(nv);
  if (b === undefined) {
    b = () => [hotPixels(nv), onBits(nv)];
    builders.set(nv, b);
  }
  return b;
}

/** What {@link simdOnPixels} reads. */
export interface OnPixelsInput {
  /** A, [N, h, w, K] float32 on the wasm heap, K a multiple of 4; not disposed. */
  activations: tf.TensorInfo;
  /** T per unit, length K (used as float32, as tf.sub would). */
  thresholds: ArrayLike<number>;
  /** Source rows and weights of the resize, length H (from {@link bilinearAxis}). */
  y: ResizeAxis;
  /** Source columns and weights, length W. */
  x: ResizeAxis;
}

/**
 * The pixels of step(resizeBilinear(A − T, [H, W])) with some unit on, and
 * their units as bits (module doc), computed on the wasm heap.
 *
 * @param heap the backend's heap (from `wasmHeap(tf.backend())`)
 * @param input activations, thresholds and resize axes (see {@link OnPixelsInput})
 * @returns the listed pixels (a copy; nothing stays on the heap)
 * @throws {RangeError} for a shape or dtype the kernel does not take, a
 *   threshold count other than K, or an axis index out of range
 */
export function simdOnPixels(heap: WasmHeap, input: OnPixelsInput): OnPixels {
  const { activations: a, thresholds, y, x } = input;
  const [n, h, w, k] = a.shape as [number, number, number, number];
  if (a.shape.length !== 4 || k % 4 !== 0 || a.dtype !== "float32") {
    throw new RangeError(
      `simdOnPixels needs float32 [N, h, w, K] with K a multiple of 4, got ${a.dtype} [${a.shape}]`,
    );
  }
  if (thresholds.length !== k) {
    throw new RangeError(`simdOnPixels got ${thresholds.length} thresholds for K = ${k} units`);
  }
  const outH = y.lo.length, outW = x.lo.length;
  for (const [axis, size] of [[y, h], [x, w]] as const) {
    for (let i = 0; i < axis.lo.length; i++) {
      const lo = axis.lo[i]!, hi = axis.hi[i]!;
      if (!(lo >= 0 && lo < size && hi >= 0 && hi < size)) {
        throw new RangeError(`resize source index ${lo}/${hi} out of [0, ${size})`);
      }
    }
  }
  const nv = k / 4, words = Math.ceil(nv / 8);
  const kernels = simdKernels(heap.memory, builder(nv));
  const hot = heap.output([n * h * w]);
  // The coordinate entries, then the thresholds.
  const entries = (outH + outW) * (ENTRY / 4);
  const coords = heap.output([entries + k]);
  const out = heap.output([n * outH * outW * (1 + words)]);
  try {
    // Views after every allocation: an allocation may grow (and detach) the buffer.
    const at = (t: tf.TensorInfo) => heap.address(t);
    const ci = new Int32Array(heap.memory.buffer, at(coords), entries + k);
    const cf = new Float32Array(ci.buffer, ci.byteOffset, ci.length);
    const fill = (axis: ResizeAxis, from: number, stride: number) => {
      for (let i = 0; i < axis.lo.length; i++) {
        const e = from + i * (ENTRY / 4);
        ci[e] = axis.lo[i]! * stride * 4 * k;
        ci[e + 1] = axis.hi[i]! * stride * 4 * k;
        cf[e + 2] = axis.alpha[i]!;
        ci[e + 3] = axis.lo[i]! * stride * 4;
        ci[e + 4] = axis.hi[i]! * stride * 4;
      }
    };
    fill(y, 0, w);
    fill(x, outH * (ENTRY / 4), 1);
    for (let u = 0; u < k; u++) cf[entries + u] = thresholds[u]!;
    const t = at(coords) + 4 * entries;
    kernels.get("hot")!(at(a), t, at(hot), n * h * w);
    const count = (kernels.get("onBits") as unknown as (...args: number[]) => number)(
      at(a),
      t,
      at(hot),
      at(coords),
      at(out),
      n,
      outH,
      outW,
      4 * h * w * k,
      4 * h * w,
    );
    const records = new Int32Array(heap.memory.buffer, at(out), count * (1 + words)).slice();
    return { words, count, records };
  } finally {
    heap.free(hot);
    heap.free(coords);
    heap.free(out);
  }
}

/** Resize source indices and weights per (backend, sizes, axis). */
const axisCache = new Map<string, Promise<ResizeAxis>>();

/**
 * One axis of tf.image.resizeBilinear (half-pixel centres) as the backend
 * computes it: resizing the rows of an identity matrix gives, per output
 * index, the weight of each source index; with t = a + (b − a)·α the weight
 * of the second source is α itself, exactly. Taking it from the backend
 * (rather than recomputing the coordinate formula) keeps the SIMD kernel's
 * values bit-identical to resizeBilinear's for any pair of sizes.
 *
 * @param from source size along the axis
 * @param to output size
 * @param axis which axis of an NHWC image ("y": height, "x": width)
 * @returns source indices and weights (memoised per backend and sizes)
 * @example
 * ```ts
 * import { bilinearAxis } from "./_simd_dissect.ts";
 * const a = await bilinearAxis(2, 4, "x"); // ×2: sources 0,0 | 0,1 | 0,1 | 1,1
 * if (a.alpha[1] !== 0.25 || a.hi[3] !== 1) throw new Error("bad axis");
 * ```
 */
export function bilinearAxis(from: number, to: number, axis: "y" | "x"): Promise<ResizeAxis> {
  const key = `${tf.getBackend()}:${axis}:${from}>${to}`;
  let found = axisCache.get(key);
  if (found === undefined) {
    found = (async () => {
      const weights = tf.tidy(() => {
        const eye = tf.eye(from);
        return axis === "x"
          ? tf.image.resizeBilinear(
            tf.reshape(eye, [from, 1, from, 1]) as tf.Tensor4D,
            [1, to],
            false,
            true,
          )
          : tf.image.resizeBilinear(
            tf.reshape(eye, [from, from, 1, 1]) as tf.Tensor4D,
            [to, 1],
            false,
            true,
          );
      });
      let v: Float32Array;
      try {
        v = (await weights.data()) as Float32Array;
      } finally {
        weights.dispose();
      }
      const lo = new Int32Array(to), hi = new Int32Array(to), alpha = new Float32Array(to);
      for (let o = 0; o < to; o++) {
        const sources: number[] = [];
        for (let i = 0; i < from; i++) if (v[i * to + o] !== 0) sources.push(i);
        // One source: a clamped edge or α = 0, where a + (a − a)·α = a whatever α.
        lo[o] = sources[0] ?? 0;
        hi[o] = sources[1] ?? lo[o]!;
        alpha[o] = sources.length > 1 ? v[hi[o]! * to + o]! : 0;
        if (sources.length > 2 || (sources.length === 1 && v[lo[o]! * to + o] !== 1)) {
          throw new Error(`unexpected resizeBilinear weights for output ${o} of ${from}→${to}`);
        }
      }
      return { lo, hi, alpha };
    })();
    axisCache.set(key, found);
    // A failed read is not remembered.
    found.catch(() => axisCache.delete(key));
  }
  return found;
}
