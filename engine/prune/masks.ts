/**
 * Channel masks for pruning: zero the first round(ratio·C) channels of a
 * ranking's order, keep the rest (multipliers for the executor's
 * `channelMask`).
 *
 * @example
 * ```ts
 * import { pruningMask } from "./masks.ts";
 * const m = pruningMask(Int32Array.from([2, 0, 1, 3]), 0.5);
 * if (m.join() !== "0,1,0,1") throw new Error("example failed");
 * ```
 *
 * @module
 */

/**
 * Checks a pruning ratio.
 *
 * @param ratio the fraction of channels to remove
 * @returns the ratio
 * @throws {RangeError} unless it is a number in [0, 1]
 *
 * @example
 * ```ts
 * import { checkRatio } from "./masks.ts";
 * let threw = false;
 * try { checkRatio(1.5); } catch (e) { threw = e instanceof RangeError; }
 * if (!(checkRatio(0.5) === 0.5 && threw)) throw new Error("example failed");
 * ```
 */
export function checkRatio(ratio: number): number {
  if (!(typeof ratio === "number" && ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`Pruning ratio ${ratio} is outside [0, 1]`);
  }
  return ratio;
}

/**
 * Channels removed at a ratio: round(ratio·C).
 *
 * @param units channels C
 * @param ratio in [0, 1]
 * @returns the count
 * @throws {RangeError} for a ratio outside [0, 1]
 *
 * @example
 * ```ts
 * import { prunedCount } from "./masks.ts";
 * if (!(prunedCount(32, 0.1) === 3 && prunedCount(7, 0.5) === 4)) throw new Error("example failed");
 * ```
 */
export function prunedCount(units: number, ratio: number): number {
  return Math.round(checkRatio(ratio) * units);
}

/**
 * The [C] mask that zeroes the first round(ratio·C) channels of `order`.
 *
 * @param order a permutation of 0..C−1, first pruned first
 * @param ratio in [0, 1]
 * @returns 0 for pruned channels, 1 for kept ones
 * @throws {RangeError} for a ratio outside [0, 1] or an index out of range
 *
 * @example
 * ```ts
 * import { pruningMask } from "./masks.ts";
 * if (pruningMask([1, 0, 2], 1 / 3).join() !== "1,0,1") throw new Error("example failed");
 * ```
 */
export function pruningMask(order: ArrayLike<number>, ratio: number): Float32Array {
  const c = order.length;
  const mask = new Float32Array(c).fill(1);
  const n = prunedCount(c, ratio);
  for (let i = 0; i < n; i++) {
    const u = order[i]!;
    if (!(Number.isInteger(u) && u >= 0 && u < c)) {
      throw new RangeError(`Unit ${u} in a pruning order of ${c} units is out of range`);
    }
    mask[u] = 0;
  }
  return mask;
}
