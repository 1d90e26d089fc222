/**
 * The shared core of the perturbation metrics (region perturbation / AOPC,
 * deletion / insertion): every perturbed version of every image is built on
 * the device from three per-image tensors and one threshold per step, and
 * sent through the net in chunks of `batchSize` rows, never one pass per
 * step. Row (i, k) is `where(rank_i < threshold_k, replacement_i, base_i)`.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MapResult } from "../maps/map.ts";
import { runNet } from "../net/executor.ts";
import type { Net } from "../net/net.ts";

/** Maps as every evaluation accepts them: a MapResult or plain values [N, H, W]. */
export type MapsInput = Pick<MapResult, "values" | "shape">;

/**
 * The maps' values after checking them against the images [N, H, W, C].
 *
 * @throws {RangeError} when the shape does not match the images
 * @throws {TypeError} for NaN or infinite values, naming the first index
 */
export function checkMaps(maps: MapsInput, images: readonly number[]): Float32Array {
  const [n, h, w] = images;
  const s = maps.shape;
  if (s.length !== 3 || s[0] !== n || s[1] !== h || s[2] !== w) {
    throw new RangeError(
      `Maps of shape [${s.join(", ")}] do not fit images [${images.join(", ")}]: ` +
        `expected maps [${n}, ${h}, ${w}] (use MapResult.values, upsampled to the input)`,
    );
  }
  if (maps.values.length !== n! * h! * w!) {
    throw new RangeError(
      `Maps hold ${maps.values.length} values; shape [${s.join(", ")}] needs ${n! * h! * w!}`,
    );
  }
  for (let i = 0; i < maps.values.length; i++) {
    if (!Number.isFinite(maps.values[i]!)) {
      throw new TypeError(`Maps hold ${maps.values[i]} at index ${i}; expected finite values`);
    }
  }
  return Float32Array.from(maps.values);
}

/** A positive integer option, or a RangeError naming it. */
export function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} is ${value}; expected a positive integer`);
  }
  return value;
}

/**
 * Gaussian blur of NHWC images, per channel, zero padding ("same"), as
 * RISE blurs its insertion start (kernel 11, σ = 5). The caller owns the result.
 */
export function gaussianBlur(x: tf.Tensor4D, size = 11, sigma = 5): tf.Tensor4D {
  return tf.tidy(() => {
    const half = (size - 1) / 2;
    const g = Array.from(
      { length: size },
      (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma ** 2)),
    );
    const sum = g.reduce((a, b) => a + b, 0);
    const k2 = g.flatMap((a) => g.map((b) => (a * b) / (sum * sum)));
    const c = x.shape[3];
    const kernel = tf.tile(tf.reshape(tf.tensor1d(k2), [size, size, 1, 1]), [1, 1, c, 1]);
    return tf.depthwiseConv2d(x, kernel as tf.Tensor4D, 1, "same");
  });
}

/** Options of {@link perturbedLogits}. */
export interface PerturbOptions {
  /** Rows per forward pass. */
  batchSize: number;
  /**
   * Where the perturbed rows are assembled: "device" (gather + select on the
   * backend) or "host" (a JS loop over the values, read once, then uploaded).
   * Default: "host" on the CPU-memory backends (wasm, cpu), where a tensor
   * already lives in the same memory and tfjs-wasm's broadcasting gather and
   * select cost more than the forward pass itself (measured: 60 ms vs 35 ms
   * for 32 rows of 64×64×3); "device" elsewhere (WebGPU), so data stay there.
   * Both give bit-identical rows.
   */
  build?: "device" | "host";
}

/**
 * Logits of every perturbed row, [N, P, classes] row-major, where P is the
 * number of thresholds. Nothing passed in is disposed.
 *
 * @param base [N, H, W, C] what unselected pixels show
 * @param replacement [N, H, W, C] what selected pixels show
 * @param rank [N, H, W, 1] the step rank of each pixel (selected when rank < threshold)
 * @param thresholds one threshold per point of the curve
 */
export async function perturbedLogits(
  net: Net,
  tensors: { base: tf.Tensor4D; replacement: tf.Tensor4D; rank: tf.Tensor4D },
  thresholds: readonly number[],
  options: PerturbOptions,
): Promise<Float32Array> {
  const { base, replacement, rank } = tensors;
  const [n, h, w, c] = base.shape;
  const p = thresholds.length;
  const k = net.numClasses;
  const rows = n * p;
  const out = new Float32Array(rows * k);
  const build = options.build ?? (["wasm", "cpu"].includes(tf.getBackend()) ? "host" : "device");
  const host = build === "host"
    ? await Promise.all([base.data(), replacement.data(), rank.data()]) as Float32Array[]
    : null;
  for (let r0 = 0; r0 < rows; r0 += options.batchSize) {
    const r1 = Math.min(rows, r0 + options.batchSize);
    const logits = host
      ? hostRows(net, host, [n, h, w, c], thresholds, r0, r1)
      : deviceRows(net, tensors, thresholds, r0, r1);
    try {
      out.set(await logits.data() as Float32Array, r0 * k);
    } finally {
      logits.dispose();
    }
  }
  return out;
}

function deviceRows(
  net: Net,
  tensors: { base: tf.Tensor4D; replacement: tf.Tensor4D; rank: tf.Tensor4D },
  thresholds: readonly number[],
  r0: number,
  r1: number,
): tf.Tensor {
  const p = thresholds.length;
  const idx = Int32Array.from({ length: r1 - r0 }, (_, j) => Math.floor((r0 + j) / p));
  const thr = Float32Array.from({ length: r1 - r0 }, (_, j) => thresholds[(r0 + j) % p]!);
  return tf.tidy(() => {
    const which = tf.tensor1d(idx, "int32");
    const cut = tf.tensor4d(thr, [r1 - r0, 1, 1, 1]);
    const selected = tf.less(tf.gather(tensors.rank, which), cut);
    const b = tf.gather(tensors.base, which);
    const rep = tf.gather(tensors.replacement, which);
    // Selecting (rather than blending) keeps replaced pixels bit-exact.
    const x = tf.where(tf.broadcastTo(selected, b.shape), rep, b) as tf.Tensor4D;
    return runNet(net, x).output;
  });
}

function hostRows(
  net: Net,
  [base, rep, rank]: Float32Array[],
  [, h, w, c]: number[],
  thresholds: readonly number[],
  r0: number,
  r1: number,
): tf.Tensor {
  const p = thresholds.length;
  const hw = h! * w!;
  const size = hw * c!;
  const x = new Float32Array((r1 - r0) * size);
  let o = 0;
  for (let r = r0; r < r1; r++) {
    const i = Math.floor(r / p);
    const thr = thresholds[r % p]!;
    for (let q = 0; q < hw; q++) {
      const src = rank![i * hw + q]! < thr ? rep! : base!;
      const at = i * size + q * c!;
      for (let ch = 0; ch < c!; ch++) x[o++] = src[at + ch]!;
    }
  }
  return tf.tidy(() => runNet(net, tf.tensor4d(x, [r1 - r0, h!, w!, c!])).output);
}

/** Softmax of one row of logits, in float64. */
export function softmaxRow(logits: Float32Array, offset: number, k: number): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, logits[offset + c]!);
  const e = new Float64Array(k);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += e[c] = Math.exp(logits[offset + c]! - max);
  for (let c = 0; c < k; c++) e[c]! /= sum;
  return e;
}

/** Index of the largest of k values from `offset` (the first on ties). */
export function argmaxRow(values: Float32Array, offset: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/**
 * The explained class per image: the given index (a number for all, or one
 * per image), else the top-1 class of row 0 (the unperturbed image).
 *
 * @throws {RangeError} for a class out of range or a list of the wrong length
 */
export function classesOf(
  net: Net,
  index: number | readonly number[] | undefined,
  logits: Float32Array,
  n: number,
  p: number,
): Int32Array {
  const k = net.numClasses;
  if (index !== undefined && typeof index !== "number" && index.length !== n) {
    throw new RangeError(`${index.length} classes given for ${n} images`);
  }
  return Int32Array.from({ length: n }, (_, i) => {
    const c = index === undefined
      ? argmaxRow(logits, i * p * k, k)
      : typeof index === "number"
      ? index
      : index[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new RangeError(`Class ${c} is out of range: classes 0..${k - 1}`);
    }
    return c;
  });
}

/** Mean of an array (0 for none). */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : 0;
}

/** The mean of N curves of P points, [N, P] row-major → P points. */
export function meanCurve(curves: Float32Array, n: number, p: number): Float32Array {
  const m = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) m[k]! += curves[i * p + k]! / n;
  return Float32Array.from(m);
}
