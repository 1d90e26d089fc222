/**
 * A small seeded pseudo-random number generator shared by the whole project.
 *
 * Every random choice in neurolens (shuffles, noise, baselines, synthetic
 * scenes, random rotations) takes a seed, and the same seed must give the same
 * numbers on every machine and backend. `Math.random` cannot be seeded, so this
 * module provides sfc32 (Chris Doty-Humphrey's "small fast counting" generator,
 * from PractRand; 128-bit state, passes BigCrush) seeded through splitmix32,
 * with Box–Muller for normal variates.
 *
 * @example
 * ```ts
 * import { createRng } from "./random.ts";
 * const a = createRng(42), b = createRng(42);
 * if (a.next() !== b.next()) throw new Error("not deterministic");
 * ```
 *
 * @module
 */

/** A seeded random number generator; see {@linkcode createRng}. */
export interface Rng {
  /** A uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** A uniform unsigned 32-bit integer in [0, 2^32). */
  uint32(): number;
  /** A standard normal variate N(0, 1) (Box–Muller, both values of a pair used). */
  normal(): number;
  /** A uniform integer in [0, n); throws a RangeError unless n is a positive integer ≤ 2^32. */
  int(n: number): number;
  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[];
}

/** Multiplier used to map a uint32 to [0, 1). */
const TWO_POW_M32 = 2 ** -32;

/**
 * Mixes a 32-bit value to a well-distributed 32-bit value (splitmix32 finaliser).
 *
 * Used to expand a seed into sfc32's state, and by callers who need a seed per
 * item (e.g. scene `i` of a data set) that does not depend on the other items.
 *
 * @param x Any number; only its low 32 bits are used.
 * @returns An unsigned 32-bit integer.
 * @example
 * ```ts
 * import { mix32 } from "./random.ts";
 * if (mix32(1) === mix32(2)) throw new Error("collision");
 * ```
 */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Combines a seed and an index into one 32-bit seed (for per-item generators).
 *
 * `createRng(subSeed(seed, i))` lets item `i` be generated without generating
 * items `0 … i-1` first, so data sets can be produced in any order or in shards.
 *
 * @param seed The parent seed (any finite number).
 * @param index A non-negative integer index.
 * @returns An unsigned 32-bit integer seed.
 * @example
 * ```ts
 * import { subSeed } from "./random.ts";
 * if (subSeed(0, 1) === subSeed(0, 2)) throw new Error("collision");
 * ```
 */
export function subSeed(seed: number, index: number): number {
  const [lo, hi] = seedWords(seed);
  // Mixing the words in sequence (not XOR-ing them) keeps (seed, i) pairs distinct.
  return mix32(mix32(mix32(lo) ^ hi) + mix32(index >>> 0) + Math.floor(index / 2 ** 32));
}

/** Splits a seed into two 32-bit words so seeds beyond 2^32 and fractional seeds stay distinct. */
function seedWords(seed: number): [number, number] {
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number, got ${String(seed)}`);
  }
  if (Number.isInteger(seed) && Math.abs(seed) < 2 ** 53) {
    // Small integer seeds (the usual case) map to (seed mod 2^32, high word).
    return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed);
  return [view.getUint32(4), view.getUint32(0) ^ 0x5bd1e995];
}

/**
 * Creates a deterministic random number generator from a seed.
 *
 * The generator is sfc32 with its four state words filled by splitmix32 from
 * the seed, then warmed up for 12 rounds so nearby seeds (0, 1, 2 …) give
 * unrelated streams. Not cryptographically secure.
 *
 * @param seed Any finite number; integers are the usual choice. The same seed
 *   always gives the same sequence.
 * @returns An {@linkcode Rng}.
 * @example
 * ```ts
 * import { createRng } from "./random.ts";
 * const rng = createRng(7);
 * const u = rng.next();          // [0, 1)
 * const k = rng.int(10);         // 0 … 9
 * const z = rng.normal();        // N(0, 1)
 * const order = rng.shuffle([0, 1, 2, 3]);
 * if (!(u >= 0 && u < 1) || k < 0 || k > 9 || !Number.isFinite(z) || order.length !== 4) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function createRng(seed: number): Rng {
  const [lo, hi] = seedWords(seed);
  // State in an Int32Array, not closure variables: V8 boxes 32-bit values held
  // in closure slots as heap numbers, which made every call allocate.
  const st = new Int32Array(4);
  let s = mix32(lo ^ mix32(hi));
  st[0] = s = mix32(s);
  st[1] = s = mix32(s);
  st[2] = s = mix32(s);
  st[3] = 1; // the counter word; starting at 1 keeps the state away from all-zero
  const uint32 = (): number => {
    const a = st[0] as number, b = st[1] as number, c = st[2] as number, d = st[3] as number;
    const t = (((a + b) | 0) + d) | 0;
    st[3] = d + 1;
    st[0] = b ^ (b >>> 9);
    st[1] = c + (c << 3);
    st[2] = ((c << 21) | (c >>> 11)) + t;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) uint32();

  let spare = 0;
  let hasSpare = false;
  const next = (): number => uint32() * TWO_POW_M32;
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    spare = r * Math.sin(theta);
    hasSpare = true;
    return r * Math.cos(theta);
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(`int(n) needs a positive integer n ≤ 2^32, got ${n}`);
    }
    // Rejection sampling removes the modulo bias for n that do not divide 2^32.
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = uint32();
    while (x >= limit) x = uint32();
    return x % n;
  };
  const shuffle = <T>(arr: T[]): T[] => {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const tmp = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = tmp;
    }
    return arr;
  };
  return { next, uint32, normal, int, shuffle };
}
