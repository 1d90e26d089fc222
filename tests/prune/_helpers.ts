/**
 * Shared helpers of the pruning tests: seeded random labelled image sets.
 *
 * @module
 */
import { tf } from "../../engine/deps.ts";
import type { ImageSet } from "../../engine/data/types.ts";

/** n seeded uniform images of `shape`, labels i mod `classes`. */
export async function labelledSet(
  n: number,
  shape: [number, number, number],
  seed: number,
  classes = 3,
): Promise<ImageSet> {
  const t = tf.randomUniform([n, ...shape], 0, 1, "float32", seed);
  const images = Float32Array.from(await t.data());
  t.dispose();
  return {
    name: "random",
    images,
    shape: [n, ...shape],
    labels: Int32Array.from({ length: n }, (_, i) => i % classes),
    classNames: Array.from({ length: classes }, (_, i) => `c${i}`),
  };
}
