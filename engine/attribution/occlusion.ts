/**
 * Occlusion: the score drop when a sliding patch is replaced by a baseline.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import { checkTarget } from "../net/targets.ts";
import { commonOptions, loadImages, positiveInteger } from "./_options.ts";
import { resolveTargets, rowTarget, scoreBatch } from "./_targets.ts";

/** Options of {@link occlusion}. */
export interface OcclusionOptions extends MapOptions {
  /**
   * Patch size, one number for a square or [height, width]. Default: an
   * eighth of the image per side, max(1, round(H/8)) × max(1, round(W/8))
   * (4×4 on 28-px MNIST, 8×8 on 64-px scenes).
   */
  patch?: number | readonly [number, number];
  /**
   * Step between patches, one number or [rows, columns]. Default: half the
   * patch, ceil(patch/2) per side. When the last step does not reach the
   * image's edge, one more patch is placed flush with the edge, so every
   * pixel is covered.
   */
  stride?: number | readonly [number, number];
  /** The value an occluded pixel takes (every channel). Default: 0. */
  baseline?: number;
}

/**
 * Occlusion (Zeiler & Fergus 2014, §4.2; Captum's `Occlusion`): each patch
 * position replaces the patch (all channels) by `baseline`, the drop
 * f(x) − f(x occluded) is recorded, and each pixel's attribution is the mean
 * drop over the patches that cover it. All occluded copies of all images go
 * through the net in batches of `batchSize` (forward passes only); the
 * class explained is each original image's.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link OcclusionOptions} (target, batchSize, normalize,
 *   patch, stride, baseline)
 * @returns maps [N, H, W]; `raw` = mean score drop (signed: negative where
 *   hiding the patch raises the score); `extras` has patchHeight,
 *   patchWidth, strideHeight, strideWidth and patches (positions per image)
 * @throws {RangeError} for a wrong image shape, a target out of range, a
 *   patch larger than the image, non-integer sizes or a non-finite baseline;
 *   {@link TypeError} for NaN pixels
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { occlusion } from "./occlusion.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await occlusion(wrapModel(model), x, { patch: 2, stride: 2 });
 * if (!(map.extras.patches === 9 && map.shape.join() === "2,6,6")) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function occlusion(
  net: Net,
  images: ImagesInput,
  options: OcclusionOptions = {},
): Promise<MapResult> {
  const { target, batchSize, normalize } = commonOptions(options);
  const [h, w] = net.inputShape;
  const [ph, pw] = pair(
    options.patch ?? [Math.max(1, Math.round(h / 8)), Math.max(1, Math.round(w / 8))],
    "patch",
  );
  if (ph > h || pw > w) {
    throw new RangeError(`patch ${ph}×${pw} is larger than the ${h}×${w} input`);
  }
  const [sh, sw] = pair(options.stride ?? [Math.ceil(ph / 2), Math.ceil(pw / 2)], "stride");
  const baseline = options.baseline ?? 0;
  if (typeof baseline !== "number" || !Number.isFinite(baseline)) {
    throw new RangeError(`baseline must be a finite number; got ${String(baseline)}`);
  }
  const rows0 = positions(h, ph, sh);
  const cols0 = positions(w, pw, sw);
  const perImage = rows0.length * cols0.length;
  const x = await loadImages(net, images);
  let raw: tf.Tensor | null = null;
  try {
    const n = x.shape[0];
    checkTarget(net, target, n);
    const { classes, scores } = await resolveTargets(net, x, target, batchSize);
    const drops = new Float32Array(n * h * w);
    const total = n * perImage;
    const c = x.shape[3];
    const per = h * w * c;
    const pixels = (await x.data()) as Float32Array;
    for (let start = 0; start < total; start += batchSize) {
      const end = Math.min(total, start + batchSize);
      const r = end - start;
      const rowImages = Int32Array.from(
        { length: r },
        (_, j) => Math.floor((start + j) / perImage),
      );
      // Occluded rows are built in JS from one read-back of the images: a
      // copy plus a fill, instead of a gather and three full-size tensor ops
      // per chunk (which cost as much as the forward pass on small nets).
      const rows = new Float32Array(r * per);
      for (let j = 0; j < r; j++) {
        const img = rowImages[j]!;
        rows.set(pixels.subarray(img * per, (img + 1) * per), j * per);
        const [top, left] = patchAt(start + j);
        for (let i = top; i < top + ph; i++) {
          const from = j * per + (i * w + left) * c;
          rows.fill(baseline, from, from + pw * c);
        }
      }
      const out = tf.tidy(() => {
        const occluded = tf.tensor4d(rows, [r, h, w, c]);
        return scoreBatch(net, occluded, rowTarget(target, classes, rowImages)).scores;
      });
      let rowScores: Float32Array;
      try {
        rowScores = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      for (let j = 0; j < r; j++) {
        const img = rowImages[j]!;
        const drop = scores[img]! - rowScores[j]!;
        const [top, left] = patchAt(start + j);
        for (let i = top; i < top + ph; i++) {
          const base = (img * h + i) * w;
          for (let q = base + left; q < base + left + pw; q++) drops[q]! += drop;
        }
      }
    }
    // Every image has the same patches, so the cover count is one H×W grid.
    const cover = new Float32Array(h * w);
    for (const top of rows0) {
      for (const left of cols0) {
        for (let i = top; i < top + ph; i++) {
          for (let q = i * w + left; q < i * w + left + pw; q++) cover[q]! += 1;
        }
      }
    }
    for (let q = 0; q < drops.length; q++) drops[q]! /= cover[q % (h * w)]!;
    raw = tf.tensor3d(drops, [n, h, w]);
    return await finishMaps(raw, [h, w], {
      method: "occlusion",
      layer: null,
      normalize,
      classes,
      scores,
      extras: {
        patchHeight: ph,
        patchWidth: pw,
        strideHeight: sh,
        strideWidth: sw,
        patches: perImage,
      },
    });
  } finally {
    x.dispose();
    if (raw) raw.dispose();
  }

  function patchAt(row: number): [number, number] {
    const p = row % perImage;
    return [rows0[Math.floor(p / cols0.length)]!, cols0[p % cols0.length]!];
  }
}

/** A size option as [rows, columns]. */
function pair(value: number | readonly [number, number], name: string): [number, number] {
  if (typeof value === "number") {
    positiveInteger(value, name);
    return [value, value];
  }
  if (!Array.isArray(value) || value.length !== 2) {
    throw new RangeError(
      `${name} must be a positive integer or [height, width]; got ${JSON.stringify(value)}`,
    );
  }
  return [positiveInteger(value[0], `${name}[0]`), positiveInteger(value[1], `${name}[1]`)];
}

/** Patch starts 0, s, 2s, … and, if the edge was not reached, size − p. */
function positions(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let a = 0; a + patch <= size; a += stride) out.push(a);
  if (out[out.length - 1]! + patch < size) out.push(size - patch);
  return out;
}
