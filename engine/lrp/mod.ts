/**
 * Layer-wise relevance propagation: rules, composites, BatchNorm
 * canonisation and propagation over the executor's graph.
 *
 * @module
 */
export { lrp, type LrpOptions } from "./lrp.ts";
export {
  disposeRelevance,
  propagateRelevance,
  type RelevanceResult,
  type RuleOptions,
} from "./propagate.ts";
export { type Composite, COMPOSITES, getComposite } from "./composites.ts";
export { getRule, LRP_RULES, type LrpRule } from "./rules.ts";
export { canonize, disposeCanonical } from "./canonize.ts";
