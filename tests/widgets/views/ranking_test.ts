import assert from "node:assert/strict";
import {
  checkRankingState,
  countPassing,
  defaultThreshold,
  rankingPlotOptions,
  type RankingState,
  rankRows,
  thresholdRange,
} from "../../../widgets/views/ranking/spec.ts";
import { render } from "../../../widgets/views/ranking/view.ts";
import { sampleState } from "../../../widgets/views/ranking/sample.ts";
import { assertXssSafe, byTestId, fire, one, renderInto, slide } from "./_render.ts";

// Two layers: a = [0.2, 0.9, 0.5], b = [0.7, 0.1]
function tiny(extra: Partial<RankingState> = {}): RankingState {
  return {
    title: "t",
    metric: "m",
    layers: ["a", "b"],
    layerOf: new Int32Array([0, 0, 0, 1, 1]),
    unit: new Int32Array([0, 1, 2, 0, 1]),
    score: new Float32Array([0.2, 0.9, 0.5, 0.7, 0.1]),
    ...extra,
  };
}

Deno.test("ranking spec: rows sorted best first, ranks, layers and pass flags", () => {
  const rows = rankRows(tiny(), { threshold: 0.5 });
  assert.deepEqual(rows.map((r) => r.index), [1, 3, 2, 0, 4]);
  assert.deepEqual(rows.map((r) => r.rank), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows.map((r) => `${r.layer}${r.unit}`), ["a1", "b0", "a2", "a0", "b1"]);
  assert.deepEqual(rows.map((r) => r.pass), [true, true, true, false, false]);
  // Lower is better: ascending, pass = score ≤ threshold.
  const low = rankRows(tiny({ higherIsBetter: false }), { threshold: 0.2 });
  assert.deepEqual(low.map((r) => r.index), [4, 0, 2, 3, 1]);
  assert.deepEqual(low.map((r) => r.pass), [true, true, false, false, false]);
  // Layer filter re-ranks from 0.
  assert.deepEqual(rankRows(tiny(), { layer: 1 }).map((r) => [r.index, r.rank]), [[3, 0], [4, 1]]);
});

Deno.test("ranking spec: ties keep neuron order", () => {
  const s = tiny({ score: new Float32Array([0.5, 0.5, 0.5, 0.5, 0.5]) });
  assert.deepEqual(rankRows(s).map((r) => r.index), [0, 1, 2, 3, 4]);
});

Deno.test("ranking spec: threshold counts overall and per layer", () => {
  const s = tiny();
  assert.deepEqual(countPassing(s, 0.5), { total: 5, passing: 3, perLayer: [2, 1], sizes: [3, 2] });
  assert.deepEqual(countPassing(s, 0.95).passing, 0);
  assert.deepEqual(countPassing(s, 0).passing, 5);
  assert.equal(defaultThreshold(s), 0.5); // median of 5 values
  assert.equal(defaultThreshold(tiny({ threshold: 0.3 })), 0.3);
  const r = thresholdRange(s.score);
  assert.ok(Math.abs(r.min - 0.1) < 1e-6 && Math.abs(r.max - 0.9) < 1e-6);
  assert.ok(Math.abs(r.step - 0.004) < 1e-6);
});

Deno.test("ranking spec: Plot options draw one bar per row and the threshold rule", () => {
  const rows = rankRows(tiny(), { threshold: 0.5 });
  const o = rankingPlotOptions(rows, { metric: "m", threshold: 0.5 });
  assert.equal(o.marks?.length, 4);
  assert.deepEqual((o.x as { domain: number[] }).domain, [0, 5]);
});

Deno.test("ranking spec: validation names the bad field", () => {
  assert.throws(
    () => checkRankingState(tiny({ layerOf: new Int32Array([0, 0, 2, 1, 1]) })),
    /layerOf\[2\] is 2/,
  );
  assert.throws(() => checkRankingState(tiny({ unit: new Int32Array(3) })), RangeError);
  assert.throws(
    () => checkRankingState(tiny({ score: new Float32Array([0, NaN, 0, 0, 0]) })),
    /score\[1\] is NaN/,
  );
  assert.throws(
    () => checkRankingState({ ...tiny(), title: 3 } as unknown as RankingState),
    TypeError,
  );
});

Deno.test("ranking view: one bar per neuron, slider re-counts, click selects, labels stay text", () => {
  const state = sampleState();
  let picked = -1;
  const { doc, el, cleanup } = renderInto(render, state, { onSelect: (i: number) => (picked = i) });
  const bars = byTestId(el, "ranking-bar");
  assert.equal(bars.length, state.score.length);
  const passing = countPassing(state, 0.4).passing;
  assert.equal(bars.filter((b) => b.getAttribute("data-pass") === "1").length, passing);
  assert.match(one(el, "ranking-count").textContent!, new RegExp(`^${passing} of 96 `));
  slide(doc, one(el, "ranking-threshold"), 0.6);
  const after = countPassing(state, 0.6).passing;
  assert.ok(after < passing);
  assert.match(one(el, "ranking-count").textContent!, new RegExp(`^${after} of 96 `));
  assert.equal(
    byTestId(el, "ranking-bar").filter((b) => b.getAttribute("data-pass") === "1").length,
    after,
  );
  // Bars are sorted: the first bar is the best neuron.
  const first = byTestId(el, "ranking-bar")[0]!;
  const best = rankRows(state)[0]!.index;
  assert.equal(first.getAttribute("data-index"), String(best));
  fire(doc, first, "click");
  assert.equal(picked, best);
  assert.match(one(el, "ranking-selected").textContent!, /rank 1/);
  // Layer filter: only that layer's bars.
  const sel = one(el, "ranking-layer") as HTMLSelectElement;
  sel.querySelectorAll("option").forEach((o) => o.removeAttribute("selected"));
  sel.querySelectorAll("option")[2]!.setAttribute("selected", "");
  fire(doc, sel, "change");
  assert.equal(byTestId(el, "ranking-bar").length, 32);
  assertXssSafe(doc);
  cleanup();
  assert.equal(el.children.length, 0);
});
