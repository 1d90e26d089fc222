/**
 * Convolution gradient kernels for the WASM backend, built on its fast
 * forward convolution and on a SIMD kernel of the project's own.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropInput` or `DepthwiseConv2dNativeBackpropFilter`,
 * and its `Conv2DBackpropInput` is about 10× slower than a forward conv, so
 * training, or any gradient through a depthwise conv, fails or crawls on WASM.
 * Replacing gradient functions would not be enough: `tf.fused.conv2d` (what
 * tfjs-layers calls) runs the backprop ops from its own custom gradient. So
 * these are registered as WASM kernels.
 *
 * - Dense input gradients are forward convolutions (XNNPACK) of dy with the filter
 *   rotated 180°. A stride s > 1 is split into s×s phases, each a stride-1
 *   conv with every s-th tap, so no FLOPs go to inserted zeros.
 * - The dense filter gradient is a WebAssembly SIMD kernel that reads x and
 *   dy in place (`_simd_filter_grad.ts`): about as fast as the forward conv,
 *   where XNNPACK matmuls over per-tap views of x took twice as long, and
 *   seven times as long for a first layer with 1–3 input channels.
 * - Depthwise convs with multiplier 1 and channels a multiple of 4 take both
 *   gradients from the same SIMD kernel, channel by channel (the input
 *   gradient scatters dy through each tap's weights). Otherwise it is a
 *   dot product per (tap, channel) over runs of a padded, phase-split x, in
 *   JavaScript: a batched matmul with one small matrix per channel would
 *   take WASM's slow non-XNNPACK path.
 *
 * Kernels are composed on `TensorInfo`s (not through `tf.*` ops, which would
 * nest engine scopes inside a kernel), and every intermediate is freed before
 * the kernel returns, also when it throws.
 *
 * @example
 * ```ts
 * import { useBackend } from "../backend.ts";
 * import { tf } from "../deps.ts";
 * await useBackend("wasm", { quiet: true }); // registers the kernels
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
 * const w = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
 * const dw = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, "same"))(w);
 * // The centre tap meets all 16 pixels, a corner tap 9 (the rest is padding).
 * const v = await dw.data();
 * if (!(v[8] === 16 && v[0] === 9)) throw new Error("example failed");
 * tf.dispose([x, w, dw]);
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { FILTER_TAP_FIELDS, simdConvGradient } from "./_simd_filter_grad.ts";
import { type WasmHeap, wasmHeap } from "./_simd_runtime.ts";
export { setFilterChunkFloats } from "./_simd_filter_grad.ts";

type Info = tf.TensorInfo;
type Shape4 = [number, number, number, number];
type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
type ConvInfo = tf.backend_util.Conv2DInfo;

/** The attributes the four kernels read; tfjs passes no `dilations` to the Conv2D ones. */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** The part of tfjs-backend-wasm's `BackendWasm` these kernels use beyond `KernelBackend`. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: "float32", memoryOffset?: number): Info;
  typedArrayFromHeap(info: Info): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
  dataIdMap: {
    get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined;
    delete(dataId: tf.DataId): boolean;
  };
  wasm: { tfjs: { disposeData(id: number): void } };
}

const BACKEND = "wasm";

/**
 * Runs WASM kernels on `TensorInfo`s and remembers their outputs, so that a
 * gradient kernel frees all its intermediates in one place.
 */
class Kernels {
  readonly #backend: WasmBackend;
  /** The heap, for kernels of the project's own that run on it. */
  readonly simd: WasmHeap;
  readonly #temps = new Set<Info>();
  readonly #views = new Set<Info>();

  constructor(backend: unknown) {
    const b = backend as Partial<WasmBackend>;
    if (
      typeof b.makeOutput !== "function" || typeof b.typedArrayFromHeap !== "function" ||
      b.dataIdMap === undefined || typeof b.wasm?.tfjs?.disposeData !== "function"
    ) {
      throw new TypeError(
        "The WASM gradient kernels ran on a backend that is not tfjs-backend-wasm",
      );
    }
    const heap = wasmHeap(backend);
    if (heap === null) throw new TypeError("The WASM gradient kernels found no WASM heap");
    this.#backend = b as WasmBackend;
    this.simd = heap;
  }

  run(name: string, inputs: tf.NamedTensorInfoMap | Info[], attrs: tf.NamedAttrMap = {}): Info {
    const config = tf.getKernel(name, BACKEND);
    if (config === undefined) {
      throw new Error(`The WASM gradient kernels need kernel '${name}', which is not registered`);
    }
    // Concat takes its inputs as an array; the engine passes them the same way.
    const out = config.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.#backend,
      attrs,
    });
    if (Array.isArray(out)) throw new Error(`Kernel '${name}' returned several outputs`);
    return this.#track(out);
  }

  /** A new uninitialised float32 buffer, to be filled through {@link heap}. */
  output(shape: number[]): Info {
    return this.#track(this.#backend.makeOutput(shape, "float32"));
  }

  /**
   * A view of a buffer in the WASM heap. Any allocation may grow the heap and
   * detach earlier views, so take views after allocating.
   */
  heap(info: Info): Float32Array {
    return this.#backend.typedArrayFromHeap(info);
  }

  /**
   * A tensor of `shape` over `base`'s buffer from float `offset` on, without
   * a copy, so that a matmul can read a shifted window of a larger buffer.
   * It must not outlive `base`; {@link release} unregisters it without
   * freeing the memory, which `base` owns.
   */
  view(base: Info, offset: number, shape: number[]): Info {
    const entry = this.#backend.dataIdMap.get(base.dataId);
    const size = shape.reduce((a, b) => a * b, 1);
    const available = base.shape.reduce((a, b) => a * b, 1);
    if (entry === undefined || offset < 0 || offset + size > available) {
      throw new RangeError(
        `A view of [${shape}] at ${offset} does not fit a buffer of ${available} floats`,
      );
    }
    const info = this.#backend.makeOutput(shape, "float32", entry.memoryOffset + 4 * offset);
    this.#views.add(info);
    return info;
  }

  /** Frees one intermediate early, to keep the peak memory of a loop low. */
  free(info: Info): void {
    if (this.#views.delete(info)) this.#unregister(info);
    else if (this.#temps.delete(info)) this.#backend.disposeData(info.dataId);
  }

  /** Frees every intermediate except `keep` (the kernel's output). */
  release(keep: Info | undefined): void {
    // Views first: their bases own the memory.
    for (const info of this.#views) this.#unregister(info);
    this.#views.clear();
    for (const info of this.#temps) {
      if (info !== keep) this.#backend.disposeData(info.dataId);
    }
    this.#temps.clear();
  }

  /** Forgets a view: C++ drops its id (and any XNNPACK operator cached for it); no free. */
  #unregister(info: Info): void {
    const entry = this.#backend.dataIdMap.get(info.dataId);
    if (entry === undefined) return;
    this.#backend.wasm.tfjs.disposeData(entry.id);
    this.#backend.dataIdMap.delete(info.dataId);
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run("Transpose", { x }, { perm });
  }

  /** Zero padding; a negative amount crops instead. */
  pad(x: Info, amounts: Array<[number, number]>): Info {
    let out = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(([a, b], i) =>
        (x.shape[i] as number) - Math.max(0, -a) - Math.max(0, -b)
      );
      out = this.run("Slice", { x }, { begin, size });
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run("PadV2", { x: out }, { paddings, constantValue: 0 });
    }
    return out === x ? this.reshape(x, x.shape) : out;
  }

  stridedSlice(x: Info, begin: number[], end: number[], strides: number[]): Info {
    return this.run("StridedSlice", { x }, {
      begin,
      end,
      strides,
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    });
  }

  #track(info: Info): Info {
    this.#temps.add(info);
    return info;
  }
}

/** Runs `body` with a fresh {@link Kernels} and frees all it made but the result. */
function withKernels(backend: unknown, body: (k: Kernels) => Info): Info {
  const k = new Kernels(backend);
  let out: Info | undefined;
  try {
    out = body(k);
    return out;
  } finally {
    k.release(out);
  }
}

function shape4(info: Info, what: string, kernel: string): Shape4 {
  if (info.shape.length !== 4) {
    throw new RangeError(`${kernel}: ${what} must be rank 4, got shape [${info.shape}]`);
  }
  return info.shape as Shape4;
}

/** The forward geometry, after checking what these kernels do not support. */
function convInfo(
  kernel: string,
  inShape: Shape4,
  filterShape: Shape4,
  attrs: ConvAttrs,
  depthwise: boolean,
  dyShape: readonly number[],
): ConvInfo {
  if (attrs.dataFormat === "NCHW") {
    // The WASM forward Conv2D is NHWC-only too, so no WASM graph produces this.
    throw new RangeError(`${kernel} on WASM supports dataFormat 'NHWC' only, got 'NCHW'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
  if (
    (info.strideHeight > 1 && info.dilationHeight > 1) ||
    (info.strideWidth > 1 && info.dilationWidth > 1)
  ) {
    throw new RangeError(
      `${kernel}: strides [${info.strideHeight},${info.strideWidth}] and dilations ` +
        `[${info.dilationHeight},${info.dilationWidth}] are both > 1 along one axis; ` +
        `tfjs allows one or the other`,
    );
  }
  const same = dyShape.length === 4 && dyShape.every((v, i) => v === info.outShape[i]);
  if (!same) {
    throw new RangeError(
      `${kernel}: dy has shape [${dyShape}] but the forward conv gives [${info.outShape}]`,
    );
  }
  return info;
}

/**
 * One stride phase of one axis of the input gradient: the inputs i ≡ phase
 * (mod stride) receive dy through taps k ≡ phase + padBefore (mod stride) only.
 * Along that axis, dx[phase + stride·a] is a stride-1 correlation of dy with
 * those taps reversed, at the given dilation and padding (negative = crop).
 */
interface AxisPhase {
  phase: number;
  /** Inputs in this phase: ⌈(in − phase) / stride⌉. */
  size: number;
  /** Taps in this phase; 0 when the filter is narrower than the stride. */
  taps: number;
  /** Index of the phase's first tap in the reversed filter; later ones follow at `stride`. */
  first: number;
  padBefore: number;
  padAfter: number;
}

function axisPhases(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  dilation: number,
  padBefore: number,
): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let phase = 0; phase < Math.min(stride, inSize); phase++) {
    // stride > 1 implies dilation 1 (checked in convInfo), so the tap
    // arithmetic below mixes them only in the stride-1 case, where it is exact.
    const k0 = (phase + padBefore) % stride;
    const taps = k0 < filterSize ? Math.ceil((filterSize - k0) / stride) : 0;
    const size = Math.ceil((inSize - phase) / stride);
    // dx[phase + s·a] = Σ_m dy[a + shift − m·d] · W[k0 + s·m]
    const shift = (phase + padBefore - k0) / stride;
    const before = (taps - 1) * dilation - shift;
    phases.push({
      phase,
      size,
      taps,
      first: filterSize - 1 - k0 - stride * (taps - 1),
      padBefore: before,
      padAfter: size + (taps - 1) * dilation - before - outSize,
    });
  }
  return phases;
}

/**
 * The input gradient shared by the dense and the depthwise kernels.
 *
 * @param reversed the filter reversed along its two spatial axes, with its
 *   last two axes in the order `correlate` expects
 * @param correlate a stride-1 forward conv of (part of) dy with taps of
 *   `reversed`, returning [N, rows, cols, inChannels]
 */
function inputGradient(
  k: Kernels,
  dy: Info,
  reversed: Info,
  c: ConvInfo,
  correlate: (dy: Info, filter: Info, pad: tf.backend_util.ExplicitPadding) => Info,
): Info {
  const rows = axisPhases(
    c.inHeight,
    c.outHeight,
    c.filterHeight,
    c.strideHeight,
    c.dilationHeight,
    c.padInfo.top,
  );
  const cols = axisPhases(
    c.inWidth,
    c.outWidth,
    c.filterWidth,
    c.strideWidth,
    c.dilationWidth,
    c.padInfo.left,
  );
  const phase = (r: AxisPhase, q: AxisPhase): Info | null => {
    if (r.taps === 0 || q.taps === 0) return null;
    let filter = reversed;
    if (r.taps !== c.filterHeight || q.taps !== c.filterWidth) {
      const [, , a, b] = reversed.shape as Shape4;
      filter = k.stridedSlice(
        reversed,
        [r.first, q.first, 0, 0],
        [
          r.first + (r.taps - 1) * c.strideHeight + 1,
          q.first + (q.taps - 1) * c.strideWidth + 1,
          a,
          b,
        ],
        [c.strideHeight, c.strideWidth, 1, 1],
      );
    }
    // Negative pads become crops, so that the conv only sees non-negative pads.
    const crops: Array<[number, number]> = [
      [0, 0],
      [Math.min(0, r.padBefore), Math.min(0, r.padAfter)],
      [Math.min(0, q.padBefore), Math.min(0, q.padAfter)],
      [0, 0],
    ];
    const cropped = crops.some(([b, e]) => b < 0 || e < 0) ? k.pad(dy, crops) : dy;
    return correlate(cropped, filter, [
      [0, 0],
      [Math.max(0, r.padBefore), Math.max(0, r.padAfter)],
      [Math.max(0, q.padBefore), Math.max(0, q.padAfter)],
      [0, 0],
    ]);
  };
  const [only] = rows;
  const [onlyCol] = cols;
  if (rows.length === 1 && cols.length === 1 && only && onlyCol) {
    return phase(only, onlyCol) ?? zeros(k, c.inShape);
  }
  // Interleave the phases' outputs into dx.
  const parts = rows.flatMap((r) => cols.map((q) => ({ r, q, out: phase(r, q) })));
  const dx = k.output(c.inShape);
  const out = k.heap(dx);
  const [n, h, w, ch] = c.inShape;
  const sh = c.strideHeight;
  const sw = c.strideWidth;
  for (const { r, q, out: part } of parts) {
    const src = part ? k.heap(part) : null;
    let p = 0;
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < r.size; a++) {
        const row = (b * h + r.phase + sh * a) * w;
        for (let e = 0; e < q.size; e++) {
          const at = (row + q.phase + sw * e) * ch;
          if (src) out.set(src.subarray(p, p + ch), at);
          else out.fill(0, at, at + ch);
          p += ch;
        }
      }
    }
  }
  return dx;
}

function zeros(k: Kernels, shape: number[]): Info {
  const out = k.output(shape);
  k.heap(out).fill(0);
  return out;
}

/**
 * x as the filter gradients read it: padded as the forward conv saw it, split
 * into stride phases and laid out phase- and channel-major,
 * [sH, sW, C, N, Ha, Wb]. Then filter tap (i, j) meets channel c in the
 * contiguous run of `length` floats from `start(i, j, c)`, position q of the
 * run lining up with row q of {@link PhaseGrid.dy}, whose rows past the
 * output are zero (so what the run holds there does not matter).
 */
interface PhaseGrid {
  x: Info;
  /** dy padded to the phase grid, [N·Ha·Wb, dy channels]; rows from `length` on are unused. */
  dy: Info;
  /** Floats in each tap's run. */
  length: number;
  start(i: number, j: number, channel: number): number;
}

function phaseGrid(k: Kernels, x: Info, dy: Info, c: ConvInfo): PhaseGrid {
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const [n, , , ch] = c.inShape;
  // Rows of the padded x some tap reads, rounded up to whole phases.
  const ha = Math.ceil(((c.outHeight - 1) * sh + (c.filterHeight - 1) * dh + 1) / sh);
  const wb = Math.ceil(((c.outWidth - 1) * sw + (c.filterWidth - 1) * dw + 1) / sw);
  const padded = k.pad(x, [
    [0, 0],
    [c.padInfo.top, ha * sh - c.padInfo.top - c.inHeight],
    [c.padInfo.left, wb * sw - c.padInfo.left - c.inWidth],
    [0, 0],
  ]);
  let xt = k.transpose(padded, [3, 0, 1, 2]);
  if (sh > 1 || sw > 1) {
    // Two rank-4 transposes: WASM's rank-5 and rank-6 ones are ~50× slower.
    xt = k.transpose(k.reshape(xt, [ch * n * ha, sh, wb, sw]), [1, 3, 0, 2]);
  }
  const dyChannels = dy.shape[3] as number;
  const grid = k.reshape(
    k.pad(dy, [[0, 0], [0, ha - c.outHeight], [0, wb - c.outWidth], [0, 0]]),
    [n * ha * wb, dyChannels],
  );
  const block = n * ha * wb;
  return {
    x: xt,
    dy: grid,
    length: (n - 1) * ha * wb + (c.outHeight - 1) * wb + c.outWidth,
    start(i, j, channel) {
      const r = i * dh;
      const q = j * dw;
      const phase = (r % sh) * sw + (q % sw);
      return (phase * ch + channel) * block + Math.floor(r / sh) * wb + Math.floor(q / sw);
    },
  };
}

function conv2DBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): Info {
  const name = "Conv2DBackpropInput";
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const c = convInfo(name, a.inputShape, shape4(filter, "filter", name), a, false, dy.shape);
  return withKernels(backend, (k) => {
    // dx = correlation of dy with W rotated 180° and its in/out channels swapped.
    const reversed = k.transpose(k.run("Reverse", { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
    return inputGradient(
      k,
      dy,
      reversed,
      c,
      (operand, f, pad) =>
        k.run("Conv2D", { x: operand, filter: f }, {
          strides: 1,
          pad,
          dataFormat: "NHWC",
          dilations: [c.dilationHeight, c.dilationWidth],
        }),
    );
  });
}

function conv2DBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): Info {
  const name = "Conv2DBackpropFilter";
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const c = convInfo(name, shape4(x, "x", name), a.filterShape, a, false, dy.shape);
  const [kh, kw] = a.filterShape;
  return withKernels(backend, (k) => {
    const dw = k.output([...a.filterShape]);
    const table = k.output([kh * kw * FILTER_TAP_FIELDS]);
    const { memory, address } = k.simd;
    simdConvGradient(memory, {
      x: address(x),
      dy: address(dy),
      dw: address(dw),
      table: address(table),
    }, c);
    return dw;
  });
}

function depthwiseBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): Info {
  const name = "DepthwiseConv2dNativeBackpropInput";
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const [kh, kw, ch, m] = shape4(filter, "filter", name);
  const c = convInfo(name, a.inputShape, [kh, kw, ch, m], a, true, dy.shape);
  return withKernels(backend, (k) => {
    if (m === 1 && ch % 4 === 0) {
      const dx = k.output([...a.inputShape]);
      const table = k.output([kh * kw * FILTER_TAP_FIELDS]);
      const { memory, address } = k.simd;
      simdConvGradient(
        memory,
        { x: address(dx), dy: address(dy), dw: address(filter), table: address(table) },
        c,
        { mode: "depthwiseInput" },
      );
      return dx;
    }
    // Each dy channel c·m + q correlates with its own rotated taps: a
    // multiplier-1 depthwise conv over all ch·m channels, then a sum over q.
    const reversed = k.reshape(k.run("Reverse", { x: filter }, { dims: [0, 1] }), [
      kh,
      kw,
      ch * m,
      1,
    ]);
    return inputGradient(k, dy, reversed, c, (operand, f, pad) => {
      const perChannel = k.run("DepthwiseConv2dNative", { x: operand, filter: f }, {
        strides: 1,
        pad,
        dataFormat: "NHWC",
        dilations: [c.dilationHeight, c.dilationWidth],
      });
      if (m === 1) return perChannel;
      const [n, h, w] = perChannel.shape as Shape4;
      return k.run("Sum", { x: k.reshape(perChannel, [n, h, w, ch, m]) }, {
        axis: 4,
        keepDims: false,
      });
    });
  });
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): Info {
  const name = "DepthwiseConv2dNativeBackpropFilter";
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const c = convInfo(name, shape4(x, "x", name), a.filterShape, a, true, dy.shape);
  const [kh, kw, ch, m] = a.filterShape;
  return withKernels(backend, (k) => {
    if (m === 1 && ch % 4 === 0) {
      const dw = k.output([kh, kw, ch, 1]);
      const table = k.output([kh * kw * FILTER_TAP_FIELDS]);
      const { memory, address } = k.simd;
      simdConvGradient(
        memory,
        {
          x: address(x),
          dy: address(dy),
          dw: address(dw),
          table: address(table),
        },
        c,
        { mode: "depthwiseFilter" },
      );
      return dw;
    }
    const g = phaseGrid(k, x, dy, c);
    const dyt = k.transpose(g.dy, [1, 0]);
    const dyRow = dyt.shape[1] as number;
    const dw = k.output([kh, kw, ch, m]);
    const xs = k.heap(g.x);
    const ds = k.heap(dyt);
    const out = k.heap(dw);
    // Taps whose runs start at consecutive offsets share one pass over dy.
    // Every channel's runs are channel 0's shifted by the same amount, so
    // channel 0 tells which taps group.
    const runs: Array<{ offset: number; taps: number[] }> = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const offset = g.start(i, j, 0);
        const last = runs.at(-1);
        const tap = i * kw + j;
        if (last && last.taps.length < 3 && last.offset + last.taps.length === offset) {
          last.taps.push(tap);
        } else runs.push({ offset, taps: [tap] });
      }
    }
    for (let chan = 0; chan < ch; chan++) {
      const shift = g.start(0, 0, chan) - g.start(0, 0, 0);
      for (let q = 0; q < m; q++) {
        const d0 = (chan * m + q) * dyRow;
        for (const run of runs) {
          const sums = dotRun(xs, run.offset + shift, ds, d0, g.length, run.taps.length);
          for (const [t, tap] of run.taps.entries()) {
            out[(tap * ch + chan) * m + q] = sums[t] as number;
          }
        }
      }
    }
    return dw;
  });
}

/**
 * Σ_p x[x0 + t + p] · d[d0 + p] for t < count (1–3) in one pass, each d and x
 * value loaded once; accumulated in doubles like the CPU backend.
 */
function dotRun(
  x: Float32Array,
  x0: number,
  d: Float32Array,
  d0: number,
  length: number,
  count: number,
): [number, number, number] {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  if (count === 1) {
    for (let p = 0; p < length; p++) s0 += (x[x0 + p] as number) * (d[d0 + p] as number);
  } else if (count === 2) {
    let a = x[x0] as number;
    for (let p = 0; p < length; p++) {
      const b = x[x0 + p + 1] as number;
      const v = d[d0 + p] as number;
      s0 += a * v;
      s1 += b * v;
      a = b;
    }
  } else {
    let a = x[x0] as number;
    let b = x[x0 + 1] as number;
    for (let p = 0; p < length; p++) {
      const e = x[x0 + p + 2] as number;
      const v = d[d0 + p] as number;
      s0 += a * v;
      s1 += b * v;
      s2 += e * v;
      a = b;
      b = e;
    }
  }
  return [s0, s1, s2];
}

const KERNELS: ReadonlyArray<{ kernelName: string; kernelFunc: tf.KernelFunc }> = [
  { kernelName: "Conv2DBackpropInput", kernelFunc: conv2DBackpropInput },
  { kernelName: "Conv2DBackpropFilter", kernelFunc: conv2DBackpropFilter },
  { kernelName: "DepthwiseConv2dNativeBackpropInput", kernelFunc: depthwiseBackpropInput },
  { kernelName: "DepthwiseConv2dNativeBackpropFilter", kernelFunc: depthwiseBackpropFilter },
];

/**
 * Registers fast WASM kernels for the input and filter gradients of `conv2d`
 * and `depthwiseConv2d`, replacing WASM's slow `Conv2DBackpropInput`; safe to
 * call again.
 *
 * Supported: strides, dilations (also a `dilations` attr on the Conv2D
 * kernels, which tfjs itself never passes), 'same'/'valid'/numeric/explicit
 * pads with any `dimRoundingMode`, any channel multiplier. dataFormat 'NCHW'
 * throws a `RangeError` (WASM's forward conv is NHWC-only as well).
 * `useBackend("wasm")` calls this; call it yourself only when you select the
 * WASM backend some other way.
 */
export function registerWasmGradients(): void {
  for (const { kernelName, kernelFunc } of KERNELS) {
    const existing = tf.getKernel(kernelName, BACKEND);
    if (existing?.kernelFunc === kernelFunc) continue;
    if (existing !== undefined) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
  }
}
