/**
 * LRP composites: which rule each layer gets (Montavon et al. 2019,
 * "Layer-Wise Relevance Propagation: An Overview", §10.3;
 * zennit's presets). A composite assigns one rule to convolutions, one to
 * dense layers and optionally one to the linear layers that read the pixels;
 * users override any layer by name.
 *
 * | preset             | input layers | conv   | dense   |
 * |--------------------|--------------|--------|---------|
 * | `epsilon`          | (as conv)    | ε      | ε       |
 * | `zPlus`            | (as conv)    | z⁺     | z⁺      |
 * | `epsilonPlus`      | z^B          | z⁺     | ε       |
 * | `epsilonAlphaBeta` | z^B          | α2β1   | ε       |
 * | `epsilonGamma`     | z^B          | γ      | ε       |
 * | `epsilonPlusFlat`  | flat         | z⁺     | ε       |
 *
 * The input layer gets z^B only in the presets that ask for it (bounds from
 * the `low`/`high` rule parameters, default [0, 1]) or when `inputRule: "zB"`
 * is given. BatchNorms that could not be folded (see `canonize`) get the ε
 * rule unless `rules` names them.
 *
 * @example
 * ```ts
 * import { getComposite } from "./composites.ts";
 * if (getComposite("epsilonPlus").conv !== "zPlus") throw new Error("unexpected preset");
 * ```
 *
 * @module
 */
import type { Step } from "../net/graph.ts";
import { getLayer, type Net } from "../net/net.ts";
import type { Canonical } from "./canonize.ts";
import { getRule, type LrpRule, type RuleParams, type RuleSpec } from "./rules.ts";

/** Rules by layer kind. */
export interface Composite {
  /** Name for reports (`lrp-<name>`). */
  name: string;
  /** Rule of Conv2D, DepthwiseConv2D and SeparableConv2D layers. */
  conv: RuleSpec;
  /** Rule of Dense layers. */
  dense: RuleSpec;
  /** Rule of the linear layers that read the input. Default: their kind's rule. */
  input?: RuleSpec;
}

/** The preset composites of the table above. */
export const COMPOSITES = {
  epsilon: { name: "epsilon", conv: "epsilon", dense: "epsilon" },
  zPlus: { name: "zPlus", conv: "zPlus", dense: "zPlus" },
  epsilonPlus: { name: "epsilonPlus", conv: "zPlus", dense: "epsilon", input: "zB" },
  epsilonAlphaBeta: {
    name: "epsilonAlphaBeta",
    conv: "alphaBeta",
    dense: "epsilon",
    input: "zB",
  },
  epsilonGamma: { name: "epsilonGamma", conv: "gamma", dense: "epsilon", input: "zB" },
  epsilonPlusFlat: { name: "epsilonPlusFlat", conv: "zPlus", dense: "epsilon", input: "flat" },
} as const satisfies Record<string, Composite>;

/** A name of {@link COMPOSITES}. */
export type CompositeName = keyof typeof COMPOSITES;

/** A composite by name or as an object. */
export type CompositeSpec = CompositeName | Composite;

/**
 * Looks a composite up by name, or passes an object through.
 *
 * @param spec a key of {@link COMPOSITES} or a {@link Composite}
 * @returns the composite
 * @throws {TypeError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { getComposite } from "./composites.ts";
 * if (getComposite("epsilonGamma").conv !== "gamma") throw new Error("unexpected preset");
 * const mine = getComposite({ name: "mine", conv: "zPlus", dense: "epsilon", input: "zB" });
 * if (mine.name !== "mine") throw new Error("objects pass through");
 * ```
 */
export function getComposite(spec: CompositeSpec): Composite {
  if (typeof spec === "object" && spec !== null) return spec;
  if (typeof spec !== "string" || !Object.hasOwn(COMPOSITES, spec)) {
    throw new TypeError(
      `Unknown LRP composite ${JSON.stringify(spec)}; known composites: ${
        Object.keys(COMPOSITES).join(", ")
      }`,
    );
  }
  return COMPOSITES[spec];
}

/** Options of {@link assignRules}. */
export interface AssignOptions {
  /** The preset name or composite object. Default: "epsilon". */
  composite?: CompositeSpec;
  /** Rules for named layers, overriding the composite. Default: none. */
  rules?: Readonly<Record<string, RuleSpec>>;
  /** Rule of the layers that read the input, overriding the composite's. Default: the composite's. */
  inputRule?: RuleSpec;
  /** Parameters of rules given by name. Default: {@link RULE_DEFAULTS}. */
  params?: Partial<RuleParams>;
}

/** Classes that change neither values nor meaning between the input and a first layer. */
const TRANSPARENT = new Set([
  "Flatten",
  "Reshape",
  "Permute",
  "ZeroPadding2D",
  "Cropping2D",
  "Dropout",
  "SpatialDropout2D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "NestedModel",
]);

/**
 * The rules of every linear map of the canonical net: one per op
 * (SeparableConv2D has two; z^B, which needs pixel bounds, applies only to
 * the op that reads the pixels).
 *
 * (Montavon et al. 2019 §10.3: which rule for which layer.)
 *
 * @param net the network
 * @param canonical from `canonize`
 * @param options the composite, overrides and parameters (see {@link AssignOptions})
 * @returns step name → one rule per op of `canonical.linear`
 * @throws {RangeError} for a `rules` key that is not a layer;
 *   {@link TypeError} for one that is not a linear layer, or an unknown rule
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { canonize, disposeCanonical } from "./canonize.ts";
 * import { assignRules } from "./composites.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2, name: "out" }),
 * ] }));
 * const c = canonize(net);
 * const rules = assignRules(net, c, { composite: "epsilonPlus", rules: { out: "zero" } });
 * const names = [...rules].map(([layer, r]) => `${layer}:${r[0]!.name}`).join();
 * if (names !== "conv:zB,out:zero") throw new Error(names);
 * disposeCanonical(c);
 * net.model.dispose();
 * ```
 */
export function assignRules(
  net: Net,
  canonical: Canonical,
  options: AssignOptions = {},
): Map<string, LrpRule[]> {
  const comp = getComposite(options.composite ?? "epsilon");
  const params = options.params ?? {};
  const overrides = options.rules ?? {};
  for (const name of Object.keys(overrides)) {
    const layer = getLayer(net, name);
    const isLinear = canonical.linear.has(name) || layer.className === "BatchNormalization";
    if (!isLinear) {
      throw new TypeError(
        `LRP rules apply to Dense, convolution and BatchNormalization layers; layer "${name}" ` +
          `is a ${layer.className}`,
      );
    }
    if (canonical.folded.has(name)) {
      throw new TypeError(
        `BatchNormalization "${name}" is folded into "${
          canonical.folded.get(name)
        }"; give the rule to that layer`,
      );
    }
  }
  const inputSpec = options.inputRule ?? comp.input;
  const readsInput = inputReaders(net);
  const make = (spec: RuleSpec) => getRule(spec, params);
  const out = new Map<string, LrpRule[]>();
  for (const [name, ops] of canonical.linear) {
    const step = net.graph.byName.get(name)!;
    const kindSpec: RuleSpec = canonical.elementwise.has(name)
      ? "epsilon"
      : step.className === "Dense"
      ? comp.dense
      : comp.conv;
    const first = overrides[name] ?? (readsInput.has(name) && inputSpec ? inputSpec : kindSpec);
    const firstRule = make(first);
    const rest = firstRule.name === "zB" ? make(kindSpec) : firstRule;
    out.set(name, ops.map((_, i) => (i === 0 ? firstRule : rest)));
  }
  return out;
}

/** Steps whose input is the network input, possibly through shape-only steps. */
function inputReaders(net: Net): Set<string> {
  const pixelSlots = new Set(net.graph.inputSlots);
  const found = new Set<string>();
  for (const step of net.graph.steps as readonly Step[]) {
    if (!step.inputs.some((s) => pixelSlots.has(s))) continue;
    if (TRANSPARENT.has(step.className)) {
      for (const s of step.outputs) pixelSlots.add(s);
    } else {
      found.add(step.name);
    }
  }
  return found;
}
