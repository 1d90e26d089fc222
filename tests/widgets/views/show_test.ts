import assert from "node:assert/strict";
import {
  cardFromExplorer,
  deletionInsertionCurves,
  dissectionOverviewState,
  explorerState,
  galleryState,
  monitorState,
  overviewState,
  pruningState,
  rankingState,
  regionPerturbationCurves,
  show,
  statsRankingState,
} from "../../../widgets/show/mod.ts";
import { checkRankingState } from "../../../widgets/views/ranking/spec.ts";
import { checkExplorerState } from "../../../widgets/views/explorer/spec.ts";
import { checkGalleryState } from "../../../widgets/views/map_gallery/spec.ts";
import { checkCurvesState } from "../../../widgets/views/curves/spec.ts";
import { checkMonitorState } from "../../../widgets/views/training_monitor/spec.ts";
import { checkPruningState } from "../../../widgets/views/pruning/spec.ts";

const neuron = (unit: number, score: number, fill = 0) => ({
  unit,
  score,
  visualization: new Float32Array(4).fill(fill),
  shap: new Float32Array(4).fill(fill / 2),
});
// A NeuronIM-like result: layer c1 scores units 0..2, layer c2 units 1 and 3.
const im = {
  inputShape: [2, 2, 1] as [number, number, number],
  layers: [
    { layer: "c1", neurons: [neuron(0, 0.3, 0.1), neuron(1, 0.9, 0.2), neuron(2, 0.1, 0.3)] },
    { layer: "c2", neurons: [neuron(1, 0.5, 0.4), neuron(3, 0.7, 0.5)] },
  ],
};
// A dissection of c2 only (4 units × 2 concepts), c1 missing.
const dissection = {
  iouThreshold: 0.04,
  categories: ["colour"],
  concepts: [{ name: "red", category: "colour" }, { name: "disc", category: "shape" }],
  layers: [{ layer: "c2", units: 4, iou: new Float32Array([0, 0, 0.1, 0.2, 0, 0, 0.5, 0.01]) }],
};

Deno.test("show adapters: per-layer scores and neuron statistics to a ranking", () => {
  const s = checkRankingState(
    rankingState({ a: [0.5, 0.25], b: [1] }, { metric: "NeuronIM", threshold: 0.3 }),
  );
  assert.deepEqual([Array.from(s.layerOf), Array.from(s.unit), Array.from(s.score)], [[0, 0, 1], [
    0,
    1,
    0,
  ], [0.5, 0.25, 1]]);
  assert.equal(s.title, "NeuronIM ranking");
  assert.equal(s.threshold, 0.3);
  assert.throws(() => rankingState({ a: [1, NaN] }), /scores\["a"\]\[1\] is NaN/);
  assert.throws(() => rankingState({}), RangeError);
  const stats = [{
    layer: "a",
    mean: [1, 2],
    activeFraction: [0.5, 0.25],
    max: [3, 4],
    taylor: [0.125, 0.5],
  }];
  const t = statsRankingState(stats);
  assert.equal(t.metric, "Taylor importance");
  assert.deepEqual(Array.from(t.score), [0.125, 0.5]);
  assert.deepEqual(Array.from(statsRankingState(stats, { metric: "activeFraction" }).score), [
    0.5,
    0.25,
  ]);
  assert.throws(
    () => statsRankingState(stats, { metric: "median" as "mean" }),
    /Unknown neuron statistic "median"/,
  );
});

Deno.test("show adapters: NeuronIM + dissection to an overview, IoU rows matched by unit", () => {
  const s = overviewState(im, { dissection });
  assert.deepEqual(Array.from(s.unit), [0, 1, 2, 1, 3]);
  assert.deepEqual(s.categories, ["colour", "shape"]); // "shape" appended from the concepts
  assert.deepEqual(Array.from(s.conceptCategory!), [0, 1]);
  // c1 has no dissection: zeros; c2 unit 1 → row 1 [0.1, 0.2]; unit 3 → row 3 [0.5, 0.01].
  assert.deepEqual(Array.from(s.iou!), [
    0,
    0,
    0,
    0,
    0,
    0,
    Math.fround(0.1),
    Math.fround(0.2),
    0.5,
    Math.fround(0.01),
  ]);
  assert.equal(s.iouThreshold, 0.04);
});

Deno.test("show adapters: a dissection alone, scored by each unit's best IoU", () => {
  const s = dissectionOverviewState(dissection);
  assert.equal(s.metric, "best IoU");
  assert.deepEqual(s.layers, ["c2"]);
  assert.deepEqual(Array.from(s.score), [0, 0.2, 0, 0.5].map(Math.fround));
  assert.deepEqual(Array.from(s.iou!), Array.from(dissection.layers[0]!.iou));
  assert.throws(() => dissectionOverviewState({ ...dissection, layers: [] }), /no units/);
});

Deno.test("show adapters: explorer cards for the best and worst neurons, examples and histograms", () => {
  const data = {
    images: Float32Array.from({ length: 3 * 4 }, (_, i) => i),
    shape: [3, 2, 2, 1],
    names: ["x0", "x1", "x2"],
  };
  // c1: unit 1 best (indices 2 then 0); c2 units 1 and 3.
  const top = [{
    layer: "c1",
    units: 3,
    k: 2,
    indices: [0, 1, 2, 0, 1, 2],
    values: [9, 8, 7, 6, 5, 4],
  }];
  const histograms = [{
    layer: "c1",
    histograms: [0, 1, 2].map(() => ({ bins: 4, width: 0.5, lo: 2, counts: [0, 3, 1, 0] })),
  }];
  const s = checkExplorerState(
    explorerState(im, { dissection, cardsPerLayer: 2, top, data, examples: 2, histograms }),
  );
  // c1: the best (unit 1, neuron 1) and the worst (unit 2, neuron 2); c2: both (neurons 3, 4).
  assert.deepEqual(s.cards!.map((c) => c.neuron), [1, 2, 3, 4]);
  const c1 = s.cards![0]!;
  // Unit 1's examples: images 2 and 0.
  assert.deepEqual(Array.from(c1.examples!), [8, 9, 10, 11, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(c1.exampleScores!), [7, 6]);
  assert.deepEqual(c1.exampleLabels, ["x2", "x0"]);
  // Occupied bins 1..2 of lo = 2, width 0.5: edges 1.5, 2, 2.5.
  assert.deepEqual(Array.from(c1.histEdges!), [1.5, 2, 2.5]);
  assert.deepEqual(Array.from(c1.histCounts!), [3, 1]);
  assert.equal(s.cards![2]!.examples, undefined);
  const card = cardFromExplorer(s, "c2", 3);
  assert.equal(card.label, "red");
  assert.equal(card.iou, 0.5);
  assert.equal(card.title, "c2 · unit 3");
  assert.deepEqual(Array.from(card.featureViz!), [0.5, 0.5, 0.5, 0.5].map(Math.fround));
  assert.throws(() => cardFromExplorer(s, "c2", 0), /No neuron c2:0/);
  assert.throws(
    () => explorerState(im, { top, data: { ...data, shape: [3, 2, 2, 3] } }),
    /data images are 2×2×3/,
  );
});

Deno.test("show adapters: map results to a gallery (columns = methods, or layers of one method)", () => {
  const r = (method: string, layer: string | null, v: number) => ({
    method,
    layer,
    values: new Float32Array(3 * 4).fill(v),
    shape: [3, 2, 2],
    classes: new Int32Array([1, 0, 1]),
  });
  const g = checkGalleryState(
    galleryState([r("saliency", null, 0.25), r("gradCam", "conv2", 0.75)], {
      images: {
        images: new Float32Array(3 * 4 * 3),
        shape: [3, 2, 2, 3],
        classNames: ["cat", "dog"],
      },
      maxImages: 2,
    }),
  );
  assert.deepEqual(g.columnLabels, ["saliency", "gradCam"]);
  assert.deepEqual(g.rowLabels, ["image 0 · dog", "image 1 · cat"]);
  assert.deepEqual(g.imageShape, [2, 2, 3]);
  assert.deepEqual(Array.from(g.maps.subarray(0, 8)), [
    0.25,
    0.25,
    0.25,
    0.25,
    0.75,
    0.75,
    0.75,
    0.75,
  ]);
  assert.equal(g.images!.length, 2 * 4 * 3);
  const byLayer = galleryState([r("gradCam", "conv1", 0), r("gradCam", "conv2", 1)]);
  assert.equal(byLayer.columnKind, "layer");
  assert.deepEqual(byLayer.columnLabels, ["conv1", "conv2"]);
  assert.throws(
    () => galleryState([r("a", null, 0), { ...r("b", null, 0), shape: [3, 4, 1] }]),
    /b maps are \[3, 4, 1\]/,
  );
  assert.throws(() => galleryState([]), RangeError);
});

Deno.test("show adapters: region perturbation and deletion/insertion to curves", () => {
  const rp = regionPerturbationCurves({
    lrp: [
      { order: "morf", steps: 2, aopc: 0.5, meanCurve: new Float32Array([1, 0.5, 0]) },
      { order: "lerf", steps: 2, aopc: 0.1, meanCurve: new Float32Array([1, 1, 0.75]) },
    ],
    saliency: { order: "morf", steps: 2, aopc: 0.2, meanCurve: new Float32Array([1, 0.75, 0.5]) },
  });
  checkCurvesState(rp);
  assert.deepEqual(rp.curves.map((c) => `${c.method}/${c.kind}`), [
    "lrp/MoRF",
    "lrp/LeRF",
    "saliency/MoRF",
  ]);
  assert.deepEqual(Array.from(rp.curves[0]!.x!), [0, 1, 2]);
  // ABPC = mean(LeRF − MoRF) = (0 + 0.5 + 0.75) / 3.
  assert.equal(rp.scores!.length, 1);
  assert.ok(Math.abs(rp.scores![0]!.value - 1.25 / 3) < 1e-6);
  const di = deletionInsertionCurves({
    gradCam: {
      pixels: new Int32Array([0, 2, 4]),
      meanDeletion: new Float32Array([1, 0.5, 0]),
      meanInsertion: new Float32Array([0, 0.5, 1]),
      deletionAuc: 0.5,
      insertionAuc: 0.5,
      comprehensive: 0.125,
    },
  });
  checkCurvesState(di);
  assert.deepEqual(Array.from(di.curves[0]!.x!), [0, 0.5, 1]);
  assert.deepEqual(di.scores, [{ method: "gradCam", name: "comprehensive ×100", value: 12.5 }]);
});

Deno.test("show adapters: monitor snapshots and a pruning report", () => {
  const snap = (epoch: number, layers: string[]) => ({
    epoch,
    probes: {
      layers: layers.map((layer, i) => ({
        layer,
        trainAccuracy: 0.5 + i / 4,
        testAccuracy: 0.25 + i / 4,
      })),
    },
    correlation: [{
      layer: "a",
      channels: 2,
      matrix: new Float64Array([1, 0.5, 0.5, 1]),
      order: [1, 0],
    }],
    importance: [{
      layer: "a",
      lossIncrease: new Float64Array([0.5, 0.25]),
      accuracyDrop: new Float64Array([0.1, 0]),
      l1: null,
      taylor: new Float64Array([1, 2]),
    }],
  });
  const m = checkMonitorState(monitorState([snap(2, ["a", "b"]), snap(1, ["a"])]));
  assert.deepEqual(Array.from(m.epochs), [1, 2]);
  assert.deepEqual(Array.from(m.testAccuracy), [0.25, NaN, 0.25, 0.5]);
  assert.equal(m.correlations!.length, 2);
  assert.deepEqual(Array.from(m.correlations![0]!.order!), [1, 0]);
  assert.equal(m.importance![0]!.l1, undefined);
  assert.deepEqual(Array.from(m.importance![0]!.taylor!), [1, 2]);
  const p = checkPruningState(pruningState({
    layers: ["c1", "c2"],
    ratios: [0, 0.5],
    curves: [
      { ranking: "l1", accuracy: [1, 0.5], loss: [0.1, 1], accuracyStd: null, lossStd: null },
      {
        ranking: "random",
        accuracy: [1, 0.25],
        loss: [0.1, 2],
        accuracyStd: [0, 0.125],
        lossStd: [0, 0.5],
      },
    ],
  }));
  assert.equal(p.title, "Pruning c1, c2");
  assert.equal(p.series[0]!.accuracyStd, undefined);
  assert.deepEqual(Array.from(p.series[1]!.accuracyStd!), [0, 0.125]);
});

Deno.test("show helpers: a widget outside Jupyter, with its static fallback drawn by the view", async () => {
  const w = await show.ranking(im);
  assert.equal(w.view, "ranking");
  assert.equal(w.title, "NeuronIM ranking");
  assert.equal((w.fallbackHtml().match(/data-testid="ranking-bar"/g) ?? []).length, 5);
  await assert.rejects(() => show.curves({ x: { nothing: 1 } as never }), /show\.curves expects/);
});
