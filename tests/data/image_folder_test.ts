import assert from "node:assert/strict";
import { jpeg, PNG } from "../../engine/deps.ts";
import { imageFolder } from "../../engine/data/image_folder.ts";

/** Writes a w×h PNG of one RGB colour. */
function pngBytes(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) png.data.set([...rgb, 255], 4 * i);
  return PNG.sync.write(png);
}

async function withFolder(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "neurolens_images_" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("imageFolder: PNG round trip, labels from sorted subfolders", async () => {
  await withFolder(async (root) => {
    await Deno.mkdir(`${root}/zebra`);
    await Deno.mkdir(`${root}/apple`);
    await Deno.writeFile(`${root}/zebra/1.png`, pngBytes(4, 4, [255, 0, 0]));
    await Deno.writeFile(`${root}/zebra/2.PNG`, pngBytes(8, 8, [0, 0, 255]));
    await Deno.writeFile(`${root}/apple/a.png`, pngBytes(4, 4, [0, 255, 51]));
    await Deno.writeFile(`${root}/apple/notes.txt`, new TextEncoder().encode("ignored"));
    await Deno.writeFile(`${root}/apple/.hidden.png`, new Uint8Array([1, 2, 3]));

    const set = await imageFolder(root, { size: [4, 4], channels: 3 });
    assert.deepEqual(set.classNames, ["apple", "zebra"]);
    assert.deepEqual(set.shape, [3, 4, 4, 3]);
    assert.deepEqual([...set.labels], [0, 1, 1]);
    const px = (i: number) => [...set.images.subarray(i * 48, i * 48 + 3)];
    assert.deepEqual(px(0), [0, 1, Math.fround(51 / 255)]);
    assert.deepEqual(px(1), [1, 0, 0]);
    assert.deepEqual(px(2), [0, 0, 1]); // downsized 8×8 → 4×4, uniform colour stays exact

    const grey = await imageFolder(root, { size: [2, 2], channels: 1 });
    assert.deepEqual(grey.shape, [3, 2, 2, 1]);
    assert.ok(Math.abs((grey.images[4] as number) - 0.299) < 1e-6); // red → BT.601 luma

    // limit takes images round-robin over the classes.
    const two = await imageFolder(root, { size: [4, 4], limit: 2 });
    assert.deepEqual([...two.labels], [0, 1]);
  });
});

Deno.test("imageFolder: bilinear resize with half-pixel centres", async () => {
  await withFolder(async (root) => {
    await Deno.mkdir(`${root}/c`);
    // A 2×1 image black | white upsized to 4×1: centres map to -0.25, 0.25, 0.75, 1.25.
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([0, 0, 0, 255, 255, 255, 255, 255]);
    await Deno.writeFile(`${root}/c/x.png`, PNG.sync.write(png));
    const set = await imageFolder(root, { size: [1, 4], channels: 1 });
    const got = [...set.images];
    const want = [0, 0.25, 0.75, 1];
    got.forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) < 1e-6, `${got}`));
  });
});

Deno.test("imageFolder: JPEG via jpeg-js", async () => {
  await withFolder(async (root) => {
    await Deno.mkdir(`${root}/j`);
    const w = 16, h = 16, data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([200, 100, 50, 255], 4 * i);
    await Deno.writeFile(`${root}/j/a.jpg`, jpeg.encode({ data, width: w, height: h }, 95).data);
    const set = await imageFolder(root, { size: [8, 8] });
    assert.deepEqual(set.shape, [1, 8, 8, 3]);
    // JPEG is lossy: the flat colour comes back within a few levels.
    const [r, g, b] = set.images;
    assert.ok(Math.abs((r as number) * 255 - 200) < 4, `r ${r! * 255}`);
    assert.ok(Math.abs((g as number) * 255 - 100) < 4, `g ${g! * 255}`);
    assert.ok(Math.abs((b as number) * 255 - 50) < 4, `b ${b! * 255}`);
  });
});

Deno.test("imageFolder: unreadable files are named in the error", async () => {
  await withFolder(async (root) => {
    await Deno.mkdir(`${root}/k`);
    await Deno.writeFile(`${root}/k/good.png`, pngBytes(2, 2, [1, 2, 3]));
    await Deno.writeFile(`${root}/k/junk.png`, new TextEncoder().encode("not an image at all"));
    await assert.rejects(
      () => imageFolder(root, { size: [2, 2] }),
      (e: Error) =>
        e.message.includes(`${root}/k/junk.png`) && e.message.includes("not a PNG or JPEG"),
    );
    // A PNG cut short fails in the decoder, still naming the file.
    await Deno.remove(`${root}/k/junk.png`);
    const cut = pngBytes(8, 8, [9, 9, 9]);
    await Deno.writeFile(`${root}/k/cut.png`, cut.subarray(0, cut.length - 20));
    await assert.rejects(
      () => imageFolder(root, { size: [2, 2] }),
      (e: Error) =>
        e.message.includes(`${root}/k/cut.png`) && e.message.includes("cannot decode PNG"),
    );
    // A truncated JPEG is an error too (strict decoding), not grey blocks.
    await Deno.remove(`${root}/k/cut.png`);
    const jp =
      jpeg.encode({ data: new Uint8Array(32 * 32 * 4).fill(128), width: 32, height: 32 }, 90).data;
    await Deno.writeFile(`${root}/k/cut.jpg`, jp.subarray(0, jp.length >> 1));
    await assert.rejects(
      () => imageFolder(root, { size: [2, 2] }),
      (e: Error) =>
        e.message.includes(`${root}/k/cut.jpg`) && e.message.includes("cannot decode JPEG"),
    );
  });
});

Deno.test("imageFolder: empty folder and bad options", async () => {
  await withFolder(async (root) => {
    await assert.rejects(() => imageFolder(root, { size: [2, 2] }), /no class subfolders/);
    await assert.rejects(
      () => imageFolder(root, { size: [0, 2] }),
      RangeError,
    );
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      () => imageFolder(root, { size: [2, 2], channels: 2 as any }),
      /channels must be 1 or 3/,
    );
    await assert.rejects(
      () => imageFolder(`${root}/missing`, { size: [2, 2] }),
      /cannot list folder/,
    );
  });
});
