/**
 * Data sets by name, for the command line and notebooks.
 *
 * @example
 * ```ts
 * import { DATASET_NAMES } from "./named.ts";
 * if (!(DATASET_NAMES.includes("mnist"))) throw new Error("example failed");
 * ```
 *
 * @module
 */
import type { ImageSet } from "./types.ts";
import { fashionMnist, mnist } from "./mnist.ts";
import { scenes } from "./scenes.ts";

/** Names {@link loadDataset} knows. */
export const DATASET_NAMES = ["mnist", "fashion-mnist", "scenes"] as const;

/** Options of {@link loadDataset}. */
export interface NamedDatasetOptions {
  /** "train" or "test". Default: "test". */
  split?: "train" | "test";
  /** At most this many images. Default: the whole split (scenes: 2,000). */
  limit?: number;
}

/**
 * Loads a data set by name: MNIST, Fashion-MNIST (Debian package), or the
 * synthetic concept scenes (test split = the one `models/scenes-cnn` was
 * tested on).
 *
 * @throws {TypeError} for an unknown name, listing the known ones
 */
export async function loadDataset(
  name: string,
  options: NamedDatasetOptions = {},
): Promise<ImageSet> {
  const split = options.split ?? "test";
  const limit = options.limit;
  switch (name) {
    case "mnist":
      return await mnist(limit === undefined ? { split } : { split, limit });
    case "fashion-mnist":
      return await fashionMnist(limit === undefined ? { split } : { split, limit });
    case "scenes": {
      // The same splits as models/scenes-cnn's recipe (engine/train/default_models.ts).
      const { SCENES_SPLITS } = await import("../train/default_models.ts");
      const s = SCENES_SPLITS[split];
      return scenes({ seed: s.seed, offset: s.offset, count: Math.min(limit ?? s.count, s.count) });
    }
    default:
      throw new TypeError(`Unknown data set "${name}"; known: ${DATASET_NAMES.join(", ")}`);
  }
}
