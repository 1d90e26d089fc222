/**
 * Pruning: channel masks, rankings, pruning curves and their report
 * (METHODS.md §5, pruning experiment).
 *
 * @example
 * ```ts
 * import { PRUNING_RANKINGS } from "./mod.ts";
 * if (!("l1" in PRUNING_RANKINGS)) throw new Error("example failed");
 * ```
 *
 * @module
 */
export { checkRatio, prunedCount, pruningMask } from "./masks.ts";
export {
  orderByScore,
  PRUNING_RANKINGS,
  type PruningRanking,
  pruningRanking,
  type PruningRankingName,
  type RankingContext,
} from "./rankings.ts";
export {
  type PruningCurve,
  pruningCurves,
  type PruningOptions,
  type PruningReport,
  type RankingSpec,
} from "./curves.ts";
export {
  areaUnderCurve,
  comparePruning,
  formatPruning,
  type PruningComparison,
  type RankingArea,
} from "./report.ts";
