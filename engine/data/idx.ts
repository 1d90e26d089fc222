/**
 * Reader for the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed.
 *
 * IDX (LeCun et al., "The MNIST database") is a big-endian header — two zero
 * bytes, a type byte, the number of dimensions, then one uint32 per dimension —
 * followed by the elements in row-major order. Every check here exists so a
 * corrupt or truncated download fails loudly with the file name instead of
 * producing wrong images.
 *
 * @module
 */

/** The IDX element types, keyed by their type byte. */
const IDX_TYPES = {
  0x08: { name: "ubyte", size: 1 },
  0x09: { name: "byte", size: 1 },
  0x0b: { name: "short", size: 2 },
  0x0c: { name: "int", size: 4 },
  0x0d: { name: "float", size: 4 },
  0x0e: { name: "double", size: 8 },
} as const;

/** Name of an IDX element type. */
export type IdxType = "ubyte" | "byte" | "short" | "int" | "float" | "double";

/** The typed array an IDX element type is decoded to. */
export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A decoded IDX file. */
export interface IdxArray {
  /** Element type from the header. */
  type: IdxType;
  /** Dimensions from the header, outermost first. */
  dims: number[];
  /** The elements in row-major order, in native byte order. */
  data: IdxData;
}

/**
 * Tells whether bytes are gzip-compressed, by the gzip magic number 1f 8b.
 *
 * @param bytes File contents.
 * @returns True when `bytes` starts with 1f 8b.
 * @example
 * ```ts
 * import { isGzip } from "./idx.ts";
 * if (!isGzip(new Uint8Array([0x1f, 0x8b, 8])) || isGzip(new Uint8Array([0, 0, 8, 1]))) {
 *   throw new Error("wrong detection");
 * }
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses gzip bytes with the built-in `DecompressionStream`.
 *
 * @param bytes A complete gzip stream.
 * @param name The file name, used in the error message.
 * @returns The decompressed bytes.
 * @throws Error naming `name` when the stream is corrupt or truncated.
 * @example
 * ```ts
 * import { gunzip } from "./idx.ts";
 * const packed = await new Response(
 *   new Blob([new Uint8Array([1, 2, 3])]).stream().pipeThrough(new CompressionStream("gzip")),
 * ).bytes();
 * const out = await gunzip(packed, "example");
 * if (out.join() !== "1,2,3") throw new Error("round trip failed");
 * ```
 */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return await new Response(stream).bytes();
  } catch (e) {
    throw new Error(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`, {
      cause: e,
    });
  }
}

/**
 * Parses the bytes of an uncompressed IDX file.
 *
 * Checks the magic number (0x00 0x00 type ndims), the type byte, that every
 * dimension is positive, and that the data length equals the product of the
 * dimensions times the element size. `ubyte` data is returned as a view into
 * `bytes` (no copy); other types are byte-swapped from big-endian into a new
 * array.
 *
 * @param bytes The file contents (not gzip-compressed: see {@linkcode readIdx}).
 * @param name The file name, used in error messages.
 * @returns The decoded {@linkcode IdxArray}.
 * @throws Error naming the file and what was expected versus found.
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * // Two 1×2 ubyte images: header 00 00 08 03, dims 2, 1, 2, then 4 bytes.
 * const bytes = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 10, 20, 30, 40]);
 * const idx = parseIdx(bytes, "tiny.idx");
 * if (idx.dims.join() !== "2,1,2" || idx.data[3] !== 40) throw new Error("parse failed");
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (isGzip(bytes)) {
    throw new Error(
      `${name}: the bytes are gzip-compressed (start with 1f 8b); use readIdx(), or gunzip() first`,
    );
  }
  if (bytes.length < 4) {
    throw new Error(
      `${name}: not an IDX file: expected at least a 4-byte magic number, found ${bytes.length} bytes`,
    );
  }
  const hex = (b: number | undefined) => "0x" + (b ?? 0).toString(16).padStart(2, "0");
  const [z0, z1, typeByte = 0, ndims = 0] = bytes;
  if (z0 !== 0 || z1 !== 0) {
    throw new Error(
      `${name}: bad IDX magic number: expected 0x00 0x00 <type> <ndims>, found ` +
        `${hex(z0)} ${hex(z1)} ${hex(typeByte)} ${hex(ndims)}`,
    );
  }
  const type = IDX_TYPES[typeByte as keyof typeof IDX_TYPES];
  if (type === undefined) {
    throw new Error(
      `${name}: unknown IDX type byte ${hex(typeByte)}: expected one of ` +
        `0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double`,
    );
  }
  if (ndims < 1) {
    throw new Error(`${name}: IDX header declares 0 dimensions: expected at least 1`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: truncated IDX header: ${ndims} dimensions need ${headerBytes} header bytes, ` +
        `found ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    if (d === 0) {
      throw new Error(`${name}: IDX dimension ${i} is 0: expected a positive size`);
    }
    dims.push(d);
    count *= d;
  }
  const expected = count * type.size;
  const found = bytes.length - headerBytes;
  if (found !== expected) {
    const what = found < expected ? "truncated IDX data" : "IDX file has extra bytes";
    throw new Error(
      `${name}: ${what}: dims [${dims.join(", ")}] of ${type.name} (${type.size} byte` +
        `${type.size > 1 ? "s" : ""}) need ${expected} bytes after the ${headerBytes}-byte ` +
        `header, found ${found}`,
    );
  }
  return { type: type.name, dims, data: decode(type.name, view, headerBytes, count) };
}

/** Converts big-endian elements to a native typed array. */
function decode(type: IdxType, view: DataView, offset: number, count: number): IdxData {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, count * sizeOf(type));
  switch (type) {
    case "ubyte":
      return bytes;
    case "byte":
      return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case "short": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i);
      return out;
    }
    case "int": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i);
      return out;
    }
    case "float": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i);
      return out;
    }
    case "double": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i);
      return out;
    }
  }
}

function sizeOf(type: IdxType): number {
  for (const t of Object.values(IDX_TYPES)) if (t.name === type) return t.size;
  throw new TypeError(`unknown IDX type ${type}`);
}

/**
 * Encodes an array as IDX bytes (the inverse of {@linkcode parseIdx}).
 *
 * Used to write test fixtures and small exports; big-endian like the format.
 *
 * @param type Element type.
 * @param dims Dimensions, outermost first; their product must equal `data.length`.
 * @param data The elements in row-major order.
 * @returns The uncompressed IDX bytes.
 * @throws RangeError when the dimensions do not match the data.
 * @example
 * ```ts
 * import { encodeIdx, parseIdx } from "./idx.ts";
 * const bytes = encodeIdx("ubyte", [2, 2], new Uint8Array([1, 2, 3, 4]));
 * if (parseIdx(bytes, "x").data[2] !== 3) throw new Error("round trip failed");
 * ```
 */
export function encodeIdx(type: IdxType, dims: number[], data: ArrayLike<number>): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 1 || dims.length > 255 || count !== data.length) {
    throw new RangeError(
      `encodeIdx: dims [${
        dims.join(", ")
      }] (product ${count}) do not match data length ${data.length}`,
    );
  }
  const entry = Object.entries(IDX_TYPES).find(([, t]) => t.name === type);
  if (entry === undefined) throw new TypeError(`encodeIdx: unknown type ${type}`);
  const size = entry[1].size;
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = Number(entry[0]);
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < count; i++) {
    const v = data[i] as number;
    const at = header + i * size;
    switch (type) {
      case "ubyte":
        view.setUint8(at, v);
        break;
      case "byte":
        view.setInt8(at, v);
        break;
      case "short":
        view.setInt16(at, v);
        break;
      case "int":
        view.setInt32(at, v);
        break;
      case "float":
        view.setFloat32(at, v);
        break;
      case "double":
        view.setFloat64(at, v);
        break;
    }
  }
  return out;
}

/**
 * Reads an IDX file from disk, decompressing it first when it is gzip.
 *
 * Gzip is detected by the magic bytes 1f 8b, not by the file extension.
 *
 * @param path File path or `file:` URL.
 * @returns The decoded {@linkcode IdxArray}.
 * @throws Error naming the file when it cannot be read or is not valid IDX.
 * @example
 * ```ts
 * import { encodeIdx, readIdx } from "./idx.ts";
 * const path = await Deno.makeTempFile({ suffix: ".idx" });
 * await Deno.writeFile(path, encodeIdx("ubyte", [3], new Uint8Array([7, 8, 9])));
 * const idx = await readIdx(path);
 * await Deno.remove(path);
 * if (idx.data[0] !== 7) throw new Error("read failed");
 * ```
 */
export async function readIdx(path: string | URL): Promise<IdxArray> {
  const name = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  let bytes: Uint8Array = await Deno.readFile(path);
  if (isGzip(bytes)) bytes = await gunzip(bytes, name);
  return parseIdx(bytes, name);
}
