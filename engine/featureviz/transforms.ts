/**
 * Robustness transforms for feature visualisation (Olah et al. 2017; Lucid's
 * `standard_transforms`: pad 12, jitter 8, random scale 1 + (i − 5)/50 for
 * i = 0..10, random rotation −10°…10° with extra weight on 0°, jitter 4, at
 * 224 px), scaled to the input size.
 *
 * Pixel amounts scale by side / 224, rounded, and at least 1 px where Lucid's
 * amount is non-zero; scales and angles are relative and stay as they are:
 *
 * | side | pad | jitter | final jitter |
 * |------|-----|--------|--------------|
 * | 28   | 2   | 1      | 1            |
 * | 64   | 3   | 2      | 1            |
 * | 224  | 12  | 8      | 4            |
 *
 * Our models take a fixed input size, whereas Lucid feeds the (larger)
 * transformed image as it is. So the whole chain is one affine resampling
 * per image, onto the input's H×W grid: the output shows Lucid's final
 * canvas, (side + 2·pad − jitter − finalJitter) px, shrunk to the side
 * (28 px: 28/30), shifted by both jitters, scaled and rotated about the
 * centre; points outside the image read the pad value 0.5. Bilinear
 * interpolation, pixel centres at i + ½ (`alignCorners: false`).
 *
 * Each image draws its own transform from its own seeded generator; the
 * plan of each output pixel's four taps (sources and bilinear weights) is
 * computed in JS. On WASM the resampling and its gradient (the adjoint:
 * every tap's weighted value scattered back) then run as JS loops over the
 * tensors' memory in tfjs-wasm's heap: 12 multiply-adds per RGB pixel,
 * where the tensor-op formulation below cost a fifth of a feature
 * visualisation step. On other backends (WebGPU) the plan becomes tensors
 * and the resampling stays on the device: it gathers each output pixel's
 * 2×2 neighbourhood, and its gradient scatters them back (`scatterND`).
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { applyTransforms, disposePlan, samplingPlan, transformSettings } from "./transforms.ts";
 * const x = tf.randomUniform([2, 8, 8, 1]) as tf.Tensor4D;
 * const none = { dy: 0, dx: 0, scale: 1, degrees: 0 };
 * const plan = samplingPlan([2, 8, 8, 1], [none, none], transformSettings(8, false));
 * const y = applyTransforms(x, plan);
 * if (y.shape.join() !== "2,8,8,1") throw new Error("example failed");
 * tf.dispose([x, y]);
 * disposePlan(plan);
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Rng } from "../random.ts";
import { type WasmHeap, wasmHeap } from "../kernels/_simd_runtime.ts";

/** The amounts of every robustness transform (in input pixels and degrees). */
export interface TransformSettings {
  /** Constant border added around the image, px. */
  pad: number;
  /** First random shift: an integer offset in 0…jitter, px. */
  jitter: number;
  /** Random scale factors, one drawn uniformly per image and step. */
  scales: readonly number[];
  /** Random angles in degrees, one drawn uniformly per image and step. */
  degrees: readonly number[];
  /** Second random shift after scale and rotation: 0…finalJitter, px. */
  finalJitter: number;
  /** Value of the pixels outside the image. */
  padValue: number;
}

/** Lucid's scale list: 1 + (i − 5)/50, i = 0..10. */
export const LUCID_SCALES: readonly number[] = Array.from(
  { length: 11 },
  (_, i) => 1 + (i - 5) / 50,
);
/** Lucid's angle list: −10…10 degrees, plus five more zeros. */
export const LUCID_DEGREES: readonly number[] = [
  ...Array.from({ length: 21 }, (_, i) => i - 10),
  0,
  0,
  0,
  0,
  0,
];

/**
 * Lucid's transform amounts scaled to an image side (table in the module doc),
 * or all-identity amounts when `enabled` is false.
 *
 * @param side the larger side of the input, px
 * @param enabled false gives the identity (pad 0, jitter 0, scale 1, angle 0)
 * @returns the settings
 * @example
 * ```ts
 * import { transformSettings } from "./transforms.ts";
 * const s = transformSettings(28);
 * if (s.pad !== 2 || s.jitter !== 1 || s.finalJitter !== 1) throw new Error("example failed");
 * ```
 */
export function transformSettings(side: number, enabled = true): TransformSettings {
  if (!enabled) {
    return { pad: 0, jitter: 0, scales: [1], degrees: [0], finalJitter: 0, padValue: 0.5 };
  }
  const px = (v: number) => Math.max(1, Math.round((v * side) / 224));
  return {
    pad: px(12),
    jitter: px(8),
    scales: LUCID_SCALES,
    degrees: LUCID_DEGREES,
    finalJitter: px(4),
    padValue: 0.5,
  };
}

/** One image's drawn transform. */
export interface TransformDraw {
  /** Total shift down, px (both jitters, centred). */
  dy: number;
  /** Total shift right, px. */
  dx: number;
  /** Scale factor (> 1 enlarges). */
  scale: number;
  /** Rotation, degrees. */
  degrees: number;
}

/**
 * Draws one transform per generator (one generator per image).
 *
 * @param rngs one seeded generator per image
 * @param settings the amounts
 * @returns one draw per image
 * @example
 * ```ts
 * import { createRng } from "../random.ts";
 * import { drawTransforms, transformSettings } from "./transforms.ts";
 * const d = drawTransforms([createRng(1)], transformSettings(28));
 * if (d.length !== 1 || Math.abs(d[0]!.degrees) > 10) throw new Error("example failed");
 * ```
 */
export function drawTransforms(
  rngs: readonly Rng[],
  settings: TransformSettings,
): TransformDraw[] {
  const { jitter, finalJitter, scales, degrees } = settings;
  return rngs.map((rng) => {
    // Lucid's jitter is a random crop: offset 0…d, i.e. a shift of −d/2…d/2.
    const dy = rng.int(jitter + 1) - jitter / 2 + rng.int(finalJitter + 1) - finalJitter / 2;
    const dx = rng.int(jitter + 1) - jitter / 2 + rng.int(finalJitter + 1) - finalJitter / 2;
    const scale = scales[rng.int(scales.length)]!;
    const deg = degrees[rng.int(degrees.length)]!;
    return { dy, dx, scale, degrees: deg };
  });
}

/**
 * The bilinear resampling of a batch: each image's affine map (`geometry`),
 * from which every output pixel's four taps follow (see {@link planTaps}),
 * and, for the device path, those taps as tensors (`device`).
 */
export interface SamplingPlan {
  /** The affine map of every image, onto the input's pixel grid. */
  geometry: PlanGeometry;
  /** Every output pixel's taps, for the heap path; null on the device path. */
  taps: Taps | null;
  /**
   * The tensors of the device path, or null when the resampling runs on the
   * WASM heap (see the module doc).
   */
  device: DevicePlan | null;
  /** [N, H, W, C]. */
  shape: [number, number, number, number];
}

/**
 * Where output pixel (i, j) of image b reads: with oy = (i + ½ − H/2)·zoomY and
 * ox = (j + ½ − W/2)·zoomX, source y = cos·oy − sin·ox + H/2 + dy − ½ and
 * x = sin·oy + cos·ox + W/2 + dx − ½ (cos and sin of image b's angle divided
 * by its scale; dy, dx its shifts).
 */
export interface PlanGeometry {
  /** Image height and width. */
  h: number;
  w: number;
  /** Lucid's canvas shown at the input size: (side + 2·pad − jitters) / side. */
  zoomY: number;
  zoomX: number;
  /** Per image: cos(angle) / scale, sin(angle) / scale, dy, dx. */
  cos: Float64Array;
  sin: Float64Array;
  dy: Float64Array;
  dx: Float64Array;
  /** Value read outside the image. */
  padValue: number;
}

/** Output pixels' taps: four per pixel, as {@link planTaps} and the heap loops use them. */
export interface Taps {
  /**
   * [P·4] source pixel (n·H·W + y·W + x) of the taps (y0, x0), (y0, x0+1),
   * (y0+1, x0), (y0+1, x0+1); a tap outside the image points at a valid
   * pixel with weight 0.
   */
  source: Int32Array;
  /** [P·4] bilinear weights (0 for taps outside the image). */
  weight: Float32Array;
  /** [P] padValue · (weight of the taps outside the image). */
  bias: Float32Array;
}

/** The plan as tensors: one 2×2 block of neighbours per output pixel. */
export interface DevicePlan {
  /**
   * [P, 1] int32: for each output pixel, the row of its 2×2 neighbour block
   * in the [N·(H+1)·(W+1), C·4] block table.
   */
  blocks: tf.Tensor2D;
  /** [P, C·4] bilinear weights of the 4 taps (0 for taps outside the image), per channel. */
  weights: tf.Tensor2D;
  /** [P, C]: padValue · (weight of the taps outside the image). */
  bias: tf.Tensor2D;
  /**
   * [C·4, C] 0/1 matrix summing each channel's 4 taps, and its transpose (for
   * the gradient; owned by the plan because gradients run after the forward
   * pass's tidy has ended).
   */
  sum: tf.Tensor2D;
  /** The transpose of `sum`. */
  sumT: tf.Tensor2D;
}

/** Options of {@link samplingPlan}. */
export interface SamplingPlanOptions {
  /**
   * Where the resampling runs: `"heap"` (JS loops over tfjs-wasm's heap; only
   * on the WASM backend) or `"device"` (tensor ops, any backend). Default:
   * `"heap"` on WASM, else `"device"`.
   */
  run?: "heap" | "device";
}

/**
 * The bilinear resampling of each image's affine transform: its geometry
 * (a few numbers per image) and, for the device path, every output pixel's
 * taps as tensors; on the heap path, as plain arrays that the resampling
 * loops read (module doc).
 *
 * @param shape [N, H, W, C] of the images to transform
 * @param draws one transform per image (N)
 * @param settings pad and jitters (for the canvas zoom) and the pad value
 * @param options see {@link SamplingPlanOptions}
 * @returns the plan; the caller disposes it with {@link disposePlan}
 * @throws {RangeError} when the number of draws is not N, or for `run: "heap"`
 *   off the WASM backend
 * @example
 * ```ts
 * import { disposePlan, planTaps, samplingPlan, transformSettings } from "./transforms.ts";
 * const p = samplingPlan([1, 4, 4, 1], [{ dy: 0, dx: 0, scale: 1, degrees: 0 }], transformSettings(4, false));
 * if (planTaps(p).source.length !== 4 * 16) throw new Error("example failed");
 * disposePlan(p);
 * ```
 */
export function samplingPlan(
  shape: readonly [number, number, number, number],
  draws: readonly TransformDraw[],
  settings: TransformSettings,
  options: SamplingPlanOptions = {},
): SamplingPlan {
  const [n, h, w, c] = shape;
  if (draws.length !== n) {
    throw new RangeError(`samplingPlan needs one draw per image (${n}), got ${draws.length}`);
  }
  const heap = wasmHeap(tf.backend());
  const run = options.run ?? (heap ? "heap" : "device");
  if (run !== "heap" && run !== "device") {
    throw new RangeError(`run must be "heap" or "device", got ${String(run)}`);
  }
  if (run === "heap" && !heap) {
    throw new RangeError(
      `run: "heap" needs the wasm backend; the backend is ${tf.getBackend()} (use "device")`,
    );
  }
  const extra = 2 * settings.pad - settings.jitter - settings.finalJitter;
  const geometry: PlanGeometry = {
    h,
    w,
    // Lucid's final canvas is `side + extra` px; showing it at `side` px shrinks it.
    zoomY: (h + extra) / h,
    zoomX: (w + extra) / w,
    cos: Float64Array.from(draws, (d) => Math.cos((d.degrees * Math.PI) / 180) / d.scale),
    sin: Float64Array.from(draws, (d) => Math.sin((d.degrees * Math.PI) / 180) / d.scale),
    dy: Float64Array.from(draws, (d) => d.dy),
    dx: Float64Array.from(draws, (d) => d.dx),
    padValue: settings.padValue,
  };
  const plan: SamplingPlan = { geometry, taps: null, device: null, shape: [n, h, w, c] };
  if (run === "device") plan.device = devicePlan(plan);
  else plan.taps = allTaps(geometry, n, null, newTaps(n * h * w));
  return plan;
}

/** Zeroed tap arrays for P pixels. */
function newTaps(p: number): Taps {
  return {
    source: new Int32Array(p * 4),
    weight: new Float32Array(p * 4),
    bias: new Float32Array(p),
  };
}

/**
 * Every output pixel's four taps, as plain arrays (P = N·H·W pixels).
 *
 * @param plan from {@link samplingPlan}
 * @returns sources, weights and pad biases
 * @example
 * ```ts
 * import { planTaps, samplingPlan, transformSettings } from "./transforms.ts";
 * const none = { dy: 0, dx: 0, scale: 1, degrees: 0 };
 * const t = planTaps(samplingPlan([1, 2, 2, 1], [none], transformSettings(2, false)));
 * // No transform: each pixel reads itself with weight 1.
 * if (t.source[4] !== 1 || t.weight[4] !== 1) throw new Error("example failed");
 * ```
 */
export function planTaps(plan: SamplingPlan): Taps {
  const p = plan.shape[0] * plan.shape[1] * plan.shape[2];
  if (plan.taps) {
    const { source, weight, bias } = plan.taps;
    return { source: source.slice(), weight: weight.slice(), bias: bias.slice() };
  }
  return allTaps(plan.geometry, plan.shape[0], null, newTaps(p));
}

/**
 * The taps of every row, written into `taps` (every entry is written); with
 * `blocks`, also each pixel's row in the device path's block table.
 */
function allTaps(g: PlanGeometry, n: number, blocks: Int32Array | null, taps: Taps): Taps {
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < g.h; i++) rowTaps(g, b, i, taps, (b * g.h + i) * g.w, blocks);
  }
  return taps;
}

/**
 * Writes the taps of output row i of image b at pixel `at` of `out` (and
 * `at`…`at` + W − 1 of `blocks`, when given).
 */
function rowTaps(
  g: PlanGeometry,
  b: number,
  i: number,
  out: Taps,
  at: number,
  blocks: Int32Array | null,
): void {
  const { h, w, zoomX } = g;
  const { source, weight, bias } = out;
  const cy = h / 2, cx = w / 2;
  const cos = g.cos[b]!, sin = g.sin[b]!, dy = g.dy[b]!, dx = g.dx[b]!;
  const pad = g.padValue;
  const image = b * h * w;
  // Output pixel centre relative to the centre, in Lucid-canvas pixels.
  const oy = (i + 0.5 - cy) * g.zoomY;
  const cosOy = cos * oy, sinOy = sin * oy;
  for (let j = 0; j < w; j++) {
    const ox = (j + 0.5 - cx) * zoomX;
    // Inverse rotation and scale, then the shifts, then back to indices.
    const y = cosOy - sin * ox + cy + dy - 0.5;
    const x = sinOy + cos * ox + cx + dx - 0.5;
    let y0 = Math.floor(y), x0 = Math.floor(x);
    const fy = y - y0, fx = x - x0;
    const t = 4 * (at + j);
    if (y0 >= 0 && y0 < h - 1 && x0 >= 0 && x0 < w - 1) {
      // Inside: the common case, no bounds to mind.
      const top = image + y0 * w + x0;
      source[t] = top;
      source[t + 1] = top + 1;
      source[t + 2] = top + w;
      source[t + 3] = top + w + 1;
      weight[t] = (1 - fy) * (1 - fx);
      weight[t + 1] = (1 - fy) * fx;
      weight[t + 2] = fy * (1 - fx);
      weight[t + 3] = fy * fx;
      bias[at + j] = 0;
      if (blocks) blocks[at + j] = (b * (h + 1) + y0 + 1) * (w + 1) + x0 + 1;
      continue;
    }
    let t0 = (1 - fy) * (1 - fx), t1 = (1 - fy) * fx, t2 = fy * (1 - fx), t3 = fy * fx;
    let outside = 0;
    // Taps outside the image weigh 0 and add the pad value instead.
    const top = y0 < 0 || y0 >= h, bottom = y0 + 1 < 0 || y0 + 1 >= h;
    const left = x0 < 0 || x0 >= w, right = x0 + 1 < 0 || x0 + 1 >= w;
    if (top || left) (outside += t0), (t0 = 0);
    if (top || right) (outside += t1), (t1 = 0);
    if (bottom || left) (outside += t2), (t2 = 0);
    if (bottom || right) (outside += t3), (t3 = 0);
    // The block table starts one pixel above and left of the image.
    y0 = Math.min(Math.max(y0, -1), h - 1);
    x0 = Math.min(Math.max(x0, -1), w - 1);
    if (blocks) blocks[at + j] = (b * (h + 1) + y0 + 1) * (w + 1) + x0 + 1;
    // A tap outside the image has weight 0; it reads pixel (0, 0) of its image.
    const inY0 = y0 >= 0 && y0 < h, inY1 = y0 + 1 >= 0 && y0 + 1 < h;
    const inX0 = x0 >= 0 && x0 < w, inX1 = x0 + 1 >= 0 && x0 + 1 < w;
    const row0 = image + y0 * w, row1 = row0 + w;
    source[t] = inY0 && inX0 ? row0 + x0 : image;
    source[t + 1] = inY0 && inX1 ? row0 + x0 + 1 : image;
    source[t + 2] = inY1 && inX0 ? row1 + x0 : image;
    source[t + 3] = inY1 && inX1 ? row1 + x0 + 1 : image;
    weight[t] = t0;
    weight[t + 1] = t1;
    weight[t + 2] = t2;
    weight[t + 3] = t3;
    bias[at + j] = outside * pad;
  }
}

/** The tensors of the device path: the block rows, tap weights and bias repeated per channel. */
function devicePlan(plan: SamplingPlan): DevicePlan {
  const [n, h, w, c] = plan.shape;
  const p = n * h * w;
  const blocks = new Int32Array(p);
  const taps = allTaps(plan.geometry, n, blocks, newTaps(p));
  const weights = new Float32Array(p * c * 4);
  const bias = new Float32Array(p * c);
  for (let q = 0; q < p; q++) {
    for (let ch = 0; ch < c; ch++) {
      weights.set(taps.weight.subarray(4 * q, 4 * q + 4), (q * c + ch) * 4);
      bias[q * c + ch] = taps.bias[q]!;
    }
  }
  return {
    blocks: tf.tensor2d(blocks, [p, 1], "int32"),
    weights: tf.tensor2d(weights, [p, c * 4]),
    bias: tf.tensor2d(bias, [p, c]),
    ...tapSums(c),
  };
}

/**
 * Frees the tensors of a {@link SamplingPlan}.
 *
 * @param plan from {@link samplingPlan}
 * @example
 * ```ts
 * import { disposePlan, samplingPlan, transformSettings } from "./transforms.ts";
 * disposePlan(samplingPlan([1, 2, 2, 1], [{ dy: 0, dx: 0, scale: 1, degrees: 0 }], transformSettings(2, false)));
 * ```
 */
export function disposePlan(plan: SamplingPlan): void {
  const d = plan.device;
  if (d) tf.dispose([d.blocks, d.weights, d.bias, d.sum, d.sumT]);
  // The taps are plain arrays: a gradient still pending keeps them alive.
  plan.taps = null;
}

/**
 * Resamples a batch of images with a {@link SamplingPlan}; differentiable with
 * respect to the images on every backend.
 *
 * Why blocks: WASM's `GatherV2` copies element by element (≈ 100 ms for
 * 3 M values), `GatherNd` moves whole rows; one row holding a pixel's whole
 * 2×2 neighbourhood (C·4 values, built by a 2×2 convolution with a 0/1
 * kernel) makes one row per output pixel. The gather's gradient is a `scatterND` (tfjs registers
 * none for `GatherNd`, and the `GatherV2` one needs `UnsortedSegmentSum`,
 * which WASM lacks).
 *
 * @param images [N, H, W, C], matching the plan
 * @param plan from {@link samplingPlan}
 * @returns [N, H, W, C] transformed images
 * @throws {RangeError} when the images do not match the plan
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { applyTransforms, disposePlan, samplingPlan, transformSettings } from "./transforms.ts";
 * const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
 * const plan = samplingPlan([1, 4, 4, 1], [{ dy: 0, dx: 0, scale: 1, degrees: 0 }], transformSettings(4, false));
 * const y = await applyTransforms(x, plan).data();
 * if (!y.every((v) => v === 1)) throw new Error("example failed");
 * disposePlan(plan);
 * ```
 */
export function applyTransforms(images: tf.Tensor4D, plan: SamplingPlan): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  if (images.shape.join() !== plan.shape.join()) {
    throw new RangeError(
      `images [${images.shape}] do not match the sampling plan [${plan.shape}]`,
    );
  }
  if (!plan.device) return onHeap(images, plan);
  const rows = n * (h + 1) * (w + 1);
  const { blocks, weights, bias, sum, sumT } = plan.device;
  const pick = tf.customGrad((table) => ({
    value: tf.gatherND(table as tf.Tensor, blocks),
    gradFunc: (dy) => tf.scatterND(blocks, dy as tf.Tensor, [rows, c * 4]),
  }));
  return tf.tidy(() => {
    // [N, H+1, W+1, C·4]: the taps (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1)
    // of every block, by one 2×2 convolution with a 0/1 kernel over the image
    // padded by one pixel: on WASM, slices and inner-axis concats of a
    // batch cost 10–50× more than this convolution and its input gradient.
    const taps = tf.conv2d(images, blockKernel(c), 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const picked = tf.mul(pick(tf.reshape(taps, [rows, c * 4])) as tf.Tensor, weights); // [P, C·4]
    // Summing the 4 taps as a matmul with a 0/1 matrix: WASM's Sum over a
    // short last axis and its broadcasting gradient are ~5× slower.
    const sampled = tf.add(constRightMul(picked as tf.Tensor2D, sum, sumT), bias);
    return tf.reshape(sampled, [n, h, w, c]);
  });
}

/**
 * The resampling as JS loops over tfjs-wasm's heap (module doc): the
 * forward pass sums each output pixel's four weighted taps per channel, the
 * gradient adds each tap's weight × dy back into its source pixel. Both are
 * linear in the images, so the gradient is exact (the adjoint).
 */
function onHeap(images: tf.Tensor4D, plan: SamplingPlan): tf.Tensor4D {
  const heap = wasmHeap(tf.backend());
  const taps = plan.taps;
  if (!heap || !taps) {
    throw new RangeError(
      taps
        ? `this sampling plan runs on the WASM heap, but the backend is now ${tf.getBackend()}`
        : "this sampling plan has been disposed",
    );
  }
  const [n, h, w, c] = plan.shape;
  const f = tf.customGrad((x) => {
    const out = new Float32Array(n * h * w * c);
    resample(taps, heapView(heap, x as tf.Tensor), out, c);
    return {
      value: tf.tensor4d(out, [n, h, w, c]),
      gradFunc: (dy) => {
        const dx = new Float32Array(n * h * w * c);
        resampleAdjoint(taps, heapView(heap, dy as tf.Tensor), dx, c);
        return tf.tensor4d(dx, [n, h, w, c]);
      },
    };
  });
  return f(images) as tf.Tensor4D;
}

// The loops below have RGB versions (C = 3, the common case): with the
// channel loop unrolled they run in two thirds of the time. Every tap points
// at a valid pixel (weight 0 outside): no branches.

/** out[q, ch] = bias[q] + Σ_t weight[q, t] · x[source[q, t], ch]. */
function resample(taps: Taps, x: Float32Array, out: Float32Array, c: number): void {
  if (c === 3) return resampleRgb(taps, x, out);
  const { source, weight, bias } = taps;
  const p = bias.length;
  for (let q = 0; q < p; q++) {
    const t = 4 * q, o = q * c, b = bias[q]!;
    const s0 = source[t]! * c, s1 = source[t + 1]! * c;
    const s2 = source[t + 2]! * c, s3 = source[t + 3]! * c;
    const w0 = weight[t]!, w1 = weight[t + 1]!, w2 = weight[t + 2]!, w3 = weight[t + 3]!;
    for (let ch = 0; ch < c; ch++) {
      out[o + ch] = b + w0 * x[s0 + ch]! + w1 * x[s1 + ch]! + w2 * x[s2 + ch]! +
        w3 * x[s3 + ch]!;
    }
  }
}

/** {@link resample} for C = 3. */
function resampleRgb(taps: Taps, x: Float32Array, out: Float32Array): void {
  const { source, weight, bias } = taps;
  const p = bias.length;
  for (let q = 0; q < p; q++) {
    const t = 4 * q, o = q * 3, b = bias[q]!;
    const s0 = source[t]! * 3, s1 = source[t + 1]! * 3;
    const s2 = source[t + 2]! * 3, s3 = source[t + 3]! * 3;
    const w0 = weight[t]!, w1 = weight[t + 1]!, w2 = weight[t + 2]!, w3 = weight[t + 3]!;
    out[o] = b + w0 * x[s0]! + w1 * x[s1]! + w2 * x[s2]! + w3 * x[s3]!;
    out[o + 1] = b + w0 * x[s0 + 1]! + w1 * x[s1 + 1]! + w2 * x[s2 + 1]! + w3 * x[s3 + 1]!;
    out[o + 2] = b + w0 * x[s0 + 2]! + w1 * x[s1 + 2]! + w2 * x[s2 + 2]! + w3 * x[s3 + 2]!;
  }
}

/** The adjoint of {@link resample}: dx[source[q, t], ch] += weight[q, t] · dy[q, ch]. */
function resampleAdjoint(taps: Taps, dy: Float32Array, dx: Float32Array, c: number): void {
  if (c === 3) return resampleAdjointRgb(taps, dy, dx);
  const { source, weight } = taps;
  const p = taps.bias.length;
  for (let q = 0; q < p; q++) {
    const t = 4 * q, o = q * c;
    const s0 = source[t]! * c, s1 = source[t + 1]! * c;
    const s2 = source[t + 2]! * c, s3 = source[t + 3]! * c;
    const w0 = weight[t]!, w1 = weight[t + 1]!, w2 = weight[t + 2]!, w3 = weight[t + 3]!;
    for (let ch = 0; ch < c; ch++) {
      const d = dy[o + ch]!;
      dx[s0 + ch]! += w0 * d;
      dx[s1 + ch]! += w1 * d;
      dx[s2 + ch]! += w2 * d;
      dx[s3 + ch]! += w3 * d;
    }
  }
}

/** {@link resampleAdjoint} for C = 3. */
function resampleAdjointRgb(taps: Taps, dy: Float32Array, dx: Float32Array): void {
  const { source, weight } = taps;
  const p = taps.bias.length;
  for (let q = 0; q < p; q++) {
    const t = 4 * q, o = q * 3;
    const s0 = source[t]! * 3, s1 = source[t + 1]! * 3;
    const s2 = source[t + 2]! * 3, s3 = source[t + 3]! * 3;
    const w0 = weight[t]!, w1 = weight[t + 1]!, w2 = weight[t + 2]!, w3 = weight[t + 3]!;
    const d0 = dy[o]!, d1 = dy[o + 1]!, d2 = dy[o + 2]!;
    dx[s0]! += w0 * d0, dx[s0 + 1]! += w0 * d1, dx[s0 + 2]! += w0 * d2;
    dx[s1]! += w1 * d0, dx[s1 + 1]! += w1 * d1, dx[s1 + 2]! += w1 * d2;
    dx[s2]! += w2 * d0, dx[s2 + 1]! += w2 * d1, dx[s2 + 2]! += w2 * d2;
    dx[s3]! += w3 * d0, dx[s3 + 1]! += w3 * d1, dx[s3 + 2]! += w3 * d2;
  }
}

/** A float32 tensor's values in place on the heap (valid until the next allocation). */
function heapView(heap: WasmHeap, t: tf.Tensor): Float32Array {
  if (t.dtype !== "float32") {
    throw new TypeError(`the resampling needs float32 images, got ${t.dtype}`);
  }
  return new Float32Array(heap.memory.buffer, heap.address(t), t.size);
}

/** [C·4, C] (entry [4·ch + t, ch] = 1) and its transpose. */
function tapSums(c: number): { sum: tf.Tensor2D; sumT: tf.Tensor2D } {
  const m = new Float32Array(c * 4 * c);
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < 4; t++) m[(ch * 4 + t) * c + ch] = 1;
  return tf.tidy(() => {
    const sum = tf.tensor2d(m, [c * 4, c]);
    return { sum, sumT: tf.transpose(sum) };
  });
}

/** x·b for a constant b, whose gradient multiplies by the given bᵀ (no slow `transposeB` matmul). */
function constRightMul(x: tf.Tensor2D, b: tf.Tensor2D, bT: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((v) => ({
    value: tf.matMul(v as tf.Tensor2D, b),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, bT),
  }));
  return f(x) as tf.Tensor2D;
}

/** [2, 2, C, C·4] kernel copying tap t = 2·dy + dx of channel ch to output channel 4·ch + t. */
function blockKernel(c: number): tf.Tensor4D {
  const k = new Float32Array(4 * c * c * 4);
  for (let t = 0; t < 4; t++) {
    for (let ch = 0; ch < c; ch++) k[(t * c + ch) * c * 4 + ch * 4 + t] = 1;
  }
  return tf.tensor4d(k, [2, 2, c, c * 4]);
}
