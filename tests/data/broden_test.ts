import assert from "node:assert/strict";
import { PNG } from "../../engine/deps.ts";
import { broden } from "../../engine/data/broden.ts";
import { writeBroden, type WriteBrodenOptions } from "../../engine/data/broden_write.ts";
import { scenes } from "../../engine/data/scenes.ts";

const FIXTURE = new URL("../fixtures/broden_tiny/", import.meta.url).pathname.replace(/\/$/, "");
/** The fixture is exactly this, written by writeBroden (regenerate: BRODEN_WRITE_FIXTURE=1 deno test -A tests/data/broden_test.ts). */
const SCENES = () => scenes({ count: 3, size: 16, seed: 5 });
const COLUMNS: WriteBrodenOptions = {
  columns: { color: "color", shape: "object", texture: "texture", background: "scene" },
};

if (Deno.env.get("BRODEN_WRITE_FIXTURE") === "1") {
  await Deno.remove(FIXTURE, { recursive: true }).catch(() => {});
  await writeBroden(FIXTURE, SCENES(), COLUMNS);
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    if (e.isDirectory) out.push(...await listFiles(dir, `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

async function copyFixture(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const f of await listFiles(FIXTURE)) {
    await Deno.mkdir(`${dir}/${f}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.copyFile(`${FIXTURE}/${f}`, `${dir}/${f}`);
  }
  return dir;
}

Deno.test("the fixture is what writeBroden writes for the seeded scenes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeBroden(dir, SCENES(), COLUMNS);
    const files = await listFiles(dir);
    assert.deepEqual(await listFiles(FIXTURE), files);
    for (const f of files) {
      assert.deepEqual(
        await Deno.readFile(`${FIXTURE}/${f}`),
        await Deno.readFile(`${dir}/${f}`),
        f,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Broden fixture reads back exactly: images, pixel masks, image-level labels", async () => {
  const src = SCENES();
  const set = await broden(FIXTURE);
  assert.deepEqual(set.shape, src.shape);
  assert.deepEqual(set.images, src.images);
  assert.deepEqual(set.concepts.map((c) => c.name), src.concepts.map((c) => c.name));
  // Categories are the Broden columns the scene categories were written to.
  const byName = new Map(set.concepts.map((c) => [c.name, c.category]));
  assert.equal(byName.get("red"), "color");
  assert.equal(byName.get("circle"), "object");
  assert.equal(byName.get("stripes"), "texture");
  assert.equal(byName.get("sky"), "scene");
  // Pixel-level: exact.
  assert.deepEqual(set.labelMaps.color, src.labelMaps.color);
  assert.deepEqual(set.labelMaps.object, src.labelMaps.shape);
  // Image-level: every texture / background present becomes a full-image layer.
  const px = 16 * 16;
  for (const [cat, from] of [["texture", "texture"], ["scene", "background"]] as const) {
    for (let i = 0; i < 3; i++) {
      const expected = [...new Set(src.labelMaps[from].subarray(i * px, (i + 1) * px))].filter((
        v,
      ) => v >= 0)
        .sort((a, b) => a - b);
      const got = Object.keys(set.labelMaps).filter((k) => k.split("#")[0] === cat).map((k) =>
        set.labelMaps[k]!.subarray(i * px, (i + 1) * px)
      ).filter((m) => m[0]! >= 0);
      for (const m of got) {
        assert.ok(m.every((v) => v === m[0]), `${cat} layer of image ${i} is full-image`);
      }
      assert.deepEqual(got.map((m) => m[0]!), expected, `${cat} of image ${i}`);
    }
  }
  assert.deepEqual(
    Object.keys(set.labelMaps).filter((k) => k.startsWith("material") || k.startsWith("part")),
    [
      "material",
      "part",
    ],
  );
  assert.ok(set.labelMaps.material!.every((v) => v === -1));
  assert.deepEqual(set.splits, ["train", "train", "train"]);
  // Options: limit, split, size, categories.
  const small = await broden(FIXTURE, { limit: 2, size: [8, 8], categories: ["color"] });
  assert.deepEqual(small.shape, [2, 8, 8, 3]);
  assert.deepEqual(Object.keys(small.labelMaps), ["color"]);
  await assert.rejects(() => broden(FIXTURE, { split: "val" }), /no image rows in split "val"/);
});

Deno.test("bad Broden folders: errors name the file and the line", async () => {
  const edit = async (file: string, f: (text: string) => string) => {
    const dir = await copyFixture();
    await Deno.writeTextFile(`${dir}/${file}`, f(await Deno.readTextFile(`${dir}/${file}`)));
    return dir;
  };
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["missing label.csv", async () => {
      const d = await copyFixture();
      await Deno.remove(`${d}/label.csv`);
      return d;
    }, /label\.csv: missing/],
    ["missing c_color.csv", async () => {
      const d = await copyFixture();
      await Deno.remove(`${d}/c_color.csv`);
      return d;
    }, /c_color\.csv: missing/],
    ["missing image", async () => {
      const d = await copyFixture();
      await Deno.remove(`${d}/images/scenes_seed5/1.png`);
      return d;
    }, /1\.png: cannot read.*index\.csv:3/],
    [
      "wrong column count",
      () => edit("index.csv", (t) => t.replace(/\n([^\n]*)\n/, "\n$1,extra\n")),
      /index\.csv:2: expected 12 columns/,
    ],
    [
      "bad number",
      () => edit("index.csv", (t) => t.replace(",train,16,16,", ",train,1x,16,")),
      /index\.csv:2: column ih: "1x"/,
    ],
    ["unknown image-level label", () =>
      edit("index.csv", (t) => {
        const lines = t.split("\n");
        const cells = lines[3]!.split(",");
        cells[10] = "999";
        lines[3] = cells.join(",");
        return lines.join("\n");
      }), /index\.csv:4: column scene: label 999 is not in label\.csv/],
    ["mask code not in label.csv", async () => {
      const d = await copyFixture();
      const png = new PNG({ width: 16, height: 16 });
      for (let p = 0; p < 256; p++) png.data.set([p === 18 ? 77 : 0, 0, 0, 255], 4 * p);
      await Deno.writeFile(`${d}/images/scenes_seed5/0_color.png`, PNG.sync.write(png));
      return d;
    }, /0_color\.png \(.*index\.csv:2\): code 77 at pixel \(2, 1\) is not a label number/],
    [
      "c_*.csv number not in label.csv",
      () => edit("label.csv", (t) => t.split("\n").filter((l) => !/^1,red,/.test(l)).join("\n")),
      /c_color\.csv:2: label number 1 is not in label\.csv/,
    ],
    [
      "mask size mismatch",
      () => edit("index.csv", (t) => t.replace(",train,16,16,16,16,", ",train,16,16,8,8,")),
      /mask is 16×16, index\.csv says sh×sw = 8×8/,
    ],
    [
      "bad header",
      () => edit("index.csv", (t) => t.replace("image,split", "img,split")),
      /index\.csv:1: column 1 must be "image"/,
    ],
  ];
  for (const [what, make, pattern] of cases) {
    const dir = await make();
    try {
      await assert.rejects(() => broden(dir), pattern, what);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("masks at another resolution are resized nearest-neighbour to the image size", async () => {
  const dir = await copyFixture();
  try {
    // Replace image 0's colour mask by an 8×8 one with label red (number 1) in its top-left 4×4.
    const index = await Deno.readTextFile(`${dir}/index.csv`);
    const lines = index.split("\n");
    const cells = lines[1]!.split(",");
    cells[4] = "8";
    cells[5] = "8";
    cells[7] = ""; // object mask dropped
    lines[1] = cells.join(",");
    await Deno.writeTextFile(`${dir}/index.csv`, lines.join("\n"));
    const png = new PNG({ width: 8, height: 8 });
    for (let p = 0; p < 64; p++) png.data.set([p % 8 < 4 && p < 32 ? 1 : 0, 0, 0, 255], 4 * p);
    await Deno.writeFile(`${dir}/images/${cells[6]}`, PNG.sync.write(png));
    const set = await broden(dir);
    const red = set.concepts.find((c) => c.name === "red")!.id;
    const m = set.labelMaps.color!.subarray(0, 256);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        assert.equal(m[y * 16 + x], x < 8 && y < 8 ? red : -1, `(${x}, ${y})`);
      }
    }
    assert.ok(set.labelMaps.object!.subarray(0, 256).every((v) => v === -1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("several values in a cell become extra layers cat#1, …; the set dissects", async () => {
  const dir = await copyFixture();
  try {
    const index = await Deno.readTextFile(`${dir}/index.csv`);
    const lines = index.split("\n");
    const cells = lines[1]!.split(",");
    cells[10] = "23;24";
    lines[1] = cells.join(",");
    await Deno.writeTextFile(`${dir}/index.csv`, lines.join("\n"));
    const set = await broden(dir);
    const sky = set.concepts.find((c) => c.name === "sky")!.id;
    const grass = set.concepts.find((c) => c.name === "grass")!.id;
    assert.ok(set.labelMaps.scene!.subarray(0, 256).every((v) => v === sky));
    assert.ok(set.labelMaps["scene#1"]!.subarray(0, 256).every((v) => v === grass));
    assert.ok(set.labelMaps["scene#1"]!.subarray(256).every((v) => v === -1));

    const { useBackend } = await import("../../engine/backend.ts");
    const { wrapModel } = await import("../../engine/net/net.ts");
    const { colorDetectorModel } = await import("../../engine/dissect/color_detector.ts");
    const { dissect } = await import("../../engine/dissect/dissect.ts");
    await useBackend("wasm", { quiet: true });
    const net = wrapModel(colorDetectorModel({ size: 16 }));
    const r = await dissect(net, set, { layers: ["colors"], emptyConcepts: "skip", exact: true });
    // Material and part have maps (all −1) but no concepts: nothing to count.
    assert.deepEqual(r.categories, ["color", "object", "texture", "scene"]);
    assert.ok(r.skippedConcepts.length > 0);
    net.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
