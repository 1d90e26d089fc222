/**
 * Localisation of maps against ground-truth object masks (the synthetic
 * scenes give exact ones):
 *
 * - **relevance mass inside the mask** (Arras et al. 2022, "CLEVR-XAI",
 *   relevance mass accuracy): Σ_{x ∈ mask} R⁺(x) / Σ_x R⁺(x), with R⁺ the
 *   positive part of the raw map upsampled to the mask's resolution — positive
 *   evidence only, so signed maps (gradient × input, IG, LRP) are judged on
 *   what they point at, and min–max normalisation cannot shift mass;
 * - **pointing game** (Zhang et al. 2018): a hit when the map's maximum lies
 *   inside the mask.
 *
 * @example
 * ```ts
 * import { localisation } from "./localisation.ts";
 * const maps = { raw: Float32Array.from([0, 3, 1, 0]), rawShape: [1, 2, 2] as [number, number, number] };
 * const r = await localisation(maps, Uint8Array.from([0, 1, 0, 0]));
 * if (r.mass[0] !== 0.75 || r.hits[0] !== 1) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MapResult } from "../maps/map.ts";
import { upsampleMaps } from "../maps/map.ts";

/** Per-image localisation scores and their means. */
export interface Localisation {
  /** Positive relevance mass inside the mask, per image (NaN-free: 0 when the map has none). */
  mass: Float32Array;
  /** 1 when the map's maximum is inside the mask, per image. */
  hits: Uint8Array;
  /** Mean of `mass`. */
  meanMass: number;
  /** Fraction of hits. */
  pointing: number;
  /** Mean fraction of pixels inside the masks: the mass a uniform map would get. */
  chance: number;
}

/**
 * Scores maps against binary masks [N, H, W].
 *
 * @param maps raw maps (any resolution; upsampled bilinearly to the masks')
 * @param masks 1 inside the object, 0 outside, [N, H, W] row-major
 * @param size the masks' [H, W] (default: the maps' raw resolution)
 * @returns per-image scores and means
 * @throws {RangeError} when the mask count or size does not match the maps
 */
export async function localisation(
  maps: Pick<MapResult, "raw" | "rawShape">,
  masks: Uint8Array,
  size: [number, number] = [maps.rawShape[1], maps.rawShape[2]],
): Promise<Localisation> {
  const [n] = maps.rawShape;
  const [h, w] = size;
  if (masks.length !== n * h * w) {
    throw new RangeError(
      `Masks hold ${masks.length} pixels; ${n} maps at ${h}×${w} need ${n * h * w}`,
    );
  }
  const up = tf.tidy(() => {
    const raw = tf.tensor3d(maps.raw, maps.rawShape);
    return tf.relu(upsampleMaps(raw, size));
  });
  let values: Float32Array;
  try {
    values = await up.data() as Float32Array;
  } finally {
    up.dispose();
  }
  const mass = new Float32Array(n);
  const hits = new Uint8Array(n);
  let inside = 0;
  for (let i = 0; i < n; i++) {
    let total = 0;
    let within = 0;
    let best = -Infinity;
    let bestAt = 0;
    for (let p = i * h * w; p < (i + 1) * h * w; p++) {
      const v = values[p]!;
      total += v;
      if (masks[p]) {
        within += v;
        inside++;
      }
      if (v > best) {
        best = v;
        bestAt = p;
      }
    }
    mass[i] = total > 0 ? within / total : 0;
    hits[i] = best > 0 && masks[bestAt] ? 1 : 0;
  }
  return {
    mass,
    hits,
    meanMass: mass.reduce((a, b) => a + b, 0) / n,
    pointing: hits.reduce((a, b) => a + b, 0) / n,
    chance: inside / (n * h * w),
  };
}
