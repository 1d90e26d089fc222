/**
 * The wire format of widget state: how typed arrays travel between the
 * kernel and the browser as binary buffers instead of JSON numbers.
 *
 * Jupyter's widget protocol sends a state object plus a list of binary
 * buffers, each with the path in the state where it belongs
 * (`buffer_paths`); the front end puts a `DataView` at that path. Here every
 * typed array in a state becomes `{ $typed: "float32", data }` with `data`
 * the buffer, so the browser knows the element type: {@link toWire} on the
 * kernel side, {@link fromWire} on the browser side (and in static exports,
 * whose buffers arrive the same way).
 *
 * Browser-safe: no Deno APIs.
 *
 * @module
 */

/** Element types that travel as binary buffers. */
export type WireDtype = "float32" | "float64" | "int32" | "int16" | "uint8";

/** A typed array as it sits in a state on the wire. */
export interface WireTyped {
  /** Element type. */
  $typed: WireDtype;
  /** The bytes: `null` in the JSON part, a DataView/ArrayBuffer once placed. */
  data: DataView | ArrayBuffer | null;
}

/** The typed arrays {@link toWire} turns into buffers. */
export type WireArray = Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array;

/** A state split for the wire: JSON part, buffers, and where each buffer goes. */
export interface WireState {
  /** The state with every typed array replaced by `{ $typed, data: null }`. */
  state: Record<string, unknown>;
  /** One buffer per typed array, in the order of `bufferPaths`. */
  buffers: DataView[];
  /** Path (keys and indices) of each buffer inside `state`, ending in `"data"`. */
  bufferPaths: (string | number)[][];
}

const DTYPE_OF = new Map<unknown, WireDtype>([
  [Float32Array, "float32"],
  [Float64Array, "float64"],
  [Int32Array, "int32"],
  [Int16Array, "int16"],
  [Uint8Array, "uint8"],
]);

const ARRAY_OF: Record<WireDtype, new (b: ArrayBuffer, o: number, n: number) => WireArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int16: Int16Array,
  uint8: Uint8Array,
};

/**
 * Splits a state into JSON and binary buffers (kernel side).
 *
 * @param state plain data: objects, arrays, numbers, strings, booleans, null
 *   and typed arrays (Float32/Float64/Int32/Int16/Uint8); no cycles
 * @returns the JSON-safe state, its buffers and their paths
 * @throws {TypeError} for a value that cannot travel (a function, a
 *   non-finite number is allowed only as null, another typed array kind),
 *   naming its path
 * @example
 * ```ts
 * import { fromWire, toWire } from "./wire.ts";
 * const wire = toWire({ name: "conv1", scores: new Float32Array([0.5, 0.25]) });
 * if (wire.buffers.length !== 1) throw new Error("one buffer expected");
 * // What the front end does: put each buffer at its path, then decode.
 * const placed = structuredClone(wire.state) as { scores: { data: unknown } };
 * placed.scores.data = wire.buffers[0];
 * const back = fromWire(placed) as { scores: Float32Array };
 * if (back.scores[1] !== 0.25) throw new Error("round trip failed");
 * ```
 */
export function toWire(state: Record<string, unknown>): WireState {
  const buffers: DataView[] = [];
  const bufferPaths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      // JSON has no NaN or Infinity: they would silently become null.
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `Widget state at ${show(path)} is ${value}; only finite numbers travel`,
        );
      }
      return value;
    }
    if (ArrayBuffer.isView(value)) {
      const dtype = DTYPE_OF.get(value.constructor);
      if (!dtype) {
        throw new TypeError(
          `Widget state at ${show(path)} is a ${value.constructor.name}; expected one of ` +
            `Float32Array, Float64Array, Int32Array, Int16Array, Uint8Array`,
        );
      }
      buffers.push(new DataView(value.buffer, value.byteOffset, value.byteLength));
      bufferPaths.push([...path, "data"]);
      return { $typed: dtype, data: null };
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (typeof value === "object" && value !== undefined) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) out[k] = walk(v, [...path, k]);
      }
      return out;
    }
    throw new TypeError(`Widget state at ${show(path)} is a ${typeof value}; it cannot travel`);
  };
  return { state: walk(state, []) as Record<string, unknown>, buffers, bufferPaths };
}

/**
 * Restores the typed arrays of a state received from the wire (browser side).
 * Values that are not `{ $typed, data }` pass through unchanged; the input is
 * not modified.
 *
 * @param value a state (or any part of one) with buffers placed at their paths
 * @returns the same structure with typed arrays in place of `{ $typed, data }`
 * @throws {TypeError} when a `$typed` entry has no buffer or an unknown type
 */
export function fromWire(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) return value.map(fromWire);
  const record = value as Record<string, unknown>;
  if (typeof record.$typed === "string") {
    const make = ARRAY_OF[record.$typed as WireDtype];
    if (!make) throw new TypeError(`Unknown wire type "${record.$typed}"`);
    const data = record.data;
    if (data instanceof ArrayBuffer) {
      return new make(data, 0, data.byteLength / bytesOf(record.$typed as WireDtype));
    }
    if (data && ArrayBuffer.isView(data)) {
      // Copy so the array is aligned whatever offset the buffer arrived at.
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      return new make(bytes.buffer, 0, bytes.byteLength / bytesOf(record.$typed as WireDtype));
    }
    throw new TypeError(`Wire value of type ${record.$typed} arrived without its buffer`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = fromWire(v);
  return out;
}

function bytesOf(dtype: WireDtype): number {
  return dtype === "float64"
    ? 8
    : dtype === "float32" || dtype === "int32"
    ? 4
    : dtype === "int16"
    ? 2
    : 1;
}

function show(path: (string | number)[]): string {
  return path.length === 0 ? "(root)" : path.join(".");
}
