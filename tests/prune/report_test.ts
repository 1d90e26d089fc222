import assert from "node:assert/strict";
import type { PruningCurve, PruningReport } from "../../engine/prune/curves.ts";
import { areaUnderCurve, comparePruning, formatPruning } from "../../engine/prune/report.ts";

function curve(ranking: string, runs: number[][]): PruningCurve {
  const mean = runs[0]!.map((_, j) => runs.reduce((s, r) => s + r[j]!, 0) / runs.length);
  return {
    ranking,
    ratios: [0, 0.5, 0.9],
    accuracy: mean,
    loss: mean.map((a) => 1 - a),
    accuracyStd: runs.length > 1 ? mean.map(() => 0.01) : null,
    lossStd: runs.length > 1 ? mean.map(() => 0.01) : null,
    accuracyByRepeat: runs,
    lossByRepeat: runs.map((r) => r.map((a) => 1 - a)),
    repeats: runs.length,
    orders: {},
  };
}

function report(curves: PruningCurve[]): PruningReport {
  return {
    model: "toy",
    layers: ["c"],
    units: [8],
    images: 100,
    ratios: [0, 0.5, 0.9],
    baseline: { accuracy: 0.9, loss: 0.1 },
    curves,
    seconds: 2,
  };
}

Deno.test("areaUnderCurve: hand-worked trapezoids, normalised by the span, any x order", () => {
  // (0, 1) → (0.5, 0.8) → (0.9, 0.4): 0.5·0.9 + 0.4·0.6 = 0.69, / 0.9.
  assert.ok(Math.abs(areaUnderCurve([0, 0.5, 0.9], [1, 0.8, 0.4]) - 0.69 / 0.9) < 1e-12);
  assert.ok(Math.abs(areaUnderCurve([0.9, 0, 0.5], [0.4, 1, 0.8]) - 0.69 / 0.9) < 1e-12);
  assert.equal(areaUnderCurve([0.3], [0.7]), 0.7);
  assert.throws(() => areaUnderCurve([0, 1], [1]), RangeError);
  assert.throws(() => areaUnderCurve([], []), RangeError);
});

Deno.test("comparePruning answers the NeuronIM question with areas, std over repeats and a sentence", () => {
  const r = report([
    curve("neuronImAscending", [[0.9, 0.8, 0.6]]),
    curve("neuronImDescending", [[0.9, 0.6, 0.3]]),
    curve("l1", [[0.9, 0.7, 0.5]]),
    curve("random", [[0.9, 0.7, 0.4], [0.9, 0.5, 0.2]]),
  ]);
  const c = comparePruning(r);
  // asc: (0.5·1.7 + 0.4·1.4)/2/0.9 = 0.78333; desc: (0.5·1.5 + 0.4·0.9)/2/0.9 = 0.61667.
  assert.ok(Math.abs(c.areas[0]!.accuracyArea - 1.41 / 1.8) < 1e-12);
  assert.ok(Math.abs(c.areas[1]!.accuracyArea - 1.11 / 1.8) < 1e-12);
  assert.ok(Math.abs(c.lowFirstAdvantage! - 0.3 / 1.8) < 1e-12);
  // random repeats: areas (0.5·1.6 + 0.4·1.1)/1.8 and (0.5·1.4 + 0.4·0.7)/1.8; sample std.
  const ra = [1.24 / 1.8, 0.98 / 1.8];
  const std = Math.abs(ra[0]! - ra[1]!) / Math.SQRT2;
  assert.ok(Math.abs(c.areas[3]!.accuracyAreaStd! - std) < 1e-12);
  assert.equal(c.areas[2]!.accuracyAreaStd, null);
  assert.match(c.verdict, /cost less accuracy than pruning high-NeuronIM/);
  // 16.7 points apart; random areas 68.9 and 54.4 (σ = 10.21, 2 repeats → t(0.975, 1) = 12.706):
  // bar 12.706·√2·σ = 12.706 · 0.14444 = 183.53 points, not clear.
  assert.match(
    c.verdict,
    /within the noise between two independent random orders \(95 % bound 183\.53/,
  );
  assert.ok(Math.abs(c.noiseBar! - 12.706 * Math.SQRT2 * std) < 1e-12);
  assert.equal(c.nullGaps, null);
  assert.match(c.verdict, /l1 /);
  const worse = comparePruning(report([
    curve("neuronImAscending", [[0.9, 0.5, 0.3]]),
    curve("neuronImDescending", [[0.9, 0.8, 0.6]]),
  ]));
  assert.ok(worse.lowFirstAdvantage! < 0);
  assert.match(worse.verdict, /cost MORE accuracy/);
  const clear = comparePruning(report([
    curve("neuronImAscending", [[0.9, 0.9, 0.8]]),
    curve("neuronImDescending", [[0.9, 0.4, 0.1]]),
    curve("random", [[0.9, 0.7, 0.4], [0.9, 0.7, 0.42]]),
  ]));
  assert.match(clear.verdict, /a gap beyond the noise between two independent random orders/);
  // With reversals the yardstick is t(0.975, n) × RMS of random-vs-reversed gaps:
  // repeat 0: 1.24/1.8 − (0.5·1.5 + 0.4·0.9)/1.8 = 0.13/1.8; repeat 1: 0.98/1.8 − 0.98/1.8 = 0.
  const paired = comparePruning(report([
    curve("neuronImAscending", [[0.9, 0.8, 0.6]]),
    curve("neuronImDescending", [[0.9, 0.6, 0.3]]),
    curve("random", [[0.9, 0.7, 0.4], [0.9, 0.5, 0.2]]),
    curve("randomReversed", [[0.9, 0.6, 0.3], [0.9, 0.5, 0.2]]),
  ]));
  assert.ok(Math.abs(paired.nullGaps![0]! - 0.13 / 1.8) < 1e-12);
  assert.ok(Math.abs(paired.nullGaps![1]!) < 1e-12);
  // t(0.975, 2) = 4.303: bar 4.303 · RMS = 21.97 points > gap 0.3/1.8 = 16.67 points.
  assert.ok(Math.abs(paired.noiseBar! - 4.303 * Math.sqrt((0.13 / 1.8) ** 2 / 2)) < 1e-12);
  assert.match(
    paired.verdict,
    /within the noise of random orders against their own reversals \(95 % of such chance gaps are below 21\.97 points, from 2 random repeats\), so it is not a clear effect\./,
  );
  const pairedClear = comparePruning(report([
    curve("neuronImAscending", [[0.9, 0.9, 0.9]]),
    curve("neuronImDescending", [[0.9, 0.3, 0.1]]),
    curve("random", [[0.9, 0.7, 0.4], [0.9, 0.5, 0.2]]),
    curve("randomReversed", [[0.9, 0.6, 0.3], [0.9, 0.5, 0.2]]),
  ]));
  assert.match(
    pairedClear.verdict,
    /a gap beyond the noise of random orders against their own reversals/,
  );
  assert.match(worse.verdict, /no random repeats to judge the noise/);
  const none = comparePruning(report([curve("l1", [[0.9, 0.7, 0.5]])]));
  assert.equal(none.lowFirstAdvantage, null);
  assert.match(none.verdict, /not tested/);
});

Deno.test("formatPruning prints accuracy and loss per ratio and ranking, ± std for random", () => {
  const text = formatPruning(report([
    curve("l1", [[0.9, 0.7, 0.5]]),
    curve("random", [[0.9, 0.7, 0.4], [0.9, 0.5, 0.2]]),
  ]));
  assert.match(text, /Pruning toy \[c \(8 units\)\] on 100 images/);
  assert.match(text, /Accuracy \(%\)/);
  assert.match(text, /90 %\s+50\.00\s+30\.00 ±1\.00/);
  assert.match(text, /Loss \(cross-entropy\)/);
  assert.match(text, /Area under the accuracy curve/);
});
