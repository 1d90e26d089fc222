import assert from "node:assert/strict";
import {
  checkPruningState,
  pruningPoints,
  type PruningState,
} from "../../../widgets/views/pruning/spec.ts";
import { render } from "../../../widgets/views/pruning/view.ts";
import { sampleState } from "../../../widgets/views/pruning/sample.ts";
import { one, renderInto } from "./_render.ts";

const tiny: PruningState = {
  title: "t",
  ratios: new Float32Array([0, 0.5]),
  series: [
    { ranking: "l1", accuracy: new Float32Array([1, 0.5]) },
    {
      ranking: "random",
      accuracy: new Float32Array([1, 0.25]),
      accuracyStd: new Float32Array([0, 0.125]),
      loss: new Float32Array([0, 2]),
    },
  ],
};

Deno.test("pruning spec: points and ±std bands per ranking", () => {
  checkPruningState(tiny);
  assert.deepEqual(
    pruningPoints(tiny, "accuracy").map((p) => [p.ranking, p.ratio, p.value, p.lo, p.hi]),
    [
      ["l1", 0, 1, null, null],
      ["l1", 0.5, 0.5, null, null],
      ["random", 0, 1, 1, 1],
      ["random", 0.5, 0.25, 0.125, 0.375],
    ],
  );
  // Series without loss are left out of the loss plot.
  assert.deepEqual(pruningPoints(tiny, "loss").map((p) => p.ranking), ["random", "random"]);
  assert.throws(
    () => checkPruningState({ ...tiny, series: [{ ranking: "x", accuracy: new Float32Array(3) }] }),
    /accuracy has length 3, expected 2/,
  );
});

Deno.test("pruning view: one line per ranking in both plots, one band for random", () => {
  const s = sampleState();
  const { el } = renderInto(render, s);
  for (const q of ["accuracy", "loss"]) {
    const box = one(el, `pruning-${q}`);
    assert.equal(box.querySelectorAll("g.nl-pruning-lines path").length, s.series.length);
    assert.equal(box.querySelectorAll("g.nl-pruning-bands path").length, 1);
  }
});
