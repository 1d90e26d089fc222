/**
 * Validation of view states: each view checks its state once, up front, and
 * throws a `TypeError`/`RangeError` naming the bad field and what was
 * expected, instead of drawing an empty or wrong plot.
 *
 * @module
 */

/** Throws unless `v` is a string. */
export function checkString(view: string, name: string, v: unknown): string {
  if (typeof v !== "string") {
    throw new TypeError(`${view}: state.${name} must be a string, got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is an array of strings. */
export function checkStrings(view: string, name: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new TypeError(`${view}: state.${name} must be an array of strings, got ${describe(v)}`);
  }
  return v as string[];
}

/** Throws unless `v` is a finite number (or undefined when optional). */
export function checkNumber(view: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(`${view}: state.${name} must be a finite number, got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is a typed array (or plain number array) of length `n` when given. */
export function checkArray(
  view: string,
  name: string,
  v: unknown,
  n?: number,
): ArrayLike<number> {
  const ok = (ArrayBuffer.isView(v) && !(v instanceof DataView)) ||
    (Array.isArray(v) && v.every((x) => typeof x === "number"));
  if (!ok) {
    throw new TypeError(`${view}: state.${name} must be a numeric array, got ${describe(v)}`);
  }
  const a = v as ArrayLike<number>;
  if (n !== undefined && a.length !== n) {
    throw new RangeError(`${view}: state.${name} has length ${a.length}, expected ${n}`);
  }
  return a;
}

/** Throws unless every value is finite. */
export function checkFinite(view: string, name: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) {
      throw new RangeError(`${view}: state.${name}[${i}] is ${a[i]}; expected a finite number`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : typeof v;
}
