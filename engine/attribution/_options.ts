/**
 * Option checks and the colour-channel reduction shared by the input
 * attribution methods (private to `engine/attribution`).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MapOptions } from "../maps/map.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import type { Target } from "../net/targets.ts";

/** How a per-channel map [N, H, W, C] becomes a per-pixel map [N, H, W]. */
export type ChannelReduce = "max" | "l2";

/** The options of {@link MapOptions} with their defaults filled in. */
export interface CommonOptions {
  target: Target;
  batchSize: number;
  normalize: boolean;
  seed: number;
}

/**
 * Fills in the defaults of {@link MapOptions} and checks them.
 *
 * @throws {RangeError} for a batch size that is not a positive integer or a
 *   seed that is not finite
 */
export function commonOptions(options: MapOptions): CommonOptions {
  const seed = options.seed ?? 0;
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number; got ${String(seed)}`);
  }
  return {
    target: options.target ?? { kind: "class" },
    batchSize: positiveInteger(options.batchSize ?? 32, "batchSize"),
    normalize: options.normalize ?? true,
    seed,
  };
}

/**
 * Returns `value` when it is a positive integer.
 *
 * @throws {RangeError} naming the option and the value otherwise
 */
export function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer; got ${String(value)}`);
  }
  return value;
}

/**
 * Returns `value` (or `fallback` when undefined) when it is one of `allowed`.
 *
 * @throws {TypeError} naming the option, the value and the allowed ones
 */
export function oneOf<T extends string>(
  value: T | undefined,
  allowed: readonly T[],
  name: string,
  fallback: T,
): T {
  const v = value ?? fallback;
  if (!allowed.includes(v)) {
    throw new TypeError(
      `${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}; got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * The saliency reduction over colour channels (Simonyan et al. 2014 take the
 * max of |g|; the L2 norm is the other common choice). Synchronous: call it
 * inside `tf.tidy`.
 *
 * @param g [N, H, W, C]
 * @param how `max`: max_c |g_c|; `l2`: sqrt(Σ_c g_c²)
 * @returns [N, H, W], non-negative
 */
export function reduceChannels(g: tf.Tensor, how: ChannelReduce): tf.Tensor3D {
  const out = how === "max" ? tf.max(tf.abs(g), 3) : tf.sqrt(tf.sum(tf.square(g), 3));
  return out as tf.Tensor3D;
}

/**
 * The images as a new [N, H, W, C] tensor (the caller disposes it), checked
 * by {@link toImageTensor} and required to hold at least one image.
 *
 * @param what how to name the images in errors (e.g. "background")
 * @throws {RangeError} for a wrong shape or an empty batch; {@link TypeError}
 *   for NaN or infinite pixels
 */
export async function loadImages(
  net: Net,
  images: ImagesInput,
  what = "images",
): Promise<tf.Tensor4D> {
  if (images === undefined || images === null) {
    throw new TypeError(`${what} are missing: expected a tensor or { images, shape }`);
  }
  const x = await toImageTensor(net, images);
  if (x.shape[0] === 0) {
    x.dispose();
    throw new RangeError(`${what} hold no image: expected at least one`);
  }
  return x;
}
