/**
 * Expected Gradients / GradientSHAP: path gradients from random background
 * images, averaged.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import { checkTarget, scoreOf, type Target } from "../net/targets.ts";
import { createRng, subSeed } from "../random.ts";
import { commonOptions, loadImages, positiveInteger } from "./_options.ts";
import { pathPoint } from "./_row_inputs.ts";
import { type RowPlan, sumOverRows } from "./_rows.ts";
import { resolveTargets, rowTarget, targetForward } from "./_targets.ts";

/** Options of {@link expectedGradients}. */
export interface ExpectedGradientsOptions extends MapOptions {
  /**
   * The background set B, images of the net's input shape (a tensor or
   * `{ images, shape }`, never disposed). Required: METHODS.md suggests 50
   * images of the data set; choosing them is the caller's job.
   */
  background: ImagesInput;
  /** Samples per image. Default: 50. */
  n?: number;
}

/**
 * Expected Gradients (Erion et al. 2021, §2) = GradientSHAP (Lundberg &
 * Lee 2017, as in Captum without input noise): each of `n` samples per image
 * draws a background image b ∈ B and α ~ U(0, 1) and evaluates
 * (x − b) ⊙ ∇f(b + α(x − b)); their mean is the SHAP estimate φ. All
 * samples of all images go through the net in batches of `batchSize`; the
 * class explained is each image's own (top-1 by default). Any target works,
 * neuron targets included.
 *
 * Sample j of image i draws from `createRng(subSeed(seed, i·n + j))`, so the
 * result does not depend on `batchSize`. In expectation Σφ = f(x) − E_B[f(b)]:
 * `extras.deltaF` is f(x) − mean over all of B of f(b), and
 * `extras.completenessError` is Σφ − deltaF, which shrinks like 1/√n.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link ExpectedGradientsOptions} (background required;
 *   target, batchSize, normalize, seed, n)
 * @returns maps [N, H, W]; `raw` = φ summed over colour channels (signed);
 *   `extras.attributions` = φ per channel, [N, H, W, C] row-major
 * @throws {TypeError} when `background` is missing or holds NaN;
 *   {@link RangeError} for wrong image or background shapes, an empty
 *   background, a target out of range or a bad `n`
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { expectedGradients } from "./expected_gradients.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const background = tf.randomUniform([4, 6, 6, 1], 0, 1, "float32", 2);
 * const shap = await expectedGradients(wrapModel(model), x, { background, n: 16 });
 * if (!((shap.extras.attributions as Float32Array).length === 72)) {
 *   throw new Error("unexpected result");
 * }
 * tf.dispose([x, background]);
 * model.dispose();
 * ```
 */
export async function expectedGradients(
  net: Net,
  images: ImagesInput,
  options: ExpectedGradientsOptions,
): Promise<MapResult> {
  if (options?.background === undefined || options.background === null) {
    throw new TypeError(
      "expectedGradients needs options.background: a set of background images " +
        "(a tensor or { images, shape }, e.g. 50 images of the data set)",
    );
  }
  const { target, batchSize, normalize, seed } = commonOptions(options);
  const n = positiveInteger(options.n ?? 50, "n");
  const owned: tf.Tensor[] = [];
  try {
    const x = await loadImages(net, images);
    owned.push(x);
    const bg = await loadImages(net, options.background, "background");
    owned.push(bg);
    const count = x.shape[0];
    checkTarget(net, target, count);
    const { classes, scores } = await resolveTargets(net, x, target, batchSize);
    const nb = bg.shape[0];
    const [h, w, c] = net.inputShape;
    const size = h * w * c;
    // Samples are built in JS from one read-back (see _row_inputs.ts).
    const [pixels, bgPixels] = (await Promise.all([x.data(), bg.data()])) as [
      Float32Array,
      Float32Array,
    ];
    const plan: RowPlan = {
      perImage: n,
      rows(start, end, rowImages) {
        const r = end - start;
        const rows = new Float32Array(r * size);
        const diffs = new Float32Array(r * size);
        for (let j = 0; j < r; j++) {
          const rng = createRng(subSeed(seed, start + j));
          const pick = rng.int(nb);
          const alpha = Math.fround(rng.next());
          const img = rowImages[j]!;
          pathPoint(bgPixels, pick * size, pixels, img * size, alpha, rows, j, size, diffs);
        }
        const diff = tf.tensor4d(diffs, [r, h, w, c]);
        return { inputs: tf.tensor4d(rows, [r, h, w, c]), contribution: (g) => tf.mul(g, diff) };
      },
      weight: () => 1 / n,
    };
    const { sums: phi } = await sumOverRows(net, x, target, classes, plan, batchSize);
    owned.push(phi);
    const raw = tf.tidy(() => tf.sum(phi, 3));
    owned.push(raw);
    const total = tf.tidy(() => tf.sum(phi, [1, 2, 3]));
    owned.push(total);
    const background = await meanBackgroundScores(net, bg, target, classes, batchSize);
    const [phiValues, totals] = await Promise.all([phi.data(), total.data()]);
    const deltaF = Float32Array.from(scores, (s, i) => s - background[i]!);
    return await finishMaps(raw, [net.inputShape[0], net.inputShape[1]], {
      method: "expectedGradients",
      layer: null,
      normalize,
      classes,
      scores,
      extras: {
        attributions: Float32Array.from(phiValues),
        deltaF,
        completenessError: Float32Array.from(totals, (t, i) => t - deltaF[i]!),
        n,
      },
    });
  } finally {
    tf.dispose(owned);
  }
}

/**
 * E_B[f(b)] for each explained image's target: one forward pass over the
 * background, then the score of every distinct class (or label) it holds.
 */
async function meanBackgroundScores(
  net: Net,
  bg: tf.Tensor,
  target: Target,
  classes: Int32Array,
  batchSize: number,
): Promise<Float32Array> {
  const count = classes.length;
  const keyOf = (i: number) =>
    target.kind === "class" ? classes[i]! : target.kind === "loss" ? target.labels[i]! : 0;
  // One representative image per distinct key: its target is every image's with that key.
  const representative = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (!representative.has(keyOf(i))) representative.set(keyOf(i), i);
  }
  const keys = [...representative.keys()];
  const sums = new Float64Array(keys.length);
  const nb = bg.shape[0]!;
  for (let start = 0; start < nb; start += batchSize) {
    const end = Math.min(nb, start + batchSize);
    const partial = tf.tidy(() => {
      const f = targetForward(net, tf.slice(bg, [start], [end - start]), target);
      return tf.stack(keys.map((key) => {
        const rows = new Array<number>(end - start).fill(representative.get(key)!);
        return tf.sum(scoreOf(net, rowTarget(target, classes, rows), f.logits, f.captured).scores);
      }));
    });
    try {
      (await partial.data()).forEach((v, k) => (sums[k]! += v));
    } finally {
      partial.dispose();
    }
  }
  const mean = new Map(keys.map((key, k) => [key, sums[k]! / nb]));
  return Float32Array.from({ length: count }, (_, i) => mean.get(keyOf(i))!);
}
