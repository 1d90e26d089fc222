/**
 * Integrated Gradients along the straight path from a baseline.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import type { ImagesInput } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import { checkTarget, type Target } from "../net/targets.ts";
import { checkFinite } from "../net/predict.ts";
import { commonOptions, loadImages, positiveInteger } from "./_options.ts";
import { pathPoint } from "./_row_inputs.ts";
import { type RowPlan, sumOverRows } from "./_rows.ts";
import { resolveTargets, rowTarget } from "./_targets.ts";

/**
 * Where the path's first gradient is taken, as a fraction of one step: just
 * inside the path instead of at the baseline itself. A constant baseline
 * (black) makes every max-pool window a tie, where the gradient is not its
 * limit along the path; with the trapezoid weight 1/(2m) that one wrong
 * gradient alone made the completeness error shrink only like 1/m on the
 * test nets (nestedNet: 3·10⁻³ at m = 64, 100× less with the shift). The
 * integral over the skipped [0, 10⁻³/m] is negligible, and f(x′) itself is
 * evaluated exactly.
 */
const START = 1e-3;

/** A baseline: one value for every pixel, or one image for all, or one per image. */
export type Baseline = number | tf.Tensor | Float32Array;

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends MapOptions {
  /**
   * Intervals m of the path, evaluated at the m + 1 points α = k/m,
   * k = 0 … m, and combined by the trapezoid rule. Default: 50.
   */
  steps?: number;
  /**
   * The baseline x′: a number (every pixel; 0 = black), or an image as a
   * tensor [H, W, C] / [1, H, W, C] or a Float32Array of H·W·C values, or one
   * image per explained image ([N, H, W, C] / N·H·W·C values). Default: 0.
   */
  baseline?: Baseline;
}

/**
 * Integrated Gradients (Sundararajan et al. 2017, eq. 1 and its Riemann
 * approximation in §5): φ = (x − x′) ⊙ ∫₀¹ ∇f(x′ + α(x − x′)) dα, the
 * integral by the trapezoid rule over `steps` intervals (the α = 0 gradient
 * is taken at α = 10⁻³/m, just inside the path: at a constant baseline every
 * max-pool window is a tie whose gradient is not the path's). All path points of
 * all images go through the net in batches of `batchSize`; the class
 * explained is each image's own (top-1 by default) at every point.
 *
 * Completeness, Σφ = f(x) − f(x′), is checked and reported: `extras.deltaF`
 * is f(x) − f(x′) and `extras.completenessError` is Σφ − (f(x) − f(x′)) per
 * image (it shrinks as `steps` grows).
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (a tensor or `{ images, shape }`; never disposed)
 * @param options see {@link IntegratedGradientsOptions} (target, batchSize,
 *   normalize, steps, baseline)
 * @returns maps [N, H, W]; `raw` = φ summed over colour channels (signed);
 *   `extras.attributions` = φ per channel, [N, H, W, C] row-major
 * @throws {RangeError} for a wrong image or baseline shape, a target out of
 *   range or bad `steps`; {@link TypeError} for NaN pixels or baseline values
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { integratedGradients } from "./integrated_gradients.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: "tanh" }),
 *   tfl.layers.flatten(),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 6, 6, 1], 0, 1, "float32", 1);
 * const ig = await integratedGradients(wrapModel(model), x, { steps: 32 });
 * const err = ig.extras.completenessError as Float32Array;
 * const deltaF = ig.extras.deltaF as Float32Array;
 * if (!(Math.abs(err[0]!) < 0.01 * Math.abs(deltaF[0]!) + 1e-5)) {
 *   throw new Error("unexpected result");
 * }
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function integratedGradients(
  net: Net,
  images: ImagesInput,
  options: IntegratedGradientsOptions = {},
): Promise<MapResult> {
  const { target, batchSize, normalize } = commonOptions(options);
  const m = positiveInteger(options.steps ?? 50, "steps");
  const x = await loadImages(net, images);
  const owned: tf.Tensor[] = [x];
  try {
    const n = x.shape[0];
    checkTarget(net, target, n);
    const base = await baselineTensor(net, options.baseline ?? 0, n);
    owned.push(base);
    const { classes, scores } = await resolveTargets(net, x, target, batchSize);
    const atBaseline = await baselineScores(net, base, target, classes, batchSize);
    const [h, w, c] = net.inputShape;
    const size = h * w * c;
    // Path points are built in JS from one read-back (see _row_inputs.ts).
    const [pixels, basePixels] = (await Promise.all([x.data(), base.data()])) as [
      Float32Array,
      Float32Array,
    ];
    const perBase = base.shape[0] === 1 ? 0 : size;
    const plan: RowPlan = {
      perImage: m + 1,
      rows(start, end, rowImages) {
        const r = end - start;
        const rows = new Float32Array(r * size);
        for (let j = 0; j < r; j++) {
          const img = rowImages[j]!;
          const alpha = Math.max(((start + j) % (m + 1)) / m, START / m);
          pathPoint(basePixels, img * perBase, pixels, img * size, alpha, rows, j, size);
        }
        return { inputs: tf.tensor4d(rows, [r, h, w, c]) };
      },
      weight(row) {
        const k = row % (m + 1);
        return (k === 0 || k === m ? 0.5 : 1) / m;
      },
    };
    const { sums } = await sumOverRows(net, x, target, classes, plan, batchSize);
    owned.push(sums);
    const phi = tf.tidy(() => tf.mul(tf.sub(x, base), sums));
    owned.push(phi);
    const raw = tf.tidy(() => tf.sum(phi, 3));
    owned.push(raw);
    const total = tf.tidy(() => tf.sum(phi, [1, 2, 3]));
    owned.push(total);
    const [phiValues, totals] = await Promise.all([phi.data(), total.data()]);
    const deltaF = Float32Array.from(scores, (s, i) => s - atBaseline[i]!);
    const completenessError = Float32Array.from(totals, (t, i) => t - deltaF[i]!);
    return await finishMaps(raw, [h, w], {
      method: "integratedGradients",
      layer: null,
      normalize,
      classes,
      scores,
      extras: {
        completenessError,
        deltaF,
        attributions: Float32Array.from(phiValues),
        steps: m,
      },
    });
  } finally {
    tf.dispose(owned);
  }
}

/**
 * f(x′) for every image's target (its class fixed by the image), forward
 * passes only.
 */
async function baselineScores(
  net: Net,
  base: tf.Tensor4D,
  target: Target,
  classes: Int32Array,
  batchSize: number,
): Promise<Float32Array> {
  const n = classes.length;
  const images = Array.from({ length: n }, (_, i) => i);
  const all = tf.tidy(() =>
    base.shape[0] === n ? tf.clone(base) : tf.gather(base, tf.zeros([n], "int32"))
  );
  try {
    return (await resolveTargets(net, all, rowTarget(target, classes, images), batchSize)).scores;
  } finally {
    all.dispose();
  }
}

/**
 * The baseline as a new tensor [1, H, W, C] or [N, H, W, C].
 *
 * @throws {RangeError} for a shape or length that fits neither; {@link TypeError}
 *   for a value that is not finite or a baseline of another type
 */
async function baselineTensor(net: Net, baseline: Baseline, n: number): Promise<tf.Tensor4D> {
  const [h, w, c] = net.inputShape;
  const size = h * w * c;
  const expected = `[${h}, ${w}, ${c}], [1, ${h}, ${w}, ${c}] or [${n}, ${h}, ${w}, ${c}]`;
  if (typeof baseline === "number") {
    checkFinite([baseline], "baseline");
    return tf.fill([1, h, w, c], baseline) as tf.Tensor4D;
  }
  if (baseline instanceof Float32Array) {
    if (baseline.length !== size && baseline.length !== n * size) {
      throw new RangeError(
        `baseline holds ${baseline.length} values; expected ${size} (one image ${expected}) ` +
          `or ${n * size} (one per image)`,
      );
    }
    checkFinite(baseline, "baseline");
    return tf.tensor4d(baseline, [baseline.length / size, h, w, c]);
  }
  if (baseline instanceof tf.Tensor) {
    const s = baseline.shape;
    const image = s.slice(-3).join() === [h, w, c].join();
    const ok = image && (s.length === 3 || (s.length === 4 && (s[0] === 1 || s[0] === n)));
    if (!ok) throw new RangeError(`baseline has shape [${s.join(", ")}]; expected ${expected}`);
    checkFinite(await baseline.data(), "baseline");
    return tf.tidy(() =>
      tf.reshape(tf.cast(baseline, "float32"), [s.length === 3 ? 1 : s[0]!, h, w, c])
    ) as tf.Tensor4D;
  }
  throw new TypeError(
    `baseline must be a number, a tensor or a Float32Array; got ${typeof baseline}`,
  );
}
