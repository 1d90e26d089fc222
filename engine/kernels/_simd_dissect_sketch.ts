/**
 * The per-batch step of the quantile sketch (engine/stats/quantile.ts) as
 * WebAssembly SIMD kernels on tfjs-backend-wasm's heap, four units at a time:
 * per-unit min and max over all rows, and the bucketing of every value into
 * its unit's histogram, bin ⌊x·2^−e − o⌋ (the same float32 product and sum
 * as the tf-op path's 1×1 depthwise convolution with bias, then floor).
 *
 * Why: with tf ops the batch took a max-pool read, two depthwise convs, a
 * cast and a bincount; here it is one pass for min/max and one for the
 * counts, with no read-back through tfjs.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import { type Code, forLoop, I32, Locals, op, V128, type WasmFunction } from "./_wasm_asm.ts";
import { simdKernels, type WasmHeap } from "./_simd_runtime.ts";

/** out[0..K) = per-unit min, out[K..2K) = max, over `rows` rows of K floats (NaN propagates). */
function minMax(nv: number): WasmFunction {
  const params = ["x", "out", "rows"] as const;
  const l = new Locals(params);
  l.add("r", I32);
  for (let v = 0; v < nv; v++) {
    l.add(`lo${v}`, V128);
    l.add(`hi${v}`, V128);
  }
  const init: Code[] = [], step: Code[] = [], store: Code[] = [];
  for (let v = 0; v < nv; v++) {
    init.push(op.f32(Infinity), op.f32x4Splat, l.set(`lo${v}`));
    init.push(op.f32(-Infinity), op.f32x4Splat, l.set(`hi${v}`));
    step.push(l.get(`lo${v}`), l.get("x"), op.v128Load(16 * v), op.f32x4Min, l.set(`lo${v}`));
    step.push(l.get(`hi${v}`), l.get("x"), op.v128Load(16 * v), op.f32x4Max, l.set(`hi${v}`));
    store.push(l.get("out"), l.get(`lo${v}`), op.v128Store(16 * v));
    store.push(l.get("out"), l.get(`hi${v}`), op.v128Store(16 * (nv + v)));
  }
  return {
    name: "minMax",
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      ...init,
      forLoop(l, "r", op.i32(0), l.get("rows"), op.i32(1), [
        ...step,
        [l.get("x"), op.i32(16 * nv), op.i32Add, l.set("x")],
      ]),
      ...store,
    ],
  };
}

/**
 * counts[k·B + j] += 1 for every value, j = ⌊x·scale_k + shift_k⌋ clamped to
 * [0, top]. `table` holds scale [K] f32, shift [K] f32, then k·B [K] i32.
 */
function bucket(nv: number): WasmFunction {
  const params = ["x", "table", "counts", "rows", "top"] as const;
  const l = new Locals(params);
  for (const name of ["r", "at"]) l.add(name, I32);
  for (const name of ["idx", "topv"]) l.add(name, V128);
  const body: Code[] = [];
  for (let v = 0; v < nv; v++) {
    body.push(
      l.get("x"),
      op.v128Load(16 * v),
      l.get("table"),
      op.v128Load(16 * v),
      op.f32x4Mul,
      l.get("table"),
      op.v128Load(16 * (nv + v)),
      op.f32x4Add,
      op.f32x4Floor,
      op.i32x4TruncSatF32x4S,
      l.get("topv"),
      op.i32x4MinS,
      op.v128Zero,
      op.i32x4MaxS,
      l.get("table"),
      op.v128Load(16 * (2 * nv + v)),
      op.i32x4Add,
      op.i32(2),
      op.i32x4Shl,
      l.set("idx"),
    );
    for (let lane = 0; lane < 4; lane++) {
      body.push(
        l.get("counts"),
        l.get("idx"),
        op.i32x4ExtractLane(lane),
        op.i32Add,
        l.tee("at"),
        l.get("at"),
        op.i32Load(0),
        op.i32(1),
        op.i32Add,
        op.i32Store(0),
      );
    }
  }
  return {
    name: "bucket",
    params: params.map(() => I32),
    results: [],
    locals: l.types,
    body: [
      l.get("top"),
      op.i32x4Splat,
      l.set("topv"),
      forLoop(l, "r", op.i32(0), l.get("rows"), op.i32(1), [
        ...body,
        [l.get("x"), op.i32(16 * nv), op.i32Add, l.set("x")],
      ]),
    ],
  };
}

const builders = new Map<number, () => WasmFunction[]>();

function builder(nv: number): () => WasmFunction[] {
  let b = builders.get(nv);
  if (b === undefined) {
    b = () => [minMax(nv), bucket(nv)];
    builders.set(nv, b);
  }
  return b;
}

function checkValues(values: tf.TensorInfo): [rows: number, units: number] {
  const units = values.shape.at(-1) ?? 0;
  if (values.dtype !== "float32" || units === 0 || units % 4 !== 0) {
    throw new RangeError(
      `the SIMD sketch needs float32 values with a last axis that is a multiple of 4, got ${values.dtype} [${values.shape}]`,
    );
  }
  return [values.shape.reduce((a, b) => a * b, 1) / units, units];
}

/**
 * Per-unit min and max of values [..., K] (K a multiple of 4) on the wasm heap.
 *
 * @param heap the backend's heap
 * @param values the values, float32, last axis = units; not disposed
 * @returns [min_0 … min_{K−1}, max_0 … max_{K−1}] (NaN where a unit holds NaN)
 * @throws {RangeError} for another dtype or a K that is not a multiple of 4
 */
export function simdMinMax(heap: WasmHeap, values: tf.TensorInfo): Float32Array {
  const [rows, units] = checkValues(values);
  const out = heap.output([2 * units]);
  try {
    simdKernels(heap.memory, builder(units / 4)).get("minMax")!(
      heap.address(values),
      heap.address(out),
      rows,
    );
    return new Float32Array(heap.memory.buffer, heap.address(out), 2 * units).slice();
  } finally {
    heap.free(out);
  }
}

/** What {@link simdBucket} needs besides the values. */
export interface BucketPlan {
  /** 2^−e_k per unit. */
  scale: Float32Array;
  /** −o_k per unit. */
  shift: Float32Array;
  /** Bins per unit B. */
  bins: number;
}

/**
 * Counts of every value in its unit's bin, j = ⌊x·scale_k + shift_k⌋ in
 * float32, clamped to [0, B − 1] (the sketch's window leaves a spare top bin,
 * so the clamp only guards the heap).
 *
 * @param heap the backend's heap
 * @param values the values, float32, last axis = units (K a multiple of 4); not disposed
 * @param plan scale, shift and bins
 * @returns counts [K, B] row-major
 * @throws {RangeError} for another dtype or a K that is not a multiple of 4
 */
export function simdBucket(heap: WasmHeap, values: tf.TensorInfo, plan: BucketPlan): Int32Array {
  const [rows, units] = checkValues(values);
  const { bins } = plan;
  const table = heap.output([3 * units]);
  const counts = heap.output([units * bins]);
  try {
    const mem = heap.memory.buffer;
    const t = heap.address(table);
    new Float32Array(mem, t, units).set(plan.scale);
    new Float32Array(mem, t + 4 * units, units).set(plan.shift);
    const base = new Int32Array(mem, t + 8 * units, units);
    for (let k = 0; k < units; k++) base[k] = k * bins;
    new Int32Array(mem, heap.address(counts), units * bins).fill(0);
    simdKernels(heap.memory, builder(units / 4)).get("bucket")!(
      heap.address(values),
      t,
      heap.address(counts),
      rows,
      bins - 1,
    );
    return new Int32Array(heap.memory.buffer, heap.address(counts), units * bins).slice();
  } finally {
    heap.free(table);
    heap.free(counts);
  }
}
