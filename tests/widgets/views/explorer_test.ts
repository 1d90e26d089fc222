import assert from "node:assert/strict";
import { bestConcepts } from "../../../widgets/views/layer_overview/spec.ts";
import {
  checkExplorerState,
  explorerCard,
  explorerRanking,
  type ExplorerState,
  explorerSummary,
} from "../../../widgets/views/explorer/spec.ts";
import { render } from "../../../widgets/views/explorer/view.ts";
import { sampleState } from "../../../widgets/views/explorer/sample.ts";
import { byTestId, fire, one, renderInto, slide } from "./_render.ts";

// The layer overview test's tiny net, plus a picture for neuron 5 (b, unit 1).
function tiny(): ExplorerState {
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
    imageShape: [2, 2, 1],
    cards: [{
      neuron: 5,
      featureViz: new Float32Array([0, 1, 1, 0]),
      shap: new Float32Array([1, 0, 0, 0]),
    }],
  };
}

Deno.test("explorer spec: per-layer counts at both thresholds", () => {
  const s = tiny();
  const best = bestConcepts(s);
  const at = (t: number, iou: number) => explorerSummary(s, t, iou, best);
  const r = at(0.3, 0.04);
  assert.deepEqual(
    r.rows.map((x) => [x.layer, x.neurons, x.passing, x.detectors, x.uniqueConcepts]),
    [
      ["a", 4, 2, 3, 2],
      ["b", 2, 2, 2, 2],
    ],
  );
  assert.deepEqual(r.total, { neurons: 6, passing: 4, detectors: 5 });
  assert.ok(Math.abs(r.rows[0]!.mean - 0.25) < 1e-6);
  assert.deepEqual(at(0.6, 0.25).total, { neurons: 6, passing: 1, detectors: 1 });
});

Deno.test("explorer spec: labels and cards follow the IoU threshold", () => {
  const s = tiny();
  const best = bestConcepts(s);
  assert.deepEqual(explorerRanking(s, 0.04, best).labels, [
    "red",
    "blue",
    "",
    "red",
    "disc",
    "blue",
  ]);
  assert.deepEqual(explorerRanking(s, 0.1, best).labels, ["", "", "", "red", "disc", ""]);
  const card = explorerCard(s, 5, 0.04, best);
  assert.equal(card.layer, "b");
  assert.equal(card.unit, 1);
  assert.equal(card.label, "blue");
  assert.ok(Math.abs(card.iou! - 0.06) < 1e-6);
  assert.deepEqual(Array.from(card.featureViz!), [0, 1, 1, 0]);
  assert.deepEqual(card.imageShape, [2, 2, 1]);
  assert.match(explorerCard(s, 5, 0.1, best).label!, /^none \(best: blue at IoU 0\.06 ≤ 0\.1\)$/);
  // No pictures for neuron 0: identity, score and label only.
  assert.equal(explorerCard(s, 0, 0.04, best).featureViz, undefined);
  assert.throws(
    () => checkExplorerState({ ...s, cards: [{ neuron: 6 }] }),
    /cards\[0\]\.neuron is 6/,
  );
  assert.throws(() => checkExplorerState({ ...s, cards: [{ neuron: 1 }, { neuron: 1 }] }), /twice/);
});

Deno.test("explorer view: layer → ranking → card, both sliders re-filter and re-count", () => {
  const { doc, el } = renderInto(render, tiny());
  const passing = () => byTestId(el, "explorer-passing").map((e) => e.textContent);
  const detectors = () => byTestId(el, "explorer-detectors").map((e) => e.textContent);
  // Default threshold: the median of the 6 scores = 0.35.
  assert.deepEqual(passing(), ["1", "2"]);
  assert.deepEqual(detectors(), ["3", "2"]);
  assert.match(
    one(el, "explorer-count").textContent!,
    /^3 of 6 neurons ≥ 0\.35 · 5 detectors at IoU > 0\.04$/,
  );
  // Layer a first: 4 bars, best neuron (a3) selected.
  assert.equal(
    one(el, "explorer-ranking").querySelectorAll('[data-testid="ranking-bar"]').length,
    4,
  );
  assert.equal(one(el, "card-head").textContent, "a · unit 3");
  assert.equal(one(el, "card-label").textContent, "label: red (IoU 0.2)");

  slide(doc, one(el, "explorer-threshold"), 0.15);
  assert.deepEqual(passing(), ["3", "2"]);
  assert.match(one(el, "explorer-ranking-title").textContent!, /\(3 of 4 pass\)/);
  slide(doc, one(el, "explorer-iou"), 0.05);
  assert.deepEqual(detectors(), ["2", "2"]);

  // Select layer b by its row, then open the card of b1 by its bar.
  fire(doc, byTestId(el, "explorer-row")[1]!, "click");
  const bars = one(el, "explorer-ranking").querySelectorAll('[data-testid="ranking-bar"]');
  assert.equal(bars.length, 2);
  assert.equal(one(el, "card-head").textContent, "b · unit 1"); // the best of b
  fire(doc, bars[1]!, "click"); // rank 2 = b0
  assert.equal(one(el, "card-head").textContent, "b · unit 0");
  assert.equal(one(el, "card-label").textContent, "label: disc (IoU 0.3)");
  assert.equal(byTestId(el, "card-panel").length, 0);
  fire(
    doc,
    one(el, "explorer-ranking").querySelectorAll('[data-testid="ranking-bar"]')[0]!,
    "click",
  );
  assert.equal(byTestId(el, "card-panel").length, 2); // b1 has a visualisation and a SHAP image
  // A layer box in the overview selects too.
  fire(doc, byTestId(el, "overview-layer-box")[0]!, "click");
  assert.equal(one(el, "card-head").textContent, "a · unit 3");
});

Deno.test("explorer view: 512 neurons × 4 layers draw one bar per neuron of the selected layer", () => {
  const { el } = renderInto(render, sampleState(512, 4));
  assert.equal(byTestId(el, "ranking-bar").length, 512);
  assert.equal(byTestId(el, "explorer-row").length, 4);
});
