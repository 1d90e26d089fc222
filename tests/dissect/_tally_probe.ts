import type { ConceptSet } from "../../engine/data/types.ts";
import { createRng } from "../../engine/random.ts";

/** The random probe that the tally tests share: 3 images of 8×8. */
export const N = 3, H = 8, W = 8, PX = H * W;

/** Two counted categories ("a", "b") and one the tests leave out ("c"). */
export const CONCEPTS = [
  { id: 0, name: "a0", category: "a" },
  { id: 1, name: "a1", category: "a" },
  { id: 2, name: "b0", category: "b" },
  { id: 3, name: "b1", category: "b" },
  { id: 4, name: "c0", category: "c" },
];

/**
 * Random label maps for a seed. Image 1 has no "a" annotation at all (its
 * category area must not count there); "b" has a second layer ("b#1") that
 * often repeats the first one's concept (counted once) and sometimes adds
 * another; "c" covers everything and must never appear in a count of a, b.
 */
export function tallyProbe(seed: number, name: string): ConceptSet {
  const rng = createRng(seed);
  const a = new Int16Array(N * PX), b = new Int16Array(N * PX), b1 = new Int16Array(N * PX);
  const c = new Int16Array(N * PX).fill(4);
  for (let p = 0; p < N * PX; p++) {
    a[p] = Math.floor(p / PX) === 1 ? -1 : rng.int(3) - 1;
    b[p] = rng.next() < 0.5 ? -1 : 2 + rng.int(2);
    b1[p] = rng.next() < 0.5 ? b[p]! : rng.next() < 0.5 ? -1 : 2 + rng.int(2);
  }
  return {
    name,
    images: new Float32Array(N * PX),
    shape: [N, H, W, 1],
    labels: new Int32Array(N),
    classNames: ["x"],
    concepts: CONCEPTS,
    labelMaps: { a, b, "b#1": b1, c },
  };
}
