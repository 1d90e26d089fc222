import assert from "node:assert/strict";
import {
  bestConcepts,
  checkOverviewState,
  detectorCounts,
  type LayerOverviewState,
  layerSummaries,
  quantileSorted,
} from "../../../widgets/views/layer_overview/spec.ts";
import { render } from "../../../widgets/views/layer_overview/view.ts";
import { byTestId, fire, one, renderInto, slide } from "./_render.ts";

// Layer a: scores 0.1, 0.2, 0.3, 0.4 · layer b: 0.5, 0.9.
// Concepts: red (colour), blue (colour), disc (shape). IoU rows per neuron:
//   a0 [0.10, 0.02, 0.00] → red 0.10     a1 [0.03, 0.05, 0.01] → blue 0.05
//   a2 [0.00, 0.00, 0.03] → disc 0.03    a3 [0.20, 0.00, 0.00] → red 0.20
//   b0 [0.00, 0.00, 0.30] → disc 0.30    b1 [0.00, 0.06, 0.06] → blue 0.06 (tie: first)
function tiny(): LayerOverviewState {
  return {
    title: "t",
    metric: "NeuronIM",
    layers: ["a", "b"],
    layerOf: new Int32Array([0, 0, 0, 0, 1, 1]),
    unit: new Int32Array([0, 1, 2, 3, 0, 1]),
    score: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.9]),
    concepts: ["red", "blue", "disc"],
    categories: ["colour", "shape"],
    conceptCategory: new Int32Array([0, 0, 1]),
    iou: new Float32Array([
      0.10,
      0.02,
      0.00,
      0.03,
      0.05,
      0.01,
      0.00,
      0.00,
      0.03,
      0.20,
      0.00,
      0.00,
      0.00,
      0.00,
      0.30,
      0.00,
      0.06,
      0.06,
    ]),
  };
}

Deno.test("layer overview spec: LayerIM summary with type-7 quartiles", () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  const [a, b] = layerSummaries(tiny());
  const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-6, `${x} ≠ ${y}`);
  close(a!.mean, 0.25);
  close(a!.median, 0.25);
  close(a!.q1, 0.175);
  close(a!.q3, 0.325);
  close(a!.min, 0.1);
  close(a!.max, 0.4);
  assert.equal(a!.n, 4);
  close(b!.mean, 0.7);
  close(b!.q1, 0.6);
});

Deno.test("layer overview spec: best concepts and detector recount at any threshold", () => {
  const s = tiny();
  const best = bestConcepts(s);
  assert.deepEqual(Array.from(best.concept), [0, 1, 2, 0, 2, 1]);
  // At 0.04 (strictly greater): a0 red, a1 blue, a3 red; b0 disc, b1 blue.
  const at04 = detectorCounts(s, 0.04, best);
  assert.deepEqual(at04.rows.map((r) => `${r.layer}/${r.category}=${r.count}`), [
    "a/colour=3",
    "a/shape=0",
    "b/colour=1",
    "b/shape=1",
  ]);
  assert.deepEqual(at04.perLayer, [
    { layer: "a", detectors: 3, uniqueConcepts: 2 },
    { layer: "b", detectors: 2, uniqueConcepts: 2 },
  ]);
  // At 0.05: a1's 0.05 is not > 0.05; b1's 0.06 is.
  assert.deepEqual(detectorCounts(s, 0.05).perLayer.map((d) => d.detectors), [2, 2]);
  assert.deepEqual(detectorCounts(s, 0.25).perLayer.map((d) => d.detectors), [0, 1]);
  assert.deepEqual(detectorCounts(s, 0).perLayer.map((d) => d.detectors), [4, 2]);
});

Deno.test("layer overview spec: validation names the field", () => {
  assert.throws(
    () => checkOverviewState({ ...tiny(), conceptCategory: new Int32Array([0, 0, 5]) }),
    /conceptCategory\[2\] is 5/,
  );
  assert.throws(
    () => checkOverviewState({ ...tiny(), iou: new Float32Array(5) }),
    /iou has length 5, expected 18/,
  );
  assert.throws(
    () => checkOverviewState({ ...tiny(), concepts: undefined } as unknown as LayerOverviewState),
    /concepts/,
  );
});

Deno.test("layer overview view: a box per layer, stacked detector bars, the IoU slider recounts, clicks select", () => {
  let picked = -1;
  const { doc, el } = renderInto(render, tiny(), { onSelectLayer: (l: number) => (picked = l) });
  assert.equal(byTestId(el, "overview-layer-box").length, 2);
  // 2 layers × 2 categories, zeros included.
  assert.equal(
    one(el, "overview-detectors").querySelectorAll("g.nl-overview-detectors rect").length,
    4,
  );
  const detectorsCol = () =>
    byTestId(el, "overview-row").map((r) => r.querySelectorAll("td")[4]!.textContent);
  assert.deepEqual(detectorsCol(), ["3", "2"]);
  slide(doc, one(el, "overview-iou"), 0.05);
  assert.deepEqual(detectorsCol(), ["2", "2"]);
  slide(doc, one(el, "overview-iou"), 0.25);
  assert.deepEqual(detectorsCol(), ["0", "1"]);
  fire(doc, byTestId(el, "overview-layer-box")[1]!, "click");
  assert.equal(picked, 1);
  assert.equal(one(el, "overview-selected").textContent, "selected layer: b");
  fire(doc, byTestId(el, "overview-row")[0]!, "click");
  assert.equal(picked, 0);
});
