import assert from "node:assert/strict";
import { PNG } from "npm:pngjs@7.0.0";
import { encodePng, pngDataUrl } from "../../../widgets/views/_shared/png.ts";
import { colormap, heatRgba, imageRgba, parseColor } from "../../../widgets/views/_shared/image.ts";
import { legendOptions } from "../../../widgets/views/_shared/legend.ts";
import { formatNumber } from "../../../widgets/views/_shared/dom.ts";
import { checkArray } from "../../../widgets/views/_shared/check.ts";

Deno.test("png: an independent decoder reads back the exact pixels (multi-block deflate too)", () => {
  for (const [w, h] of [[3, 2], [200, 120]] as [number, number][]) {
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 7) % 256);
    const png = PNG.sync.read(Buffer.from(encodePng(rgba, w, h)));
    assert.equal(png.width, w);
    assert.equal(png.height, h);
    assert.deepEqual(new Uint8Array(png.data), rgba);
  }
  assert.match(pngDataUrl(new Uint8Array(4), 1, 1), /^data:image\/png;base64,iVBORw0KGgo/);
  assert.throws(() => encodePng(new Uint8Array(3), 1, 1), /expected 4/);
  assert.throws(() => encodePng(new Uint8Array(0), 0, 1), RangeError);
});

Deno.test("image: grey and RGB to bytes, min–max or a fixed range", () => {
  // Grey 1×2 [0.5, 1.5] min–max → 0, 255.
  assert.deepEqual(Array.from(imageRgba([0.5, 1.5], [1, 2, 1])), [
    0,
    0,
    0,
    255,
    255,
    255,
    255,
    255,
  ]);
  // RGB in a fixed [0, 1] range: 0.2 → 51, values clamp.
  assert.deepEqual(Array.from(imageRgba([0.2, 1, 2], [1, 1, 3], { range: [0, 1] })), [
    51,
    255,
    255,
    255,
  ]);
  assert.throws(() => imageRgba([0, 0], [1, 1, 2]), /channels 2/);
  assert.throws(() => imageRgba([0], [1, 2, 1]), /exceeds/);
});

Deno.test("image: heatmap colours from the lookup table, blended over a base", () => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set([i, 0, 255 - i], i * 3);
  // Values 0 and 1 in domain [0, 1] → LUT ends.
  assert.deepEqual(Array.from(heatRgba([0, 1], 1, 2, { lut })), [0, 0, 255, 255, 255, 0, 0, 255]);
  // alpha 0.5 over a grey 100 base: (0.5·255 + 0.5·100) = 177.5 → 178; (0.5·0 + 50) = 50.
  const base = Uint8Array.from([100, 100, 100, 255]);
  assert.deepEqual(Array.from(heatRgba([1], 1, 1, { lut, base, alpha: 0.5 })), [178, 50, 50, 255]);
  const turbo = colormap("turbo");
  assert.equal(turbo.length, 768);
  assert.deepEqual(parseColor("#ff8000"), [255, 128, 0]);
  assert.deepEqual(parseColor("rgb(1, 2, 3)"), [1, 2, 3]);
});

Deno.test("legend: a ramp of rects over the domain", () => {
  const o = legendOptions({ domain: [-1, 1], steps: 4 });
  const mark = o.marks![0] as unknown as { data: { x1: number; x2: number; v: number }[] };
  assert.deepEqual(mark.data.map((d) => d.v), [-0.75, -0.25, 0.25, 0.75]);
});

Deno.test("formatNumber and checks", () => {
  assert.equal(formatNumber(0.41234), "0.412");
  assert.equal(formatNumber(12.345), "12.35");
  assert.equal(formatNumber(1234.56), "1234.6");
  assert.equal(formatNumber(0.0001), "1.00e-4");
  assert.throws(() => checkArray("v", "x", [1, 2], 3), /state\.x has length 2, expected 3/);
  assert.throws(() => checkArray("v", "x", "ab"), TypeError);
});

Deno.test("the views' flat Plot re-export pins the same version as widgets/deps.ts", async () => {
  const { PLOT_VERSION } = await import("../../../widgets/deps.ts");
  const src = await Deno.readTextFile(
    new URL("../../../widgets/views/_shared/plot.ts", import.meta.url),
  );
  assert.ok(
    src.includes(`"npm:@observablehq/plot@${PLOT_VERSION}"`),
    `plot.ts does not pin ${PLOT_VERSION}`,
  );
});
