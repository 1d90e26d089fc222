import assert from "node:assert/strict";
import {
  accuracyPoints,
  checkMonitorState,
  correlationCells,
  entryAt,
  importanceRows,
  type TrainingMonitorState,
} from "../../../widgets/views/training_monitor/spec.ts";
import { render } from "../../../widgets/views/training_monitor/view.ts";
import { sampleState } from "../../../widgets/views/training_monitor/sample.ts";
import { fire, one, renderInto, slide } from "./_render.ts";

const tiny: TrainingMonitorState = {
  title: "t",
  layers: ["a", "b"],
  epochs: new Int32Array([1, 2]),
  testAccuracy: new Float32Array([0.5, NaN, 0.75, 0.25]),
};

Deno.test("training monitor spec: accuracy points skip missing entries", () => {
  checkMonitorState(tiny);
  assert.deepEqual(accuracyPoints(tiny).map((p) => [p.epoch, p.layer, p.accuracy]), [
    [1, "a", 0.5],
    [2, "a", 0.75],
    [2, "b", 0.25],
  ]);
});

Deno.test("training monitor spec: correlation cells in cluster order", () => {
  // r(0,1) = 0.5, r(0,2) = -0.25, r(1,2) = 0.125; order [2, 0, 1].
  const matrix = new Float32Array([1, 0.5, -0.25, 0.5, 1, 0.125, -0.25, 0.125, 1]);
  const cells = correlationCells({
    epoch: 1,
    layer: "a",
    channels: 3,
    matrix,
    order: new Int32Array([2, 0, 1]),
  });
  assert.equal(cells.length, 9);
  // Display row 0 = channel 2: r with channels 2, 0, 1.
  assert.deepEqual(cells.slice(0, 3).map((c) => c.r), [1, -0.25, 0.125]);
  assert.deepEqual(cells.slice(3, 6).map((c) => [c.a, c.b]), [[0, 2], [0, 0], [0, 1]]);
  assert.throws(
    () =>
      checkMonitorState({
        ...tiny,
        correlations: [{
          epoch: 1,
          layer: "a",
          channels: 3,
          matrix,
          order: new Int32Array([0, 0, 1]),
        }],
      }),
    /not a permutation/,
  );
});

Deno.test("training monitor spec: importance sorted, entries by epoch", () => {
  const rows = importanceRows({
    epoch: 1,
    layer: "a",
    lossIncrease: new Float32Array([0.1, 0.5, 0.1]),
    l1: new Float32Array([1, 2, 3]),
  });
  assert.deepEqual(rows.map((r) => [r.channel, r.l1]), [[1, 2], [0, 1], [2, 3]]);
  const e = [{ epoch: 1, layer: "a" }, { epoch: 5, layer: "a" }, { epoch: 3, layer: "b" }];
  assert.equal(entryAt(e, "a", 4)?.epoch, 1);
  assert.equal(entryAt(e, "a", 9)?.epoch, 5);
  assert.equal(entryAt(e, "b", 1)?.epoch, 3);
  assert.equal(entryAt(e, "c", 1), undefined);
});

Deno.test("training monitor view: a line per layer, C² cells, a bar per channel; layer and epoch controls", () => {
  const s = sampleState();
  const { doc, el } = renderInto(render, s);
  assert.equal(el.querySelectorAll("g.nl-monitor-lines path").length, 3);
  assert.equal(
    one(el, "monitor-correlation").querySelectorAll("g.nl-monitor-cells rect").length,
    64,
  );
  assert.equal(one(el, "monitor-importance").querySelectorAll("g.nl-monitor-bars rect").length, 8);
  assert.match(one(el, "monitor-correlation-title").textContent!, /conv1 · epoch 6/);
  slide(doc, one(el, "monitor-epoch"), 3);
  assert.match(one(el, "monitor-correlation-title").textContent!, /conv1 · epoch 1/);
  const sel = one(el, "monitor-layer");
  sel.querySelectorAll("option").forEach((o) => o.removeAttribute("selected"));
  sel.querySelectorAll("option")[2]!.setAttribute("selected", "");
  fire(doc, sel, "change");
  assert.match(one(el, "monitor-correlation-title").textContent!, /conv3 · epoch 1/);
});
