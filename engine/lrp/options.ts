/**
 * Reading LRP rule options from an untyped record (the `options` a CAM
 * method receives from the driver), with errors that name the bad value.
 *
 * @module
 */
import { getComposite } from "./composites.ts";
import type { RuleOptions } from "./propagate.ts";
import { getRule, type RuleSpec } from "./rules.ts";

const NUMBERS = ["epsilon", "gamma", "alpha", "beta", "stabilizer"] as const;

/**
 * The {@link RuleOptions} found in `options`, checked; other keys are ignored.
 *
 * @param options an untyped options record
 * @param where the method name, for error messages
 * @returns the rule options that were given
 * @throws {TypeError} for a value of the wrong type, an unknown composite or
 *   rule; {@link RangeError} for an unknown `start` or `maxPool`
 *
 * @example
 * ```ts
 * import { readRuleOptions } from "./options.ts";
 * const o = readRuleOptions({ composite: "epsilon", epsilon: 0.01 }, "relevanceCam");
 * if (o.composite !== "epsilon" || o.epsilon !== 0.01) throw new Error("unexpected");
 * ```
 */
export function readRuleOptions(
  options: Readonly<Record<string, unknown>>,
  where: string,
): RuleOptions {
  const out: RuleOptions = {};
  if (options.composite !== undefined) {
    const c = options.composite as Parameters<typeof getComposite>[0];
    getComposite(c);
    out.composite = c;
  }
  for (const key of NUMBERS) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(`${where} option ${key} is ${String(v)}; expected a finite number`);
    }
    out[key] = v;
  }
  if (options.bounds !== undefined) {
    const b = options.bounds;
    if (!Array.isArray(b) || b.length !== 2 || !b.every((v) => typeof v === "number")) {
      throw new TypeError(`${where} option bounds is ${String(b)}; expected [low, high]`);
    }
    out.bounds = [b[0] as number, b[1] as number];
  }
  if (options.rules !== undefined) {
    const r = options.rules;
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      throw new TypeError(`${where} option rules is ${String(r)}; expected { layer: rule }`);
    }
    for (const spec of Object.values(r)) getRule(spec as RuleSpec);
    out.rules = r as Record<string, RuleSpec>;
  }
  if (options.inputRule !== undefined) {
    getRule(options.inputRule as RuleSpec);
    out.inputRule = options.inputRule as RuleSpec;
  }
  if (options.start !== undefined) {
    if (options.start !== "score" && options.start !== "contrastive") {
      throw new RangeError(
        `${where} option start is ${String(options.start)}; expected "score" or "contrastive"`,
      );
    }
    out.start = options.start;
  }
  if (options.maxPool !== undefined) {
    if (options.maxPool !== "winner" && options.maxPool !== "average") {
      throw new RangeError(
        `${where} option maxPool is ${String(options.maxPool)}; expected "winner" or "average"`,
      );
    }
    out.maxPool = options.maxPool;
  }
  return out;
}
