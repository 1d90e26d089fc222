/**
 * Probe data for network dissection: an in-memory {@linkcode ConceptSet} or a
 * source that produces it in shards, so that a large probe set (8,000 scenes)
 * never has to be held in memory at once.
 *
 * @module
 */
import type { Concept, ConceptSet } from "../data/types.ts";
import { type SceneOptions, scenes } from "../data/scenes.ts";

/** A probe set read in shards [start, end): each call returns those images as a ConceptSet. */
export interface ConceptSource {
  /** Name for reports. */
  name: string;
  /** Number of images. */
  count: number;
  /** The vocabulary; label maps hold ids into it. */
  concepts: Concept[];
  /** Images start … end − 1 (end ≤ count). */
  load(start: number, end: number): ConceptSet | Promise<ConceptSet>;
}

/** What {@link dissect} accepts as probe data. */
export type ProbeData = ConceptSet | ConceptSource;

/**
 * The category a label-map key belongs to: keys `cat`, `cat#1`, `cat#2` … are
 * several (possibly overlapping) label layers of category `cat` (the Broden
 * reader writes them for images with several masks of one category).
 *
 * @param key a key of `labelMaps`
 * @returns the category name
 * @example
 * ```ts
 * import { categoryOfKey } from "./probe.ts";
 * if (categoryOfKey("object#2") !== "object") throw new Error("bad key");
 * ```
 */
export function categoryOfKey(key: string): string {
  const at = key.indexOf("#");
  return at < 0 ? key : key.slice(0, at);
}

/**
 * Synthetic concept scenes as a shard source: scene i depends only on
 * (seed, i), so shards reproduce `scenes({count, ...})` exactly.
 *
 * @param options the options of `scenes`; `count` is the total
 * @returns a {@link ConceptSource}
 * @example
 * ```ts
 * import { sceneSource } from "./probe.ts";
 * const src = sceneSource({ count: 10, size: 16, seed: 3 });
 * const part = await src.load(4, 6);
 * if (part.shape[0] !== 2) throw new Error("bad shard");
 * ```
 */
export function sceneSource(options: SceneOptions): ConceptSource {
  const first = scenes({ ...options, count: 1 });
  return {
    name: first.name,
    count: options.count,
    concepts: first.concepts,
    load: (start, end) =>
      scenes({ ...options, count: end - start, offset: (options.offset ?? 0) + start }),
  };
}

/**
 * Views a ConceptSet as a source (shards are subarray views, no copies).
 *
 * @param set the probe set
 * @returns a {@link ConceptSource} over it
 * @throws {RangeError} when a label map's length is not N·H·W
 * @example
 * ```ts
 * import { scenes } from "../data/scenes.ts";
 * import { asSource } from "./probe.ts";
 * const src = asSource(scenes({ count: 3, size: 8 }));
 * if ((await src.load(1, 3)).labelMaps.color?.length !== 2 * 64) throw new Error("bad view");
 * ```
 */
export function asSource(set: ConceptSet): ConceptSource {
  const [n, h, w, c] = set.shape;
  checkLabelMaps(set);
  return {
    name: set.name,
    count: n,
    concepts: set.concepts,
    load(start, end) {
      const maps: Record<string, Int16Array> = {};
      for (const [k, m] of Object.entries(set.labelMaps)) {
        maps[k] = (m as Int16Array).subarray(start * h * w, end * h * w);
      }
      return {
        ...set,
        images: set.images.subarray(start * h * w * c, end * h * w * c),
        shape: [end - start, h, w, c],
        labels: set.labels.subarray(start, end),
        labelMaps: maps,
      };
    },
  };
}

/**
 * Checks that every label map is [N, H, W] of the images and holds only
 * ids of the vocabulary or −1.
 *
 * @param set the probe set (or shard)
 * @param options `counts`: per concept id, incremented by the pixels that
 *   carry it in any map (one pass for checking and counting; default none)
 * @throws {RangeError} naming the map and the expected length or the bad id
 * @example
 * ```ts
 * import { scenes } from "../data/scenes.ts";
 * import { checkLabelMaps } from "./probe.ts";
 * checkLabelMaps(scenes({ count: 1, size: 8 }));
 * ```
 */
export function checkLabelMaps(
  set: ConceptSet,
  options: { counts?: Float64Array } = {},
): void {
  const [n, h, w] = set.shape;
  const entries = Object.entries(set.labelMaps) as [string, Int16Array][];
  if (entries.length === 0) throw new RangeError(`probe set ${set.name} has no label maps`);
  for (const [key, map] of entries) {
    if (!(map instanceof Int16Array) || map.length !== n * h * w) {
      throw new RangeError(
        `label map "${key}" of ${set.name} has ${map?.length} values, expected N·H·W = ` +
          `${n}·${h}·${w} = ${n * h * w} (masks must have the images' size [${h}, ${w}])`,
      );
    }
  }
  const nConcepts = set.concepts.length;
  const counts = options.counts ?? null;
  if (counts && counts.length < nConcepts) {
    throw new RangeError(
      `counts has ${counts.length} entries, expected ${nConcepts} (one per concept)`,
    );
  }
  for (const [key, map] of entries) {
    for (let p = 0; p < map.length; p++) {
      const id = map[p]!;
      if (id >= 0 && id < nConcepts) {
        if (counts) counts[id]!++;
        continue;
      }
      if (id !== -1) {
        throw new RangeError(
          `label map "${key}" of ${set.name} holds id ${id} at pixel ${p}, expected −1 or an id ` +
            `of the ${nConcepts} concepts`,
        );
      }
    }
  }
}
