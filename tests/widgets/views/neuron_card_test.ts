import assert from "node:assert/strict";
import {
  cardPanels,
  cardText,
  checkCardState,
  histogramRows,
  type NeuronCardState,
} from "../../../widgets/views/neuron_card/spec.ts";
import { render } from "../../../widgets/views/neuron_card/view.ts";
import { sampleState } from "../../../widgets/views/neuron_card/sample.ts";
import { byTestId, one, renderInto } from "./_render.ts";

const base: NeuronCardState = { title: "t", layer: "conv2", unit: 3 };

Deno.test("neuron card spec: panels in order with captions", () => {
  const s: NeuronCardState = {
    ...base,
    imageShape: [1, 2, 1],
    featureViz: new Float32Array([0, 1]),
    shap: new Float32Array([0, 0.5]),
    examples: new Float32Array([0, 1, 1, 0, 0.5, 0.5]),
    exampleScores: new Float32Array([2.5, 1.25, 1]),
    exampleLabels: ["a.png", "b.png", "c.png"],
  };
  checkCardState(s);
  const p = cardPanels(s);
  assert.deepEqual(p.map((x) => x.kind), ["featureViz", "shap", "example", "example", "example"]);
  assert.deepEqual(p.slice(2).map((x) => x.caption), ["a.png · 2.5", "b.png · 1.25", "c.png · 1"]);
  assert.ok(p.every((x) => x.url.startsWith("data:image/png;base64,")));
  assert.deepEqual(histogramRows([0, 1, 3], [5, 2]), [{ x1: 0, x2: 1, count: 5 }, {
    x1: 1,
    x2: 3,
    count: 2,
  }]);
  assert.deepEqual(
    cardText({ ...base, score: 0.5, metric: "NeuronIM", label: "red", iou: 0.125 }),
    {
      head: "conv2 · unit 3",
      score: "NeuronIM: 0.5",
      label: "label: red (IoU 0.125)",
    },
  );
});

Deno.test("neuron card spec: validation", () => {
  assert.throws(() => checkCardState({ ...base, featureViz: new Float32Array(2) }), /imageShape/);
  assert.throws(
    () => checkCardState({ ...base, imageShape: [1, 2, 1], featureViz: new Float32Array(3) }),
    /featureViz has length 3, expected 2/,
  );
  assert.throws(
    () => checkCardState({ ...base, imageShape: [1, 2, 1], examples: new Float32Array(3) }),
    /k·1·2·1/,
  );
  assert.throws(
    () => checkCardState({ ...base, imageShape: [1, 2, 2] }),
    /expected \[h, w, 1 or 3\]/,
  );
  assert.throws(
    () =>
      checkCardState({ ...base, histCounts: new Float32Array(2), histEdges: new Float32Array(2) }),
    /histEdges has length 2, expected 3/,
  );
});

Deno.test("neuron card view: every picture, the legend, one histogram bar per bin", () => {
  const s = sampleState();
  const { el } = renderInto(render, s);
  const panels = byTestId(el, "card-panel");
  assert.equal(panels.length, 2 + 4);
  assert.equal(panels.filter((p) => p.getAttribute("data-kind") === "example").length, 4);
  assert.ok(
    panels.every((p) =>
      p.querySelector("image")?.getAttribute("href")?.startsWith("data:image/png")
    ),
  );
  assert.ok(one(el, "card-shap-legend").querySelector("svg"));
  assert.equal(
    one(el, "card-hist").querySelectorAll("g.nl-card-hist rect").length,
    s.histCounts!.length,
  );
  assert.match(one(el, "card-label").textContent!, /IoU 0\.31/);
  // Only text: no pictures.
  const { el: bare } = renderInto(render, base);
  assert.equal(one(bare, "card-head").textContent, "conv2 · unit 3");
  assert.ok(one(bare, "card-empty"));
});
