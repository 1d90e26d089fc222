/**
 * Shared helpers of the pruning tests: seeded random labelled image sets
 * (the probe tests' generator).
 *
 * @module
 */
export { randomSet as labelledSet } from "../probe/_helpers.ts";
