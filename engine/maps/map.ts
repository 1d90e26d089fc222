/**
 * What every map method (input attributions, CAMs, LRP) returns, and the
 * shared post-processing of METHODS.md "Conventions": maps are [N, H, W] at
 * the input resolution, upsampled bilinearly with half-pixel centres (the
 * same as PyTorch's `align_corners=False`), then min–max normalised per image
 * unless raw values are asked for. Raw maps stay available.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
import type { Target } from "../net/targets.ts";
 * import { finishMaps } from "./map.ts";
 * const raw = tf.tensor3d([[[0, 1], [2, 3]]]); // one 2×2 map
 * const m = await finishMaps(raw, [4, 4], { method: "demo", layer: null });
 * if (!(m.shape.join() === "1,4,4" && m.values[0] === 0 && m.values[15] === 1)) throw new Error("example failed");
 * raw.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { Target } from "../net/targets.ts";

/** Maps of N images, plus everything needed to interpret them. */
export interface MapResult {
  /** Method name, e.g. "gradCam". */
  method: string;
  /** The layer a CAM was computed at; null for input attributions. */
  layer: string | null;
  /** [N, H, W] at input resolution; min–max normalised per image unless `normalize: false`. */
  values: Float32Array;
  /** [N, H, W]. */
  shape: [number, number, number];
  /** The map before upsampling and normalisation, [N, h, w]. */
  raw: Float32Array;
  /** Shape of `raw`. */
  rawShape: [number, number, number];
  /** The explained class per image (-1 when the target is a neuron). */
  classes: Int32Array;
  /** The target's score per image. */
  scores: Float32Array;
  /** Method-specific numbers, e.g. IG's completeness error per image. */
  extras: Record<string, Float32Array | number>;
}

/** Options every map method accepts. */
export interface MapOptions {
  /** What to explain. Default: each image's top-1 class logit. */
  target?: Target;
  /** Largest batch sent through the net at once. Default: 32. */
  batchSize?: number;
  /** Min–max normalise each map to [0, 1]. Default: true (raw maps are always kept). */
  normalize?: boolean;
  /** Seed for anything random. Default: 0. */
  seed?: number;
}

/** Options of {@link finishMaps}. */
export interface FinishOptions {
  method: string;
  layer: string | null;
  /** Min–max normalise each image's map to [0, 1]. Default: true. */
  normalize?: boolean;
  classes?: Int32Array;
  scores?: Float32Array;
  extras?: Record<string, Float32Array | number>;
}

/**
 * Upsamples raw maps [N, h, w] to [N, H, W] (bilinear, half-pixel centres).
 * Synchronous tensor op: the caller owns the result.
 */
export function upsampleMaps(raw: tf.Tensor, size: [number, number]): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w] = raw.shape as [number, number, number];
    if (h === size[0] && w === size[1]) return tf.clone(raw) as tf.Tensor3D;
    const four = tf.reshape(raw, [n, h, w, 1]) as tf.Tensor4D;
    return tf.reshape(tf.image.resizeBilinear(four, size, false, true), [
      n,
      ...size,
    ]) as tf.Tensor3D;
  });
}

/**
 * Min–max normalises each map to [0, 1]; a constant map becomes all zeros
 * (there is nothing to rank in it), never NaN.
 */
export function normalizeMaps(maps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const axes = maps.shape.slice(1).map((_, i) => i + 1);
    const lo = tf.min(maps, axes, true);
    const hi = tf.max(maps, axes, true);
    const span = tf.sub(hi, lo);
    const safe = tf.where(tf.greater(span, 0), span, tf.onesLike(span));
    return tf.div(tf.sub(maps, lo), safe);
  });
}

/**
 * Reads raw maps back once and packages them: upsampled and (by default)
 * normalised values plus the raw maps. Does not dispose `raw`.
 *
 * @param raw [N, h, w]
 * @param size the input's [H, W]
 * @param options method name, layer, and what else to attach
 */
export async function finishMaps(
  raw: tf.Tensor,
  size: [number, number],
  options: FinishOptions,
): Promise<MapResult> {
  if (raw.rank !== 3) {
    throw new RangeError(`Raw maps must be [N, h, w]; got [${raw.shape.join(", ")}]`);
  }
  const n = raw.shape[0]!;
  const up = tf.tidy(() => {
    const u = upsampleMaps(raw, size);
    return options.normalize === false ? u : normalizeMaps(u);
  });
  try {
    const [values, rawValues] = await Promise.all([up.data(), raw.data()]);
    return {
      method: options.method,
      layer: options.layer,
      values: values as Float32Array,
      shape: [n, size[0], size[1]],
      raw: Float32Array.from(rawValues),
      rawShape: raw.shape as [number, number, number],
      classes: options.classes ?? new Int32Array(n).fill(-1),
      scores: options.scores ?? new Float32Array(n),
      extras: options.extras ?? {},
    };
  } finally {
    up.dispose();
  }
}
