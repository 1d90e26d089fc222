/**
 * Conversions shared by the show adapters: engine results hold Float64Arrays
 * and number arrays; views take Float32Array/Int32Array (half the bytes on
 * the wire).
 *
 * @module
 */

/** A Float32Array copy of numbers. */
export function f32(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a as ArrayLike<number>);
}

/** An Int32Array copy of integers. */
export function i32(a: ArrayLike<number>): Int32Array {
  return Int32Array.from(a as ArrayLike<number>);
}

/** Throws a RangeError naming `what` when `a` has a non-finite value. */
export function finiteOrThrow(what: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) {
      throw new RangeError(`${what}[${i}] is ${a[i]}; expected a finite number`);
    }
  }
}
