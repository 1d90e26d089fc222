import assert from "node:assert/strict";
import { PNG } from "npm:pngjs@7.0.0";
import {
  checkGalleryState,
  galleryCells,
  type MapGalleryState,
} from "../../../widgets/views/map_gallery/spec.ts";
import { render } from "../../../widgets/views/map_gallery/view.ts";
import { sampleState } from "../../../widgets/views/map_gallery/sample.ts";
import { byTestId, one, renderInto, slide } from "./_render.ts";

function pixels(url: string): number[] {
  const bytes = Uint8Array.from(atob(url.split(",")[1]!), (c) => c.charCodeAt(0));
  return Array.from(PNG.sync.read(Buffer.from(bytes)).data);
}

// 2 images × 2 methods of 1×1 maps over 1×1 grey images.
const tiny: MapGalleryState = {
  title: "t",
  rowLabels: ["x0", "x1"],
  columnLabels: ["m0", "m1"],
  imageShape: [1, 1, 1],
  maps: new Float32Array([0, 1, 1, 0]),
  images: new Float32Array([0, 1]),
  scheme: "greys",
  alpha: 0.5,
};

Deno.test("map gallery spec: one cell per image × method, maps blended over their image", () => {
  checkGalleryState(tiny);
  const cells = galleryCells(tiny);
  assert.deepEqual(cells.map((c) => [c.row, c.col]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  // greys: 0 → white, 1 → black. Row 0 image black: (white·0.5 + 0) = 128; black stays 0.
  assert.deepEqual(pixels(cells[0]!.url).slice(0, 3), [128, 128, 128]);
  assert.deepEqual(pixels(cells[1]!.url).slice(0, 3), [0, 0, 0]);
  // Row 1 image white: black map → 128; white map → 255.
  assert.deepEqual(pixels(cells[2]!.url).slice(0, 3), [128, 128, 128]);
  assert.deepEqual(pixels(cells[3]!.url).slice(0, 3), [255, 255, 255]);
  // Opacity 1: the map alone.
  assert.deepEqual(pixels(galleryCells(tiny, { alpha: 1 })[2]!.url).slice(0, 3), [0, 0, 0]);
});

Deno.test("map gallery spec: validation", () => {
  assert.throws(
    () => checkGalleryState({ ...tiny, maps: new Float32Array(3) }),
    /maps has length 3, expected 4/,
  );
  assert.throws(
    () => checkGalleryState({ ...tiny, images: new Float32Array(3) }),
    /images has length 3, expected 2/,
  );
  assert.throws(() => checkGalleryState({ ...tiny, alpha: 2 }), /alpha is 2/);
  assert.throws(() => checkGalleryState({ ...tiny, domain: [1, 0] }), /increasing/);
});

Deno.test("map gallery view: rows × columns cells, headers as text, the opacity slider redraws", () => {
  const s = sampleState();
  const { doc, el } = renderInto(render, s);
  assert.equal(byTestId(el, "gallery-cell").length, s.rowLabels.length * s.columnLabels.length);
  assert.deepEqual(byTestId(el, "gallery-col").map((e) => e.textContent), s.columnLabels);
  assert.deepEqual(byTestId(el, "gallery-row").map((e) => e.textContent), s.rowLabels);
  assert.ok(one(el, "gallery-legend").querySelector("svg"));
  const href = () => byTestId(el, "gallery-cell")[0]!.querySelector("image")!.getAttribute("href");
  const before = href();
  slide(doc, one(el, "gallery-alpha"), 0.9);
  assert.notEqual(href(), before);
});
