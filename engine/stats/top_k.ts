/**
 * Streaming, mergeable top-k lists for many units at once, in plain JS.
 *
 * Each unit keeps its k largest values with the id of the item that gave
 * them and one integer tag (e.g. a spatial position). Order is value
 * descending, ties broken by the smaller id, so the kept list is exactly the
 * first k of a full stable sort, whatever the order items arrive in and
 * however partial lists are merged. Memory is units·k, independent of the
 * number of items (DESIGN.md: map a batch to a small partial, merge).
 *
 * @example
 * ```ts
 * import { createTopK, mergeTopK, pushTopK, topKOf } from "./top_k.ts";
 * const a = createTopK(1, 2);
 * const b = createTopK(1, 2);
 * pushTopK(a, 0, 0.5, 0);
 * pushTopK(a, 0, 0.9, 1);
 * pushTopK(b, 0, 0.7, 2);
 * const m = topKOf(mergeTopK(a, b), 0);
 * if (!(m.ids.join() === "1,2" && m.values.join() === "0.9,0.7")) throw new Error("example failed");
 * ```
 *
 * @module
 */

/** The k largest values of each of `units` lists (plain data, structured-clone friendly). */
export interface TopKSet {
  /** Largest number of entries kept per unit. */
  k: number;
  /** Number of units. */
  units: number;
  /** Entries kept per unit (≤ k). */
  size: Int32Array;
  /** [units·k] values, each unit's row sorted descending. */
  values: Float64Array;
  /** [units·k] item ids of the values. */
  ids: Int32Array;
  /** [units·k] integer tags carried with the values. */
  tags: Int32Array;
}

/** One unit's kept entries, best first. */
export interface TopKList {
  /** Values, descending. */
  values: Float64Array;
  /** Item ids. */
  ids: Int32Array;
  /** Tags. */
  tags: Int32Array;
}

/**
 * An empty top-k set.
 *
 * @param units number of independent lists, a non-negative integer
 * @param k entries kept per list, a non-negative integer
 * @returns the empty set
 * @throws {RangeError} for a negative or non-integer size
 *
 * @example
 * ```ts
 * import { createTopK } from "./top_k.ts";
 * if (createTopK(3, 2).values.length !== 6) throw new Error("example failed");
 * ```
 */
export function createTopK(units: number, k: number): TopKSet {
  for (const [name, v] of [["units", units], ["k", k]] as const) {
    if (!(Number.isInteger(v) && v >= 0)) {
      throw new RangeError(`${name} is ${v}; expected a non-negative integer`);
    }
  }
  return {
    k,
    units,
    size: new Int32Array(units),
    values: new Float64Array(units * k),
    ids: new Int32Array(units * k),
    tags: new Int32Array(units * k),
  };
}

/** Whether (v, id) ranks before (w, jd): larger value, then smaller id. */
function before(v: number, id: number, w: number, jd: number): boolean {
  return v > w || (v === w && id < jd);
}

/**
 * Offers one value to a unit's list; kept when among the k best so far.
 *
 * @param set the top-k set (modified)
 * @param unit unit index
 * @param value the value (finite)
 * @param id the item id (e.g. image index)
 * @param tag an integer carried along. Default: 0.
 * @throws {TypeError} for a non-finite value
 *
 * @example
 * ```ts
 * import { createTopK, pushTopK } from "./top_k.ts";
 * const t = createTopK(1, 1);
 * pushTopK(t, 0, 1, 7);
 * pushTopK(t, 0, 0, 8);
 * if (t.ids[0] !== 7) throw new Error("example failed");
 * ```
 */
export function pushTopK(set: TopKSet, unit: number, value: number, id: number, tag = 0): void {
  if (!Number.isFinite(value)) {
    throw new TypeError(`Value ${value} of item ${id} (unit ${unit}) is not finite`);
  }
  const { k, values, ids, tags } = set;
  if (k === 0) return;
  const base = unit * k;
  let n = set.size[unit]!;
  if (n === k) {
    if (!before(value, id, values[base + k - 1]!, ids[base + k - 1]!)) return;
    n = k - 1;
  }
  // Insertion from the end: k is small (≈ 9), so shifting beats a heap.
  let i = n;
  while (i > 0 && before(value, id, values[base + i - 1]!, ids[base + i - 1]!)) {
    values[base + i] = values[base + i - 1]!;
    ids[base + i] = ids[base + i - 1]!;
    tags[base + i] = tags[base + i - 1]!;
    i--;
  }
  values[base + i] = value;
  ids[base + i] = id;
  tags[base + i] = tag;
  set.size[unit] = n + 1;
}

/**
 * Merges two top-k sets over disjoint items (the "merge" step); neither input changes.
 *
 * @param a one partial result
 * @param b another, with the same units and k
 * @returns the k best of both, per unit
 * @throws {RangeError} when units or k differ
 *
 * @example
 * ```ts
 * import { createTopK, mergeTopK, pushTopK } from "./top_k.ts";
 * const a = createTopK(1, 1);
 * const b = createTopK(1, 1);
 * pushTopK(a, 0, 1, 0);
 * pushTopK(b, 0, 2, 1);
 * if (mergeTopK(a, b).ids[0] !== 1) throw new Error("example failed");
 * ```
 */
export function mergeTopK(a: TopKSet, b: TopKSet): TopKSet {
  if (a.units !== b.units || a.k !== b.k) {
    throw new RangeError(
      `Cannot merge top-${a.k} of ${a.units} units with top-${b.k} of ${b.units} units`,
    );
  }
  const out = createTopK(a.units, a.k);
  const k = a.k;
  for (let u = 0; u < a.units; u++) {
    const base = u * k;
    let i = 0;
    let j = 0;
    let n = 0;
    const na = a.size[u]!;
    const nb = b.size[u]!;
    while (n < k && (i < na || j < nb)) {
      const takeA = j >= nb ||
        (i < na &&
          before(a.values[base + i]!, a.ids[base + i]!, b.values[base + j]!, b.ids[base + j]!));
      const src = takeA ? a : b;
      const s = base + (takeA ? i++ : j++);
      out.values[base + n] = src.values[s]!;
      out.ids[base + n] = src.ids[s]!;
      out.tags[base + n] = src.tags[s]!;
      n++;
    }
    out.size[u] = n;
  }
  return out;
}

/**
 * One unit's kept entries (copies), best first.
 *
 * @param set the top-k set
 * @param unit unit index
 * @returns values, ids and tags of that unit
 * @throws {RangeError} for a unit outside 0..units−1
 *
 * @example
 * ```ts
 * import { createTopK, pushTopK, topKOf } from "./top_k.ts";
 * const t = createTopK(2, 3);
 * pushTopK(t, 1, 5, 4, 9);
 * if (topKOf(t, 1).tags[0] !== 9 || topKOf(t, 0).ids.length !== 0) throw new Error("example failed");
 * ```
 */
export function topKOf(set: TopKSet, unit: number): TopKList {
  if (!(Number.isInteger(unit) && unit >= 0 && unit < set.units)) {
    throw new RangeError(`Unit ${unit} is outside 0..${set.units - 1}`);
  }
  const start = unit * set.k;
  const end = start + set.size[unit]!;
  return {
    values: set.values.slice(start, end),
    ids: set.ids.slice(start, end),
    tags: set.tags.slice(start, end),
  };
}
