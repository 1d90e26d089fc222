/**
 * LRP rules for linear layers (METHODS.md §3), each written with the
 * "gradient trick" of Montavon et al. 2019 ("Layer-Wise Relevance
 * Propagation: An Overview", §10.2.2): z = ρ(W)·a + ρ(b) (+ the
 * stabiliser), s = R / z, c = ∂(ρ(W)·a)ᵀs / ∂a, R_in = a ⊙ c. Because c is a
 * vector–Jacobian product ({@link linearBackward}), the same rule serves
 * Dense, Conv2D, DepthwiseConv2D and the halves of SeparableConv2D.
 *
 * | name        | R_j = Σ_k … R_k                                         | bias in z |
 * |-------------|----------------------------------------------------------|-----------|
 * | `zero`      | a_j w_jk / z_k (LRP-0)                                   | yes       |
 * | `epsilon`   | a_j w_jk / (z_k + ε·sign z_k), ε = 1e-6                  | yes       |
 * | `gamma`     | a_j (w_jk + γ w_jk⁺) / Σ_j a_j (w + γ w⁺), γ = 0.25       | b + γ b⁺  |
 * | `alphaBeta` | α (a_j w_jk)⁺/z_k⁺ − β (a_j w_jk)⁻/z_k⁻, α = 2, β = 1     | no        |
 * | `zPlus`     | (a_j w_jk)⁺ / Σ_j (a_j w_jk)⁺ (z⁺; = α1β0)                 | no        |
 * | `zB`        | (a_j w_jk − l_j w⁺ − h_j w⁻) / Σ_j (…), bounds [0, 1]     | no        |
 * | `flat`      | 1 / Σ_j 1 (over the inputs connected to k)               | no        |
 * | `wSquare`   | w_jk² / Σ_j w_jk²                                         | no        |
 *
 * Conventions: α–β follows the α − β = 1 convention (Samek et al. write the
 * same rule as α = 2, β = −1). z⁺ and α–β use the sign of each contribution
 * a_j w_jk (zennit's form), so they are also right for negative inputs.
 * γ applies ρ(w) = w + γw⁺, meant for non-negative inputs (after a ReLU).
 * Every rule but `zero` adds a sign-aware stabiliser (ε for `epsilon`,
 * `stabilizer` = 1e-6 for the others) to z; wherever z is still exactly 0,
 * s is 0 rather than NaN.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { getRule } from "./rules.ts";
 * const op = { kind: "dense" as const, kernel: tf.tensor2d([[1, -2], [3, 1]]), bias: null };
 * const a = tf.tensor2d([[2, 1]]);
 * const r = tf.tensor2d([[1, 2]]);
 * const rIn = getRule("zPlus").propagate(op, a, r);
 * const values = Array.from(await rIn.data(), (v) => Math.round(v * 1e4) / 1e4);
 * if (values.join() !== "0.4,2.6") throw new Error(`z+ gave ${values}`);
 * tf.dispose([op.kernel, a, r, rIn]);
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { linearBackward, linearForward, type LinearOp } from "./linear.ts";

/** What a rule may know about its input beyond the tensor. */
export interface RuleContext {
  /**
   * The input is known to be ≥ 0 (it comes out of a ReLU, a sigmoid, …), so
   * terms for negative inputs are all zero and can be skipped. Default: false.
   */
  nonNegative?: boolean;
}

/** An LRP rule for one linear map. */
export interface LrpRule {
  /** Name for reports, e.g. "epsilon". */
  readonly name: string;
  /** The parameters it was made with. */
  readonly params: Readonly<Partial<RuleParams>>;
  /**
   * Relevance at the input of `op`.
   *
   * @param op the linear map (folded weights where BatchNorm was folded)
   * @param a the input activation
   * @param r relevance at the output, shaped like op's output
   * @param context what is known about `a`
   * @returns relevance shaped like `a` (a new tensor)
   */
  propagate(op: LinearOp, a: tf.Tensor, r: tf.Tensor, context?: RuleContext): tf.Tensor;
}

/** Parameters of the rules, with the defaults of {@link RULE_DEFAULTS}. */
export interface RuleParams {
  /** ε of the ε rule (Samek et al. also use 0.01 and 100). Default: 1e-6. */
  epsilon: number;
  /** γ of the γ rule. Default: 0.25. */
  gamma: number;
  /** α of the α–β rule. Default: 2. */
  alpha: number;
  /** β of the α–β rule (α − β = 1 convention). Default: 1. */
  beta: number;
  /** Lowest pixel value l of the z^B rule. Default: 0. */
  low: number;
  /** Highest pixel value h of the z^B rule. Default: 1. */
  high: number;
  /** Stabiliser added (with z's sign) to z by the rules other than ε and LRP-0. Default: 1e-6. */
  stabilizer: number;
}

/** Default rule parameters (METHODS.md §3). */
export const RULE_DEFAULTS: Readonly<RuleParams> = Object.freeze({
  epsilon: 1e-6,
  gamma: 0.25,
  alpha: 2,
  beta: 1,
  low: 0,
  high: 1,
  stabilizer: 1e-6,
});

/** Options of {@link stabilizedDivide}. */
export interface DivideOptions {
  /** The stabiliser ε ≥ 0 added with the sign of z. Default: 0. */
  epsilon?: number;
}

/**
 * s = R / (z + ε·sign z) (the LRP-ε denominator, Montavon et al. 2019 §10.2.1), with
 * sign(0) = +1, and s = 0 wherever the denominator is still exactly 0
 * (LRP-0), never NaN. Used by the rules and by the ε-stabilised splits of
 * pooling and merge layers.
 *
 * @param r relevance
 * @param z the values it is divided by (same shape)
 * @param options the stabiliser (see {@link DivideOptions})
 * @returns a new tensor
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { stabilizedDivide } from "./rules.ts";
 * const r = tf.tensor1d([1, 1, 1]);
 * const z = tf.tensor1d([0, -2, 2]);
 * const s = stabilizedDivide(r, z); // ε = 0: [0, −0.5, 0.5]
 * if ((await s.data()).join() !== "0,-0.5,0.5") throw new Error("unexpected");
 * tf.dispose([r, z, s]);
 * ```
 */
export function stabilizedDivide(
  r: tf.Tensor,
  z: tf.Tensor,
  options: DivideOptions = {},
): tf.Tensor {
  return divide(r, z, options.epsilon ?? 0);
}

function divide(r: tf.Tensor, z: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    if (eps > 0) {
      // |z + ε·sign z| ≥ ε with sign(0) = +1: no zero test is needed.
      // step(−z, −1) is −1 where z ≥ 0 and +1 where z < 0, so z − ε·step(−z, −1)
      // is z + ε·sign z exactly (ε·(±1) and z ∓ ε are exact). On WASM this
      // costs a fifth of sign(sign(z) + ½) (whose Sign kernel took 30 ms on
      // a 32×64×64×16 input layer) and half of `where`.
      return tf.div(r, tf.sub(z, tf.mul(tf.step(tf.neg(z), -1), eps)));
    }
    const zero = tf.equal(z, 0);
    return tf.where(zero, tf.zerosLike(r), tf.div(r, tf.where(zero, tf.onesLike(z), z)));
  });
}

/** z = f(x; W) + b with explicit weights (null bias: none). */
const fwd = (op: LinearOp, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null) =>
  linearForward(op, x, { kernel, bias });
/** c = ∂(f(x; W)ᵀ s)/∂x with explicit weights. */
const back = (op: LinearOp, s: tf.Tensor, inputShape: readonly number[], kernel: tf.Tensor) =>
  linearBackward(op, s, { inputShape, kernel });

const pos = (t: tf.Tensor) => tf.relu(t);
const neg = (t: tf.Tensor) => tf.minimum(t, 0);

/** R = a ⊙ ρ(W)ᵀ (R / (ρ(W)a + ρ(b) ± ε)): LRP-0, ε and γ. */
function basicRule(
  op: LinearOp,
  a: tf.Tensor,
  r: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  eps: number,
): tf.Tensor {
  const s = divide(r, fwd(op, a, kernel, bias), eps);
  return tf.mul(a, back(op, s, a.shape, kernel));
}

/**
 * The positive (`sign` 1) or negative (`sign` −1) contributions (a_j w_jk)^±:
 * z^± = W^± a⁺ + W^∓ a⁻, and the relevance R ⊙ their share.
 */
function signedPart(
  op: LinearOp,
  a: tf.Tensor,
  r: tf.Tensor,
  sign: 1 | -1,
  eps: number,
  nonNegative: boolean,
): tf.Tensor {
  const wSame = sign === 1 ? pos(op.kernel) : neg(op.kernel);
  const wOther = sign === 1 ? neg(op.kernel) : pos(op.kernel);
  // z^+ ≥ 0 and z^- ≤ 0 by construction, so the stabiliser's sign is known:
  // one add instead of a sign test over the whole activation.
  const share = (z: tf.Tensor) => eps > 0 ? tf.div(r, tf.add(z, sign * eps)) : divide(r, z, 0);
  if (nonNegative) {
    const s = share(fwd(op, a, wSame, null));
    return tf.mul(a, back(op, s, a.shape, wSame));
  }
  const ap = pos(a);
  const an = neg(a);
  const s = share(tf.add(fwd(op, ap, wSame, null), fwd(op, an, wOther, null)));
  return tf.add(
    tf.mul(ap, back(op, s, a.shape, wSame)),
    tf.mul(an, back(op, s, a.shape, wOther)),
  );
}

/**
 * LRP-0 (Bach et al. 2015; Montavon et al. 2019 §10.2.1):
 * R_j = Σ_k a_j w_jk / z_k R_k, no stabiliser.
 *
 * @returns the rule
 *
 * @example
 * ```ts
 * import { zeroRule } from "./rules.ts";
 * if (zeroRule().name !== "zero") throw new Error("unexpected name");
 * ```
 */
export function zeroRule(): LrpRule {
  return {
    name: "zero",
    params: {},
    propagate: (op, a, r) => tf.tidy(() => basicRule(op, a, r, op.kernel, op.bias, 0)),
  };
}

/**
 * LRP-ε (Bach et al. 2015; Montavon et al. 2019 §10.2.1): z_k + ε·sign(z_k).
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { epsilonRule } from "./rules.ts";
 * const rule = epsilonRule({ epsilon: 0.01 });
 * if (rule.params.epsilon !== 0.01) throw new Error("unexpected parameters");
 * ```
 */
export function epsilonRule(params: Partial<Pick<RuleParams, "epsilon">> = {}): LrpRule {
  const epsilon = checkParam("epsilon", params.epsilon ?? RULE_DEFAULTS.epsilon, 0);
  return {
    name: "epsilon",
    params: { epsilon },
    propagate: (op, a, r) => tf.tidy(() => basicRule(op, a, r, op.kernel, op.bias, epsilon)),
  };
}

/**
 * LRP-γ (Montavon et al. 2019 §10.2.1): ρ(w) = w + γw⁺, ρ(b) = b + γb⁺.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { gammaRule } from "./rules.ts";
 * const rule = gammaRule();
 * if (rule.params.gamma !== 0.25) throw new Error("unexpected parameters");
 * ```
 */
export function gammaRule(
  params: Partial<Pick<RuleParams, "gamma" | "stabilizer">> = {},
): LrpRule {
  const gamma = checkParam("gamma", params.gamma ?? RULE_DEFAULTS.gamma, 0);
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return {
    name: "gamma",
    params: { gamma, stabilizer },
    propagate: (op, a, r) =>
      tf.tidy(() => {
        const w = tf.add(op.kernel, tf.mul(pos(op.kernel), gamma));
        const b = op.bias ? tf.add(op.bias, tf.mul(pos(op.bias), gamma)) : null;
        return basicRule(op, a, r, w, b, stabilizer);
      }),
  };
}

/**
 * LRP-αβ (Bach et al. 2015, the αβ rule): α times the
 * share of the positive contributions minus β times that of the negative.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { alphaBetaRule } from "./rules.ts";
 * const rule = alphaBetaRule({ alpha: 1, beta: 0 }) // the same as z⁺;
 * if (rule.params.alpha !== 1 || rule.params.beta !== 0) throw new Error("unexpected parameters");
 * ```
 */
export function alphaBetaRule(
  params: Partial<Pick<RuleParams, "alpha" | "beta" | "stabilizer">> = {},
): LrpRule {
  const alpha = checkParam("alpha", params.alpha ?? RULE_DEFAULTS.alpha, 0);
  const beta = checkParam("beta", params.beta ?? RULE_DEFAULTS.beta, 0);
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return {
    name: "alphaBeta",
    params: { alpha, beta, stabilizer },
    propagate: (op, a, r, context = {}) =>
      tf.tidy(() => {
        const nonNeg = context.nonNegative ?? false;
        const plus = signedPart(op, a, r, 1, stabilizer, nonNeg);
        const scaled = alpha === 1 ? plus : tf.mul(plus, alpha);
        if (beta === 0) return scaled;
        return tf.sub(scaled, tf.mul(signedPart(op, a, r, -1, stabilizer, nonNeg), beta));
      }),
  };
}

/**
 * z⁺ (Montavon et al. 2017, "Explaining nonlinear classification decisions
 * with deep Taylor decomposition", the z⁺-rule): positive contributions only.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { zPlusRule } from "./rules.ts";
 * const rule = zPlusRule();
 * if (rule.params.stabilizer !== 1e-6) throw new Error("unexpected parameters");
 * ```
 */
export function zPlusRule(params: Partial<Pick<RuleParams, "stabilizer">> = {}): LrpRule {
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return {
    name: "zPlus",
    params: { stabilizer },
    propagate: (op, a, r, context = {}) =>
      tf.tidy(() => signedPart(op, a, r, 1, stabilizer, context.nonNegative ?? false)),
  };
}

/**
 * z^B (Montavon et al. 2017, the z^B-rule; Overview §10.3) for the input
 * layer with pixel bounds l ≤ x ≤ h: z = W x − W⁺ l − W⁻ h.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { zBRule } from "./rules.ts";
 * const rule = zBRule({ low: -1, high: 1 });
 * if (rule.params.low !== -1 || rule.params.high !== 1) throw new Error("unexpected parameters");
 * ```
 */
export function zBRule(
  params: Partial<Pick<RuleParams, "low" | "high" | "stabilizer">> = {},
): LrpRule {
  const low = checkParam("low", params.low ?? RULE_DEFAULTS.low, -Infinity);
  const high = checkParam("high", params.high ?? RULE_DEFAULTS.high, -Infinity);
  if (!(low < high)) {
    throw new RangeError(`zB rule bounds [${low}, ${high}]: expected low < high`);
  }
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return {
    name: "zB",
    params: { low, high, stabilizer },
    propagate: (op, a, r) =>
      tf.tidy(() => {
        // A bound of 0 contributes nothing (e.g. low = 0 for pixels in
        // [0, 1]): its forward and backward pass are skipped. A bound is the
        // same image for every row, so it is one row, broadcast: its forward
        // pass runs on one image instead of the whole batch.
        const one = [1, ...a.shape.slice(1)];
        const terms: { bound: tf.Tensor; kernel: tf.Tensor }[] = [];
        if (low !== 0) terms.push({ bound: tf.fill(one, low), kernel: pos(op.kernel) });
        if (high !== 0) terms.push({ bound: tf.fill(one, high), kernel: neg(op.kernel) });
        let z = fwd(op, a, op.kernel, null);
        for (const t of terms) z = tf.sub(z, fwd(op, t.bound, t.kernel, null));
        const s = divide(r, z, stabilizer);
        let rIn = tf.mul(a, back(op, s, a.shape, op.kernel));
        for (const t of terms) rIn = tf.sub(rIn, tf.mul(t.bound, back(op, s, a.shape, t.kernel)));
        return rIn;
      }),
  };
}

/** Relevance spread by fixed weights f(W), independent of the input (flat, w²). */
function inputFree(name: string, f: (w: tf.Tensor) => tf.Tensor, stabilizer: number): LrpRule {
  return {
    name,
    params: { stabilizer },
    propagate: (op, a, r) =>
      tf.tidy(() => {
        const w = f(op.kernel);
        const z = fwd(op, tf.onesLike(a), w, null);
        return back(op, divide(r, z, stabilizer), a.shape, w);
      }),
  };
}

/**
 * Flat rule (Lapuschkin et al. 2019, "Unmasking Clever Hans predictors"):
 * uniform over the connected inputs.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { flatRule } from "./rules.ts";
 * const rule = flatRule();
 * if (rule.name !== "flat") throw new Error("unexpected parameters");
 * ```
 */
export function flatRule(params: Partial<Pick<RuleParams, "stabilizer">> = {}): LrpRule {
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return inputFree("flat", (w) => tf.onesLike(w), stabilizer);
}

/**
 * w² rule (Montavon et al. 2017, the w²-rule): in proportion to the squared weights.
 *
 * @param params {@link RuleParams} fields of this rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 *
 * @example
 * ```ts
 * import { wSquareRule } from "./rules.ts";
 * const rule = wSquareRule();
 * if (rule.name !== "wSquare") throw new Error("unexpected parameters");
 * ```
 */
export function wSquareRule(params: Partial<Pick<RuleParams, "stabilizer">> = {}): LrpRule {
  const stabilizer = checkParam("stabilizer", params.stabilizer ?? RULE_DEFAULTS.stabilizer, 0);
  return inputFree("wSquare", (w) => tf.square(w), stabilizer);
}

/** Every rule by name, each a factory taking {@link RuleParams} (missing ones default). */
export const LRP_RULES = {
  zero: (_p: Partial<RuleParams> = {}) => zeroRule(),
  epsilon: (p: Partial<RuleParams> = {}) => epsilonRule(p),
  gamma: (p: Partial<RuleParams> = {}) => gammaRule(p),
  alphaBeta: (p: Partial<RuleParams> = {}) => alphaBetaRule(p),
  zPlus: (p: Partial<RuleParams> = {}) => zPlusRule(p),
  zB: (p: Partial<RuleParams> = {}) => zBRule(p),
  flat: (p: Partial<RuleParams> = {}) => flatRule(p),
  wSquare: (p: Partial<RuleParams> = {}) => wSquareRule(p),
} as const satisfies Record<string, (p?: Partial<RuleParams>) => LrpRule>;

/** A name of {@link LRP_RULES}. */
export type RuleName = keyof typeof LRP_RULES;

/** A rule given by name (made with the current parameters) or as a rule object. */
export type RuleSpec = RuleName | LrpRule;

/**
 * Looks a rule up by name, or passes a rule object through.
 *
 * @param spec a key of {@link LRP_RULES} or an {@link LrpRule}
 * @param params parameters for a named rule; missing ones take {@link RULE_DEFAULTS}
 * @returns the rule
 * @throws {TypeError} for an unknown name, listing the known ones;
 *   {@link RangeError} for an invalid parameter
 *
 * @example
 * ```ts
 * import { getRule } from "./rules.ts";
 * if (getRule("epsilon", { epsilon: 0.25 }).params.epsilon !== 0.25) throw new Error("params");
 * let message = "";
 * try {
 *   getRule("eps" as "epsilon");
 * } catch (e) {
 *   message = (e as Error).message; // lists the known rules
 * }
 * if (!message.includes("epsilon")) throw new Error("no TypeError listing the rules");
 * ```
 */
export function getRule(spec: RuleSpec, params: Partial<RuleParams> = {}): LrpRule {
  if (typeof spec === "object" && spec !== null && typeof spec.propagate === "function") {
    return spec;
  }
  if (typeof spec !== "string" || !Object.hasOwn(LRP_RULES, spec)) {
    throw new TypeError(
      `Unknown LRP rule ${JSON.stringify(spec)}; known rules: ${Object.keys(LRP_RULES).join(", ")}`,
    );
  }
  return LRP_RULES[spec](params);
}

function checkParam(name: string, value: number, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(
      `LRP rule parameter ${name} is ${value}; expected a finite number${
        min > -Infinity ? ` ≥ ${min}` : ""
      }`,
    );
  }
  return value;
}
