/**
 * Region perturbation and AOPC (Samek et al. 2017, "Evaluating the
 * visualization of what a deep neural network has learned", eq. 12), and
 * ABPC (Schulz et al. 2020): how fast the explained score falls when the
 * regions a map ranks highest are destroyed first (MoRF), or last (LeRF).
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { regionPerturbation } from "./region_perturbation.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [2, 2, 1] }),
 *   tfl.layers.dense({ units: 1, kernelInitializer: "ones", useBias: false }),
 * ] });
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * const maps = { values: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2] as [number, number, number] };
 * const r = await regionPerturbation(wrapModel(model), x, maps, { steps: 4, regionSize: 1, perturbation: "zeros" });
 * // MoRF curve: 10, 6, 3, 1, 0 → AOPC = (0 + 4 + 7 + 9 + 10) / 5 = 6
 * if (Math.abs(r.aopc - 6) > 1e-5) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import type { ClassTarget } from "../net/targets.ts";
import { createRng } from "../random.ts";
import {
  checkMaps,
  classesOf,
  gaussianBlur,
  type MapsInput,
  mean,
  meanCurve,
  perturbedLogits,
  positiveInt,
  softmaxRow,
} from "./_perturb.ts";

/** How a perturbed region is filled. */
export type RegionFill = "uniform" | "blur" | "mean" | "zeros";

/** Options of {@link regionPerturbation}. */
export interface RegionPerturbationOptions {
  /** "morf" (most relevant first, default), "lerf" (least first) or "random" (seeded). */
  order?: "morf" | "lerf" | "random";
  /** Perturbation steps L; the curve has L + 1 points. Default: 100. */
  steps?: number;
  /** Side of the square regions in pixels. Default: max(1, round(9 · W / 227)). */
  regionSize?: number;
  /**
   * What replaces a region: "uniform" (default; U(0, 1) noise drawn once per
   * image from `seed`, Samek's choice), "blur" (the image blurred with a
   * Gaussian of kernel 11, σ = 5), "mean" (the image's per-channel mean) or
   * "zeros".
   */
  perturbation?: RegionFill;
  /**
   * The score f: the class (default: each image's top-1 class on the
   * unperturbed image) and its space, the logit (default) or the softmax
   * probability. METHODS.md says "the predicted class's score"; the logit is
   * the default because it does not saturate.
   */
  target?: ClassTarget;
  /** Rows (perturbed images) per forward pass. Default: 32. */
  batchSize?: number;
  /** Seed of the noise and of the random order. Default: 0. */
  seed?: number;
}

/** Curves and areas of a region perturbation run (plain data, for widgets). */
export interface RegionPerturbationResult {
  order: "morf" | "lerf" | "random";
  perturbation: RegionFill;
  /** L. */
  steps: number;
  regionSize: number;
  /** The explained class per image. */
  classes: Int32Array;
  /** f(x⁽⁰⁾) … f(x⁽ᴸ⁾) per image, [N, L + 1] row-major. */
  curves: Float32Array;
  /** [N, L + 1]. */
  shape: [number, number];
  /** 1/(L+1) Σ_k (f(x⁽⁰⁾) − f(x⁽ᵏ⁾)) per image. */
  aopcPerImage: Float32Array;
  /** Mean of `aopcPerImage`. */
  aopc: number;
  /** The mean curve over images, L + 1 points. */
  meanCurve: Float32Array;
}

/**
 * Perturbs the regions a map ranks highest (or lowest, or at random) step by
 * step and records the score: Samek et al. 2017, eq. 12,
 * AOPC = 1/(L+1) Σ_{k=0..L} (f(x⁽⁰⁾) − f(x⁽ᵏ⁾)). Regions are non-overlapping
 * squares ranked by the map summed over them (ties: the earlier region in
 * row-major order first); step k has regions 1..k replaced, cumulatively.
 * All N·(L+1) perturbed images are built on the device and go through the
 * net in batches.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (not disposed)
 * @param maps the maps to judge, [N, H, W] at input resolution (e.g. a MapResult)
 * @param options see {@link RegionPerturbationOptions}
 * @returns per-image curves, AOPC per image and averaged
 * @throws {RangeError} when the maps do not fit the images, when L exceeds
 *   the number of regions, or for a bad option
 * @throws {TypeError} for NaN maps or images, or a non-class target
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { abpc, regionPerturbation } from "./region_perturbation.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [2, 2, 1] }),
 *   tfl.layers.dense({ units: 1, kernelInitializer: "ones", useBias: false }),
 * ] }));
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * const maps = { values: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2] as [number, number, number] };
 * const opts = { steps: 4, regionSize: 1, perturbation: "zeros" } as const;
 * const morf = await regionPerturbation(net, x, maps, opts);
 * const lerf = await regionPerturbation(net, x, maps, { ...opts, order: "lerf" });
 * // LeRF curve 10, 9, 7, 4, 0 (mean 6) − MoRF curve 10, 6, 3, 1, 0 (mean 4) = 2
 * if (Math.abs(abpc(morf, lerf).abpc - 2) > 1e-5) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export async function regionPerturbation(
  net: Net,
  images: ImagesInput,
  maps: MapsInput,
  options: RegionPerturbationOptions = {},
): Promise<RegionPerturbationResult> {
  const [h, w] = net.inputShape;
  const order = options.order ?? "morf";
  if (!["morf", "lerf", "random"].includes(order)) {
    throw new TypeError(`order is "${order}"; expected "morf", "lerf" or "random"`);
  }
  const fill = options.perturbation ?? "uniform";
  if (!["uniform", "blur", "mean", "zeros"].includes(fill)) {
    throw new TypeError(
      `perturbation is "${fill}"; expected "uniform", "blur", "mean" or "zeros"`,
    );
  }
  const steps = positiveInt(options.steps ?? 100, "steps");
  const side = positiveInt(
    options.regionSize ?? Math.max(1, Math.round((9 * w) / 227)),
    "regionSize",
  );
  const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
  const seed = options.seed ?? 0;
  const target = options.target ?? { kind: "class" };
  if (target.kind !== "class") {
    throw new TypeError(`target.kind is "${target.kind}"; region perturbation explains classes`);
  }
  const gh = Math.ceil(h / side);
  const gw = Math.ceil(w / side);
  if (steps > gh * gw) {
    throw new RangeError(
      `steps L = ${steps} exceeds the ${gh * gw} regions of ${side}×${side} pixels in a ` +
        `${h}×${w} image; use at most ${gh * gw} steps or smaller regions`,
    );
  }
  const x = await toImageTensor(net, images);
  const tensors: tf.Tensor4D[] = [];
  try {
    const n = x.shape[0];
    const values = checkMaps(maps, x.shape);
    if (n === 0) throw new RangeError("No images given: expected at least one image");
    if (target.index !== undefined) classesOf(net, target.index, new Float32Array(0), n, 1);
    const rank = regionRanks(values, n, h, w, side, order, seed);
    const rankT = tf.tensor4d(rank, [n, h, w, 1]);
    tensors.push(rankT);
    const replacement = fillOf(x, fill, seed);
    tensors.push(replacement);
    const p = steps + 1;
    const thresholds = Array.from({ length: p }, (_, k) => k);
    const logits = await perturbedLogits(
      net,
      { base: x, replacement, rank: rankT },
      thresholds,
      { batchSize },
    );
    const k = net.numClasses;
    const classes = classesOf(net, target.index, logits, n, p);
    const curves = new Float32Array(n * p);
    for (let i = 0; i < n; i++) {
      const c = classes[i]!;
      for (let s = 0; s < p; s++) {
        const off = (i * p + s) * k;
        curves[i * p + s] = target.space === "probability"
          ? softmaxRow(logits, off, k)[c]!
          : logits[off + c]!;
      }
    }
    const aopcPerImage = Float32Array.from({ length: n }, (_, i) => {
      const row = curves.subarray(i * p, (i + 1) * p);
      return row[0]! - mean(row);
    });
    return {
      order,
      perturbation: fill,
      steps,
      regionSize: side,
      classes,
      curves,
      shape: [n, p],
      aopcPerImage,
      aopc: mean(aopcPerImage),
      meanCurve: meanCurve(curves, n, p),
    };
  } finally {
    x.dispose();
    tf.dispose(tensors);
  }
}

/** ABPC of a MoRF and a LeRF run (Schulz et al. 2020). */
export interface AbpcResult {
  /** 1/(L+1) Σ_k (f(x_LeRF⁽ᵏ⁾) − f(x_MoRF⁽ᵏ⁾)) per image. */
  perImage: Float32Array;
  /** Mean over images. */
  abpc: number;
}

/**
 * Area between the perturbation curves (Schulz et al. 2020): LeRF area −
 * MoRF area, 1/(L+1) Σ_k (f(x_LeRF⁽ᵏ⁾) − f(x_MoRF⁽ᵏ⁾)), per image and averaged.
 * Larger is better: relevant regions hurt most, irrelevant ones least.
 *
 * @param morf a {@link regionPerturbation} result with order "morf"
 * @param lerf one with order "lerf" on the same images, steps and target
 * @returns per-image and mean ABPC
 * @throws {RangeError} when the two runs have different shapes
 *
 * @example
 * ```ts
 * import { abpc } from "./region_perturbation.ts";
 * const run = (c: number[]) => ({ curves: Float32Array.from(c), shape: [1, c.length] as [number, number] });
 * if (Math.abs(abpc(run([4, 1, 0]), run([4, 3, 2])).abpc - 4 / 3) > 1e-6) throw new Error("example failed");
 * ```
 */
export function abpc(
  morf: Pick<RegionPerturbationResult, "curves" | "shape">,
  lerf: Pick<RegionPerturbationResult, "curves" | "shape">,
): AbpcResult {
  if (morf.shape.join() !== lerf.shape.join()) {
    throw new RangeError(
      `MoRF curves [${morf.shape.join(", ")}] and LeRF curves [${lerf.shape.join(", ")}] ` +
        "differ; run both on the same images with the same steps",
    );
  }
  const [n, p] = morf.shape;
  const perImage = Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < p; k++) s += lerf.curves[i * p + k]! - morf.curves[i * p + k]!;
    return s / p;
  });
  return { perImage, abpc: mean(perImage) };
}

/**
 * For each pixel, the 0-based position of its region in the perturbation
 * order ([N, H, W] row-major): pixels of region rank r are replaced from step
 * r + 1 on.
 */
function regionRanks(
  values: Float32Array,
  n: number,
  h: number,
  w: number,
  side: number,
  order: "morf" | "lerf" | "random",
  seed: number,
): Float32Array {
  const gh = Math.ceil(h / side);
  const gw = Math.ceil(w / side);
  const out = new Float32Array(n * h * w);
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    const sums = new Float64Array(gh * gw);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        sums[Math.floor(y / side) * gw + Math.floor(x / side)]! += values[(i * h + y) * w + x]!;
      }
    }
    const idx = Array.from({ length: gh * gw }, (_, r) => r);
    if (order === "random") rng.shuffle(idx);
    else if (order === "morf") idx.sort((a, b) => sums[b]! - sums[a]! || a - b);
    else idx.sort((a, b) => sums[a]! - sums[b]! || a - b);
    const rankOf = new Float32Array(gh * gw);
    idx.forEach((r, pos) => (rankOf[r] = pos));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[(i * h + y) * w + x] = rankOf[Math.floor(y / side) * gw + Math.floor(x / side)]!;
      }
    }
  }
  return out;
}

/** The fill image of each perturbation kind, [N, H, W, C]. */
function fillOf(x: tf.Tensor4D, fill: RegionFill, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    switch (fill) {
      case "zeros":
        return tf.zerosLike(x);
      case "mean":
        return tf.mul(tf.mean(x, [1, 2], true), tf.onesLike(x)) as tf.Tensor4D;
      case "blur":
        return gaussianBlur(x);
      default:
        return tf.randomUniform(x.shape, 0, 1, "float32", seed) as tf.Tensor4D;
    }
  });
}
