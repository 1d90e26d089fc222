/**
 * Deletion and insertion (Petsiuk et al. 2018, RISE, §4.1): pixels ranked by
 * the map are deleted (set to zero) or inserted (restored into a blurred
 * copy) a fixed number at a time; the class probability traces a curve whose
 * area (trapezoid rule, normalised to [0, 1]) judges the map: low for
 * deletion, high for insertion. The comprehensive score is
 * AUC(insertion) − AUC(deletion).
 *
 * @example
 * ```ts
 * import { trapezoidAuc } from "./deletion_insertion.ts";
 * if (trapezoidAuc([1, 0.5, 0]) !== 0.5) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import type { ClassTarget } from "../net/targets.ts";
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

/** Options of {@link deletionInsertion}. */
export interface DeletionInsertionOptions {
  /**
   * Pixels changed per step; point k has min(H·W, round(k · step)) pixels
   * changed, so the curves have ceil(H·W / step) + 1 points. Default: H·W / 50
   * (51 points).
   */
  step?: number;
  /**
   * The class (default: each image's top-1 class on the original image) and
   * its space: the softmax probability (default, RISE's score) or the logit.
   */
  target?: ClassTarget;
  /** Side of the Gaussian kernel that blurs the insertion start. Default: 11. */
  blurSize?: number;
  /** σ of that kernel, in pixels. Default: 5. */
  blurSigma?: number;
  /** Rows (perturbed images) per forward pass. Default: 32. */
  batchSize?: number;
}

/** Deletion and insertion curves and their areas (plain data, for widgets). */
export interface DeletionInsertionResult {
  /** The explained class per image. */
  classes: Int32Array;
  /** Pixels changed at each point of the curves. */
  pixels: Int32Array;
  /** Scores while deleting, [N, P] row-major. */
  deletion: Float32Array;
  /** Scores while inserting, [N, P] row-major (point 0: the blurred image). */
  insertion: Float32Array;
  /** [N, P]. */
  shape: [number, number];
  /** Normalised trapezoid area under each deletion curve (lower is better). */
  deletionAucPerImage: Float32Array;
  /** Normalised trapezoid area under each insertion curve (higher is better). */
  insertionAucPerImage: Float32Array;
  /** Mean deletion AUC. */
  deletionAuc: number;
  /** Mean insertion AUC. */
  insertionAuc: number;
  /** Mean of AUC(insertion) − AUC(deletion) (multiply by 100 for seed 003's tables). */
  comprehensive: number;
  /** Mean deletion curve (P points). */
  meanDeletion: Float32Array;
  /** Mean insertion curve (P points). */
  meanInsertion: Float32Array;
}

/**
 * Area under a curve of equally spaced points by the trapezoid rule,
 * normalised by the number of intervals (RISE's `auc`):
 * (Σ y − y₀/2 − y_last/2) / (P − 1).
 *
 * @param y the curve, at least two points
 * @returns the area, in the units of y
 * @throws {RangeError} for fewer than two points
 *
 * @example
 * ```ts
 * import { trapezoidAuc } from "./deletion_insertion.ts";
 * if (trapezoidAuc([0, 1, 1]) !== 0.75) throw new Error("example failed");
 * ```
 */
export function trapezoidAuc(y: ArrayLike<number>): number {
  if (y.length < 2) {
    throw new RangeError(`A curve of ${y.length} points has no area; expected at least 2`);
  }
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]!;
  return (s - y[0]! / 2 - y[y.length - 1]! / 2) / (y.length - 1);
}

/**
 * Deletion and insertion curves of maps (RISE, Petsiuk et al. 2018, §4.1):
 * pixels are ranked by the map (descending; ties in row-major order);
 * deletion sets the top pixels of every channel to zero, insertion starts
 * from the image blurred by a Gaussian (kernel 11, σ = 5, zero padding) and
 * restores them. Score = softmax probability of the top-1 class of the
 * original image; AUC by the normalised trapezoid rule. Every perturbed image
 * is built on the device and sent through the net in batches.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (not disposed)
 * @param maps the maps to judge, [N, H, W] at input resolution (e.g. a MapResult)
 * @param options see {@link DeletionInsertionOptions}
 * @returns both curves per image, their AUCs and the comprehensive score
 * @throws {RangeError} when the maps do not fit the images or for a bad option
 * @throws {TypeError} for NaN maps or images, or a non-class target
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { deletionInsertion } from "./deletion_insertion.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.flatten({ inputShape: [2, 2, 1] }),
 *   tfl.layers.dense({ units: 1, kernelInitializer: "ones", useBias: false }),
 * ] }));
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
 * const maps = { values: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2] as [number, number, number] };
 * const r = await deletionInsertion(net, x, maps, { step: 1, target: { kind: "class", space: "logit" } });
 * // deletion: 10, 6, 3, 1, 0 → AUC = (20 − 5) / 4 = 3.75
 * if (Math.abs(r.deletionAuc - 3.75) > 1e-5) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export async function deletionInsertion(
  net: Net,
  images: ImagesInput,
  maps: MapsInput,
  options: DeletionInsertionOptions = {},
): Promise<DeletionInsertionResult> {
  const [h, w] = net.inputShape;
  const hw = h * w;
  const step = options.step ?? hw / 50;
  if (!(Number.isFinite(step) && step > 0)) {
    throw new RangeError(`step is ${step}; expected a positive number of pixels`);
  }
  const blurSize = positiveInt(options.blurSize ?? 11, "blurSize");
  const blurSigma = options.blurSigma ?? 5;
  if (!(blurSigma > 0)) throw new RangeError(`blurSigma is ${blurSigma}; expected > 0`);
  const batchSize = positiveInt(options.batchSize ?? 32, "batchSize");
  const target = options.target ?? { kind: "class" };
  if (target.kind !== "class") {
    throw new TypeError(`target.kind is "${target.kind}"; deletion/insertion explains classes`);
  }
  const x = await toImageTensor(net, images);
  const tensors: tf.Tensor4D[] = [];
  try {
    const n = x.shape[0];
    const values = checkMaps(maps, x.shape);
    if (n === 0) throw new RangeError("No images given: expected at least one image");
    if (target.index !== undefined) classesOf(net, target.index, new Float32Array(0), n, 1);
    const p = Math.ceil(hw / step) + 1;
    const pixels = Int32Array.from({ length: p }, (_, k) => Math.min(hw, Math.round(k * step)));
    const rank = tf.tensor4d(pixelRanks(values, n, hw), [n, h, w, 1]);
    tensors.push(rank);
    const zeros = tf.zerosLike(x);
    tensors.push(zeros);
    const blurred = gaussianBlur(x, blurSize, blurSigma);
    tensors.push(blurred);
    const thresholds = Array.from(pixels);
    const del = await perturbedLogits(net, { base: x, replacement: zeros, rank }, thresholds, {
      batchSize,
    });
    const ins = await perturbedLogits(net, { base: blurred, replacement: x, rank }, thresholds, {
      batchSize,
    });
    const classes = classesOf(net, target.index, del, n, p);
    const k = net.numClasses;
    const score = (logits: Float32Array) => {
      const out = new Float32Array(n * p);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < p; s++) {
          const off = (i * p + s) * k;
          out[i * p + s] = target.space === "logit"
            ? logits[off + classes[i]!]!
            : softmaxRow(logits, off, k)[classes[i]!]!;
        }
      }
      return out;
    };
    const deletion = score(del);
    const insertion = score(ins);
    const aucs = (c: Float32Array) =>
      Float32Array.from({ length: n }, (_, i) => trapezoidAuc(c.subarray(i * p, (i + 1) * p)));
    const deletionAucPerImage = aucs(deletion);
    const insertionAucPerImage = aucs(insertion);
    const deletionAuc = mean(deletionAucPerImage);
    const insertionAuc = mean(insertionAucPerImage);
    return {
      classes,
      pixels,
      deletion,
      insertion,
      shape: [n, p],
      deletionAucPerImage,
      insertionAucPerImage,
      deletionAuc,
      insertionAuc,
      comprehensive: insertionAuc - deletionAuc,
      meanDeletion: meanCurve(deletion, n, p),
      meanInsertion: meanCurve(insertion, n, p),
    };
  } finally {
    x.dispose();
    tf.dispose(tensors);
  }
}

/** Each pixel's 0-based position when sorted by the map, descending (ties: row-major). */
function pixelRanks(values: Float32Array, n: number, hw: number): Float32Array {
  const out = new Float32Array(n * hw);
  const idx = new Array<number>(hw);
  for (let i = 0; i < n; i++) {
    const v = values.subarray(i * hw, (i + 1) * hw);
    for (let j = 0; j < hw; j++) idx[j] = j;
    idx.sort((a, b) => v[b]! - v[a]! || a - b);
    idx.forEach((j, pos) => (out[i * hw + j] = pos));
  }
  return out;
}
