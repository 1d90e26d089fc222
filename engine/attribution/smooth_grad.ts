/**
 * SmoothGrad: gradients averaged over noisy copies of each image.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import { checkTarget } from "../net/targets.ts";
import { subSeed } from "../random.ts";
import {
  type ChannelReduce,
  commonOptions,
  loadImages,
  oneOf,
  positiveInteger,
  reduceChannels,
} from "./_options.ts";
import { noisyCopy } from "./_row_inputs.ts";
import { type RowPlan, sumOverRows } from "./_rows.ts";
import { resolveTargets } from "./_targets.ts";

/** What is averaged over the noisy copies, see {@link SmoothGradOptions.variant}. */
export type SmoothGradVariant = "mean" | "meanAbs" | "squared";

/** Options of {@link smoothGrad}. */
export interface SmoothGradOptions extends MapOptions {
  /** Noisy copies per image. Default: 50. */
  n?: number;
  /** Noise level σ as a fraction of each image's (max − min). Default: 0.15. */
  sigmaFraction?: number;
  /**
   * `mean` (default, Smilkov et al.): the mean gradient, then the saliency
   * reduction; `meanAbs`: the mean of |gradient|; `squared`: the mean of
   * gradient² (SmoothGrad², Hooker et al. 2019).
   */
  variant?: SmoothGradVariant;
  /** Reduction over colour channels as in saliency: `max` of |·| (default) or `l2`. */
  reduce?: ChannelReduce;
}

/**
 * SmoothGrad (Smilkov et al. 2017, §2): the gradient averaged over `n`
 * copies x + N(0, σ²), σ = 0.15 · (max − min) of each image, then the
 * saliency reduction over colour channels. All copies of all images go
 * through the net in batches of `batchSize`; the class explained is each
 * original image's (top-1 by default), never a noisy copy's own top-1.
 *
 * The noise of copy j of image i is drawn from its own stream, sfc32 seeded
 * like `createRng(subSeed(seed, i·n + j))` and sampled by the ziggurat
 * method, so the maps do not depend on `batchSize`.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link SmoothGradOptions} (target, batchSize, normalize,
 *   seed, n, sigmaFraction, variant, reduce)
 * @returns maps [N, H, W]; `scores` are f(x) on the original images;
 *   `extras.sigma` is each image's noise standard deviation
 * @throws {RangeError} for a wrong image shape, a target out of range, a bad
 *   `n` or `sigmaFraction`; {@link TypeError} for NaN pixels or an unknown
 *   `variant`/`reduce`
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { smoothGrad } from "./smooth_grad.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "relu" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const map = await smoothGrad(wrapModel(model), x, { n: 8, seed: 3 });
 * if (!(map.shape.join() === "2,6,6" && map.extras.sigma instanceof Float32Array)) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function smoothGrad(
  net: Net,
  images: ImagesInput,
  options: SmoothGradOptions = {},
): Promise<MapResult> {
  const { target, batchSize, normalize, seed } = commonOptions(options);
  const n = positiveInteger(options.n ?? 50, "n");
  const fraction = options.sigmaFraction ?? 0.15;
  if (typeof fraction !== "number" || !Number.isFinite(fraction) || fraction < 0) {
    throw new RangeError(`sigmaFraction must be a finite number ≥ 0; got ${String(fraction)}`);
  }
  const variant = oneOf(options.variant, ["mean", "meanAbs", "squared"], "variant", "mean");
  const how = oneOf(options.reduce, ["max", "l2"], "reduce", "max");
  const x = await loadImages(net, images);
  const owned: tf.Tensor[] = [x];
  try {
    checkTarget(net, target, x.shape[0]);
    const { classes, scores } = await resolveTargets(net, x, target, batchSize);
    const sigma = tf.tidy(() =>
      tf.mul(tf.sub(tf.max(x, [1, 2, 3]), tf.min(x, [1, 2, 3])), fraction)
    );
    owned.push(sigma);
    const [h, w, c] = net.inputShape;
    const size = h * w * c;
    const transform = variant === "meanAbs" ? tf.abs : variant === "squared" ? tf.square : null;
    // Noisy copies are built in JS from one read-back (see _row_inputs.ts).
    const [pixels, sigmas] = (await Promise.all([x.data(), sigma.data()])) as [
      Float32Array,
      Float32Array,
    ];
    const plan: RowPlan = {
      perImage: n,
      rows(start, end, rowImages) {
        const r = end - start;
        const rows = new Float32Array(r * size);
        for (let j = 0; j < r; j++) {
          const img = rowImages[j]!;
          noisyCopy(pixels, img, sigmas[img]!, subSeed(seed, start + j), rows, j, size);
        }
        const inputs = tf.tensor4d(rows, [r, h, w, c]);
        return transform ? { inputs, contribution: (g) => transform(g) } : { inputs };
      },
      weight: () => 1 / n,
    };
    const { sums } = await sumOverRows(net, x, target, classes, plan, batchSize);
    owned.push(sums);
    const raw = tf.tidy(() => reduceChannels(sums, how));
    owned.push(raw);
    return await finishMaps(raw, [h, w], {
      method: "smoothGrad",
      layer: null,
      normalize,
      classes,
      scores,
      extras: { sigma: Float32Array.from(sigmas), n, sigmaFraction: fraction },
    });
  } finally {
    tf.dispose(owned);
  }
}
