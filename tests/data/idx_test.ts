import assert from "node:assert/strict";
import { encodeIdx, gunzip, parseIdx, readIdx } from "../../engine/data/idx.ts";

/** A valid 3×2×2 ubyte file: header 00 00 08 03, dims, then 12 bytes. */
function validBytes(): Uint8Array {
  const header = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
  return new Uint8Array([...header, ...Array.from({ length: 12 }, (_, i) => i * 20)]);
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

Deno.test("parseIdx: a valid ubyte file", () => {
  const idx = parseIdx(validBytes(), "valid.idx");
  assert.equal(idx.type, "ubyte");
  assert.deepEqual(idx.dims, [3, 2, 2]);
  assert.deepEqual([...idx.data], Array.from({ length: 12 }, (_, i) => i * 20));
});

Deno.test("parseIdx: big-endian multi-byte types round-trip through encodeIdx", () => {
  const cases = [
    ["short", Int16Array.from([-2, 300, 7])],
    ["int", Int32Array.from([-70000, 1, 2 ** 30])],
    ["float", Float32Array.from([1.5, -0.25, 3e10])],
    ["double", Float64Array.from([Math.PI, -1e-300, 0])],
    ["byte", Int8Array.from([-128, 0, 127])],
  ] as const;
  for (const [type, data] of cases) {
    const idx = parseIdx(encodeIdx(type, [3], data), `${type}.idx`);
    assert.equal(idx.type, type);
    assert.deepEqual([...idx.data], [...data]);
  }
  // The header really is big-endian: dimension 3 is the last byte of its word.
  assert.deepEqual([...encodeIdx("int", [3], [0, 0, 0]).subarray(0, 8)], [
    0,
    0,
    0x0c,
    1,
    0,
    0,
    0,
    3,
  ]);
});

Deno.test("parseIdx: corrupt magic number", () => {
  const bytes = validBytes();
  bytes[0] = 0x42;
  assert.throws(
    () => parseIdx(bytes, "bad-magic.idx"),
    (e: Error) =>
      e.message.includes("bad-magic.idx") && e.message.includes("magic") &&
      e.message.includes("expected 0x00 0x00") && e.message.includes("found 0x42"),
  );
});

Deno.test("parseIdx: wrong type byte", () => {
  const bytes = validBytes();
  bytes[2] = 0x07;
  assert.throws(
    () => parseIdx(bytes, "bad-type.idx"),
    (e: Error) =>
      e.message.includes("bad-type.idx") && e.message.includes("type byte 0x07") &&
      e.message.includes("0x08 ubyte"),
  );
});

Deno.test("parseIdx: truncated data, truncated header, extra bytes", () => {
  const bytes = validBytes();
  assert.throws(
    () => parseIdx(bytes.subarray(0, bytes.length - 5), "short.idx"),
    (e: Error) =>
      e.message.includes("short.idx") && e.message.includes("truncated") &&
      e.message.includes("need 12 bytes") && e.message.includes("found 7"),
  );
  assert.throws(
    () => parseIdx(bytes.subarray(0, 10), "header.idx"),
    /header\.idx: truncated IDX header: 3 dimensions need 16 header bytes, found 10/,
  );
  const extra = new Uint8Array([...bytes, 1, 2]);
  assert.throws(
    () => parseIdx(extra, "extra.idx"),
    (e: Error) =>
      e.message.includes("extra.idx") && e.message.includes("extra bytes") &&
      e.message.includes("need 12 bytes") && e.message.includes("found 14"),
  );
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), "tiny.idx"), /tiny\.idx: not an IDX file/);
  const zeroDim = validBytes();
  zeroDim[7] = 0;
  assert.throws(() => parseIdx(zeroDim, "zero.idx"), /zero\.idx: IDX dimension 0 is 0/);
});

Deno.test("parseIdx: gzip bytes are refused with advice; gunzip and readIdx handle them", async () => {
  const packed = await gzip(validBytes());
  assert.throws(() => parseIdx(packed, "x.gz"), /x\.gz: .*gzip-compressed.*readIdx/);
  assert.deepEqual(await gunzip(packed, "x.gz"), validBytes());
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.idx.gz`, packed);
    await Deno.writeFile(`${dir}/b.idx`, validBytes());
    const a = await readIdx(`${dir}/a.idx.gz`);
    const b = await readIdx(new URL(`file://${dir}/b.idx`));
    assert.deepEqual(a.dims, [3, 2, 2]);
    assert.deepEqual([...a.data], [...b.data]);
    // A truncated gzip stream names the file.
    await Deno.writeFile(`${dir}/c.idx.gz`, packed.subarray(0, packed.length - 10));
    await assert.rejects(() => readIdx(`${dir}/c.idx.gz`), /c\.idx\.gz: gzip data is corrupt/);
    // A corrupt file inside gzip still names the file.
    const bad = validBytes();
    bad[2] = 0x01;
    await Deno.writeFile(`${dir}/d.idx.gz`, await gzip(bad));
    await assert.rejects(
      () => readIdx(`${dir}/d.idx.gz`),
      /d\.idx\.gz: unknown IDX type byte 0x01/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
