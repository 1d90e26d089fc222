import assert from "node:assert/strict";
import {
  checkCurvesState,
  curvePoints,
  type CurvesState,
  kindsOf,
  scoreTable,
} from "../../../widgets/views/curves/spec.ts";
import { render } from "../../../widgets/views/curves/view.ts";
import { sampleState } from "../../../widgets/views/curves/sample.ts";
import { byTestId, renderInto } from "./_render.ts";

const tiny: CurvesState = {
  title: "t",
  curves: [
    { method: "a", kind: "MoRF", y: new Float32Array([1, 0.5, 0]), score: 0.5 },
    { method: "a", kind: "LeRF", y: new Float32Array([1, 1]), x: new Float32Array([0, 10]) },
    { method: "b", kind: "MoRF", y: new Float32Array([1, 0.75, 0.5]), score: 0.25 },
  ],
  scoreName: "AOPC",
  scores: [{ method: "b", name: "ABPC", value: 0.125 }],
};

Deno.test("curves spec: points with default x, facets and the score table", () => {
  checkCurvesState(tiny);
  const p = curvePoints(tiny);
  assert.deepEqual(p.filter((d) => d.curve === 0).map((d) => [d.x, d.y]), [[0, 1], [0.5, 0.5], [
    1,
    0,
  ]]);
  assert.deepEqual(p.filter((d) => d.curve === 1).map((d) => d.x), [0, 10]);
  assert.deepEqual(kindsOf(tiny), ["MoRF", "LeRF"]);
  assert.deepEqual(scoreTable(tiny), {
    columns: ["MoRF AOPC", "ABPC"],
    rows: [{ method: "a", values: [0.5, null] }, { method: "b", values: [0.25, 0.125] }],
  });
  assert.throws(() => checkCurvesState({ ...tiny, curves: [] }), /non-empty/);
  assert.throws(
    () =>
      checkCurvesState({ ...tiny, curves: [{ method: "a", kind: "k", y: new Float32Array([1]) }] }),
    /at least 2/,
  );
  assert.throws(
    () =>
      checkCurvesState({
        ...tiny,
        curves: [{ method: "a", kind: "k", y: new Float32Array([1, NaN]) }],
      }),
    /y\[1\] is NaN/,
  );
});

Deno.test("curves view: one line per curve, a table row per method", () => {
  const s = sampleState();
  const { el } = renderInto(render, s);
  assert.equal(el.querySelectorAll("g.nl-curves-lines path").length, s.curves.length);
  assert.equal(byTestId(el, "curves-row").length, 3);
  assert.equal(byTestId(el, "curves-score").length, 9);
});
