/**
 * NeuronIM and LayerIM: a hand-weighted linear neuron whose SHAP image is its
 * visualisation (score 1 for every measure), determinism under a seed, all
 * conv layers in one call, the top-images option, errors, and one
 * integration run of the real feature visualisation.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import type { ImageSet } from "../../engine/data/types.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import {
  layerIM,
  layerIMStats,
  neuronIM,
  rankByNeuronIM,
  type Visualizations,
} from "../../engine/neurons/neuron_im.ts";
import { greyLevel, mapSimilarity } from "../../engine/neurons/similarity.ts";
import { vggLike } from "../_nets.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

/** Input [4, 4, 1] → 1×1 conv "pix" with weights 2 and −0.5 (linear) → GAP → dense head. */
function pixelNet(): Net {
  const model = tfl.sequential({
    name: "pixel_net",
    layers: [
      tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: "pix" }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({ units: 2, name: "logits" }),
    ],
  });
  const kernel = tf.tensor4d([2, -0.5], [1, 1, 1, 2]);
  const bias = tf.tensor1d([0.1, 0.3]);
  model.getLayer("pix").setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return wrapModel(model);
}

function dataSet(n: number, shape: [number, number, number], f: (i: number) => number): ImageSet {
  const size = shape[0] * shape[1] * shape[2];
  return {
    name: "test-set",
    images: Float32Array.from({ length: n * size }, (_, i) => f(i)),
    shape: [n, ...shape],
    labels: new Int32Array(n),
    classNames: ["a", "b"],
  };
}

/** Deterministic pseudo-random values in [0, 1). */
const noise = (seed: number) => (i: number) => {
  const x = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
  return x - Math.floor(x);
};

Deno.test("linear 1×1 neuron, zero background: SHAP image = visualisation, NeuronIM = 1", async () => {
  const net = pixelNet();
  // Background from an all-zero data set: φ = w·x/16 exactly (a linear neuron's
  // gradient is w/16 everywhere, whatever α), so the SHAP image is |w|·x/16,
  // min–max normalised = x normalised = the grey level of x. Every measure → 1.
  const data = dataSet(3, [4, 4, 1], () => 0);
  const viz: Visualizations = {
    units: [0, 1],
    images: Float32Array.from({ length: 32 }, (_, i) => ((i * 7) % 16) / 15),
    shape: [2, 4, 4, 1],
  };
  const before = tf.memory().numTensors;
  for (const similarity of ["ssim", "pearson", "cosine"] as const) {
    const im = await neuronIM(net, data, { visualizations: { pix: viz }, n: 3, similarity });
    assert.equal(im.layers.length, 1);
    const [layer] = im.layers;
    assert.equal(layer!.layer, "pix");
    assert.equal(layer!.featureViz, null, "visualisations were given");
    for (const [i, r] of layer!.neurons.entries()) {
      assert.equal(r.unit, i);
      assert.ok(Math.abs(r.score - 1) < 1e-5, `${similarity} unit ${i}: ${r.score}`);
      assert.deepEqual([...r.visualization], [...viz.images.subarray(i * 16, i * 16 + 16)]);
      const grey = greyLevel(r.visualization, [4, 4, 1]);
      r.shap.forEach((v, p) => assert.ok(Math.abs(v - grey[p]!) < 1e-5, `pixel ${p}`));
    }
    // Activations: mean over pixels of w·x + b; unit 0 = 2·mean(x) + 0.1.
    const mean0 = viz.images.subarray(0, 16).reduce((a, b) => a + b, 0) / 16;
    assert.ok(Math.abs(layer!.neurons[0]!.activation - (2 * mean0 + 0.1)) < 1e-5);
    assert.equal(layer!.layerIM.count, 2);
    assert.ok(Math.abs(layer!.layerIM.mean - 1) < 1e-5);
  }
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  net.model.dispose();
});

/** Precomputed stand-in visualisations of every unit of vggLike's conv layers. */
function vggVisualizations(): Record<string, Visualizations> {
  return {
    conv1: {
      units: [0, 1, 2, 3],
      images: Float32Array.from({ length: 4 * 144 }, (_, i) => noise(1)(i)),
      shape: [4, 12, 12, 1],
    },
    conv2: {
      units: [0, 1, 2, 3, 4, 5],
      images: Float32Array.from({ length: 6 * 144 }, (_, i) => noise(2)(i)),
      shape: [6, 12, 12, 1],
    },
  };
}

Deno.test("all conv layers in one call; same seed → identical scores; LayerIM and ranking", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const data = dataSet(12, [12, 12, 1], noise(3));
  const visualizations = vggVisualizations();
  const progress: number[] = [];
  const before = tf.memory().numTensors;
  const options = { visualizations, n: 4, backgroundSize: 5, seed: 3, batchSize: 16 };
  const a = await neuronIM(net, data, {
    ...options,
    onProgress: (done, total) => progress.push(done / total),
  });
  const b = await neuronIM(net, data, options);
  const c = await neuronIM(net, data, { ...options, seed: 4 });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");

  assert.deepEqual(a.layers.map((l) => l.layer), ["conv1", "conv2"]);
  assert.deepEqual(a.layers.map((l) => l.neurons.length), [4, 6]);
  const scores = (r: typeof a) => r.layers.flatMap((l) => l.neurons.map((n) => n.score));
  assert.deepEqual(scores(a), scores(b), "same seed, same scores");
  assert.notDeepEqual(scores(a), scores(c), "another seed draws another background");
  assert.deepEqual([...a.inputs.backgroundIndices], [...b.inputs.backgroundIndices]);
  assert.equal(a.inputs.backgroundIndices.length, 5);
  assert.equal(new Set(a.inputs.backgroundIndices).size, 5, "drawn without replacement");
  assert.equal(a.inputs.seed, 3);
  assert.equal(a.inputs.similarity, "ssim");
  assert.deepEqual(a.inputs.layers, ["conv1", "conv2"]);

  for (const layer of a.layers) {
    for (const r of layer.neurons) {
      const expected = mapSimilarity(
        { values: greyLevel(r.visualization, [12, 12, 1]), shape: [12, 12] },
        { values: r.shap, shape: [12, 12] },
      );
      assert.equal(r.score, expected, "score = SSIM(grey visualisation, SHAP image)");
      assert.ok(r.score > -1 && r.score <= 1);
    }
    assert.deepEqual(layer.layerIM, layerIMStats(layer.neurons.map((r) => r.score)));
  }
  assert.deepEqual(
    layerIM(a).map((r) => [r.layer, r.mean]),
    a.layers.map((l) => [l.layer, l.layerIM.mean]),
  );
  const ranking = rankByNeuronIM(a);
  assert.equal(ranking.length, 10);
  for (let i = 1; i < ranking.length; i++) assert.ok(ranking[i - 1]!.score >= ranking[i]!.score);

  assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p >= progress[i - 1]!));
  assert.equal(progress.at(-1), 1);
  model.dispose();
});

Deno.test("LayerIM statistics by hand", () => {
  // Sorted 0.1, 0.2, 0.4, 0.7: mean 0.35; median (0.2 + 0.4)/2 = 0.3;
  // q25 at position 0.75 → 0.1 + 0.75·0.1 = 0.175; q75 at 2.25 → 0.4 + 0.25·0.3 = 0.475;
  // variance (0.0625 + 0.0225 + 0.0025 + 0.1225)/4 = 0.0525.
  const s = layerIMStats([0.4, 0.1, 0.7, 0.2]);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(s.mean, 0.35);
  close(s.median, 0.3);
  close(s.q25, 0.175);
  close(s.q75, 0.475);
  close(s.std, Math.sqrt(0.0525));
  assert.deepEqual([s.min, s.max, s.count], [0.1, 0.7, 4]);
  assert.throws(() => layerIMStats([]), RangeError);
  assert.throws(() => layerIMStats([0.1, NaN]), TypeError);
});

Deno.test("explainAt topImages and other measures", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const data = dataSet(6, [12, 12, 1], noise(5));
  const before = tf.memory().numTensors;
  const im = await neuronIM(net, data, {
    layers: ["conv2"],
    units: { conv2: [1, 4] },
    visualizations: vggVisualizations(),
    explainAt: "topImages",
    topImages: 2,
    similarity: "pearson",
    n: 3,
  });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  const [layer] = im.layers;
  assert.deepEqual(layer!.neurons.map((r) => r.unit), [1, 4]);
  for (const r of layer!.neurons) {
    assert.equal(r.topImages!.length, 2);
    for (const i of r.topImages!) assert.ok(i >= 0 && i < 6);
    assert.ok(r.score >= -1 && r.score <= 1);
  }
  assert.equal(im.inputs.explainAt, "topImages");
  model.dispose();
});

Deno.test("errors: dense layer, unit out of range, empty or misshapen data, bad visualisation", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const data = dataSet(4, [12, 12, 1], noise(6));
  const visualizations = vggVisualizations();
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => neuronIM(net, data, { layers: ["fc"], visualizations }),
    (e: Error) => e instanceof TypeError && /"fc".*not a convolution.*conv1, conv2/.test(e.message),
  );
  await assert.rejects(
    () => neuronIM(net, data, { layers: ["conv2"], units: { conv2: [6] }, visualizations }),
    (e: Error) => e instanceof RangeError && /Unit 6 is out of range.*0\.\.5/.test(e.message),
  );
  await assert.rejects(
    () => neuronIM(net, dataSet(0, [12, 12, 1], () => 0), { visualizations }),
    (e: Error) => e instanceof RangeError && /holds no image/.test(e.message),
  );
  await assert.rejects(
    () => neuronIM(net, dataSet(2, [8, 8, 1], () => 0), { visualizations }),
    (e: Error) => e instanceof RangeError && /\[2, 8, 8, 1\].*\[N, 12, 12, 1\]/.test(e.message),
  );
  await assert.rejects(
    () =>
      neuronIM(net, data, {
        layers: ["conv1"],
        visualizations: { conv1: { ...visualizations.conv1!, shape: [4, 12, 12, 3] } },
      }),
    (e: Error) => e instanceof RangeError && /visualizations\.conv1 has shape/.test(e.message),
  );
  await assert.rejects(
    () =>
      neuronIM(net, data, {
        layers: ["conv1"],
        units: { conv1: [1] },
        visualizations: { conv1: { ...visualizations.conv1!, units: [0, 2, 3, 3] } },
      }),
    (e: Error) => e instanceof RangeError && /no image of unit 1/.test(e.message),
  );
  await assert.rejects(
    () => neuronIM(net, data, { visualizations, similarity: "mse" as "ssim" }),
    (e: Error) => e instanceof RangeError && /"mse"/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before, "no tensors leak on errors");
  model.dispose();
});

Deno.test("integration: real feature visualisations, few steps", async () => {
  const model = vggLike(1);
  const net = wrapModel(model);
  const data = dataSet(6, [12, 12, 1], noise(7));
  const before = tf.memory().numTensors;
  const options = {
    layers: ["conv2"],
    units: { conv2: [0, 3] },
    featureViz: { steps: 4 },
    n: 3,
    seed: 2,
  };
  const im = await neuronIM(net, data, options);
  const again = await neuronIM(net, data, options);
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  const scores = (r: typeof im) => r.layers[0]!.neurons.map((n) => n.score);
  assert.deepEqual(scores(again), scores(im), "same seed, same visualisations and scores");
  const [layer] = im.layers;
  assert.ok(layer!.featureViz !== null && layer!.featureViz.steps === 4);
  for (const r of layer!.neurons) {
    assert.equal(r.visualization.length, 144);
    for (const v of r.visualization) assert.ok(v >= 0 && v <= 1);
    assert.ok(Number.isFinite(r.score) && Number.isFinite(r.activation));
  }
  model.dispose();
});
