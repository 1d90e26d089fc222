/**
 * A hand-built network whose units are exact colour detectors for the
 * synthetic concept scenes (METHODS.md §8): the ground truth that network
 * dissection (Bau et al. 2017) must recover, one unit per scene colour.
 *
 * Layer `color_diff` (1×1 conv + ReLU, 6 units per colour c) computes
 * ReLU(x_ch − c_ch) and ReLU(c_ch − x_ch) for each channel; layer `colors`
 * (1×1 conv + ReLU, one unit per colour) computes
 * ReLU(1 − s·Σ |x_ch − c_ch|) with s = 40. Objects are painted in exact
 * vocabulary colours, and every background pixel differs from every
 * vocabulary colour by at least 8/255 in some channel (scenes.ts clamps
 * background channels to [8, 247] while each vocabulary colour has a channel at
 * 0 or 255), and vocabulary colours differ from each other by far more: so unit
 * c is ≈ 1 exactly on the pixels painted c and 0 everywhere else. A GAP +
 * dense head (class = colour) makes it a complete classifier.
 *
 * Note on IoU: with the 0.995 quantile threshold, a unit's mask is the top
 * 0.5 % of its activations, so a concept covering more than ~0.5 % of the
 * probe pixels cannot reach IoU > 0.9 with any unit, however exact. The
 * must-show therefore uses scenes with small objects (see
 * {@link colorProbeOptions}), where each colour covers < 0.5 % of pixels and
 * the thresholded map equals the colour mask.
 *
 * @module
 */
import { tf, tfl } from "../deps.ts";
import { SCENE_COLORS, type SceneOptions } from "../data/scenes.ts";

/** The colours the detector units respond to, in unit order. */
export const DETECTOR_COLORS: readonly string[] = Object.freeze(Object.keys(SCENE_COLORS));

/** Sharpness s of the detector: Σ|x − c| must be below 1/s = 0.025 (6.4/255) to fire. */
const SHARPNESS = 40;

/**
 * Builds the hand-weighted colour-detector model (module doc).
 *
 * @param options `size`: input side or [height, width] (default 64)
 * @returns a tfjs LayersModel with layers `color_diff`, `colors`, `gap`, `predictions`; the caller disposes it
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { colorDetectorModel, DETECTOR_COLORS } from "./color_detector.ts";
 * const model = colorDetectorModel({ size: 8 });
 * // A pure red image: the "red" class wins.
 * const x = tf.tidy(() => tf.mul(tf.ones([1, 8, 8, 3]), tf.tensor1d([1, 0, 0])));
 * const y = model.predict(x) as tf.Tensor;
 * const p = await y.data();
 * tf.dispose([x, y]); model.dispose();
 * if (p.indexOf(Math.max(...p)) !== DETECTOR_COLORS.indexOf("red")) throw new Error("not red");
 * ```
 */
export function colorDetectorModel(
  options: { size?: number | [number, number] } = {},
): tfl.LayersModel {
  const size = options.size ?? 64;
  const [h, w] = typeof size === "number" ? [size, size] : size;
  const k = DETECTOR_COLORS.length;
  const w1 = new Float32Array(3 * 6 * k), b1 = new Float32Array(6 * k);
  const w2 = new Float32Array(6 * k * k), b2 = new Float32Array(k).fill(1);
  DETECTOR_COLORS.forEach((name, i) => {
    const rgb = SCENE_COLORS[name]!;
    for (let ch = 0; ch < 3; ch++) {
      const c = rgb[ch]! / 255;
      const up = 6 * i + 2 * ch, down = up + 1;
      // Kernel [1, 1, 3, 6K]: input channel ch → output unit.
      w1[ch * 6 * k + up] = 1;
      b1[up] = -c;
      w1[ch * 6 * k + down] = -1;
      b1[down] = c;
      w2[up * k + i] = -SHARPNESS;
      w2[down * k + i] = -SHARPNESS;
    }
  });
  const eye = new Float32Array(k * k);
  for (let i = 0; i < k; i++) eye[i * k + i] = 1;
  return tfl.sequential({
    name: "color_detector",
    layers: [
      tfl.layers.conv2d({
        name: "color_diff",
        inputShape: [h, w, 3],
        filters: 6 * k,
        kernelSize: 1,
        activation: "relu",
        weights: [tf.tensor4d(w1, [1, 1, 3, 6 * k]), tf.tensor1d(b1)],
      }),
      tfl.layers.conv2d({
        name: "colors",
        filters: k,
        kernelSize: 1,
        activation: "relu",
        weights: [tf.tensor4d(w2, [1, 1, 6 * k, k]), tf.tensor1d(b2)],
      }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "predictions",
        units: k,
        activation: "softmax",
        weights: [tf.tensor2d(eye, [k, k]), tf.zeros([k])],
      }),
    ],
  });
}

/**
 * Scene options for probing the colour detector: small objects, so each colour
 * covers well under 0.5 % of the probe pixels (module doc).
 *
 * @param count number of scenes
 * @param options `size` (default 64), `seed` (default 0)
 * @returns options for `scenes`/`sceneSource`
 * @example
 * ```ts
 * import { colorProbeOptions } from "./color_detector.ts";
 * if (colorProbeOptions(10).count !== 10) throw new Error("bad");
 * ```
 */
export function colorProbeOptions(
  count: number,
  options: { size?: number; seed?: number } = {},
): SceneOptions {
  return {
    count,
    size: options.size ?? 64,
    seed: options.seed ?? 0,
    radius: [0.08, 0.12],
    distractor: 0,
  };
}
