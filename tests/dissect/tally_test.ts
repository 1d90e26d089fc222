import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import type { ConceptSet } from "../../engine/data/types.ts";
import { runNet } from "../../engine/net/executor.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import { createRng } from "../../engine/random.ts";
import { exactQuantiles } from "../../engine/stats/quantile.ts";
import { dissect, formatDissection, summarizeDissection } from "../../engine/dissect/dissect.ts";

await useBackend("wasm", { quiet: true });

const N = 6, H = 8, W = 8, K = 4;
const CONCEPTS = [
  { id: 0, name: "a0", category: "a" },
  { id: 1, name: "a1", category: "a" },
  { id: 2, name: "a2", category: "a" },
  { id: 3, name: "b0", category: "b" },
  { id: 4, name: "b1", category: "b" },
  { id: 5, name: "never", category: "b" },
];

function tinyNet(): Net {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "conv",
        inputShape: [H, W, 3],
        filters: K,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
        biasInitializer: tfl.initializers.constant({ value: 0.05 }),
      }),
      tfl.layers.flatten({}),
      tfl.layers.dense({
        units: 2,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
      }),
    ],
  });
  return wrapModel(model);
}

function randomProbe(seed: number): ConceptSet {
  const rng = createRng(seed);
  const px = H * W;
  const a = new Int16Array(N * px), b = new Int16Array(N * px), b1 = new Int16Array(N * px);
  for (let p = 0; p < N * px; p++) {
    const n = Math.floor(p / px);
    a[p] = n === 2 ? -1 : rng.int(4) - 1; // image 2: category a not annotated
    b[p] = rng.next() < 0.5 ? -1 : 3 + rng.int(2);
    b1[p] = rng.next() < 0.8 ? -1 : 3 + rng.int(2); // a second, overlapping layer of b
  }
  return {
    name: "random",
    images: Float32Array.from({ length: N * px * 3 }, () => rng.next()),
    shape: [N, H, W, 3],
    labels: new Int32Array(N),
    classNames: ["x", "y"],
    concepts: CONCEPTS,
    labelMaps: { a, b, "b#1": b1 },
  };
}

/** Bilinear, half-pixel centres, clamped: the upsampling rule of METHODS.md, per pixel in JS. */
function upsample(act: Float32Array, n: number, h: number, w: number, k: number, unit: number) {
  const out = new Float32Array(H * W);
  const sy = h / H, sx = w / W;
  const at = (y: number, x: number) => act[((n * h + y) * w + x) * k + unit]!;
  for (let y = 0; y < H; y++) {
    const fy = (y + 0.5) * sy - 0.5, y0 = Math.floor(fy), dy = fy - y0;
    const ya = Math.min(h - 1, Math.max(0, y0)), yb = Math.min(h - 1, Math.max(0, y0 + 1));
    for (let x = 0; x < W; x++) {
      const fx = (x + 0.5) * sx - 0.5, x0 = Math.floor(fx), dx = fx - x0;
      const xa = Math.min(w - 1, Math.max(0, x0)), xb = Math.min(w - 1, Math.max(0, x0 + 1));
      const top = at(ya, xa) * (1 - dx) + at(ya, xb) * dx;
      const bottom = at(yb, xa) * (1 - dx) + at(yb, xb) * dx;
      out[y * W + x] = top * (1 - dy) + bottom * dy;
    }
  }
  return out;
}

Deno.test("IoU equals a brute-force per-pixel count (upsampling, two batches, overlapping layers, unannotated images)", async () => {
  const net = tinyNet();
  const probe = randomProbe(11);
  const before = tf.memory().numTensors;
  const r = await dissect(net, probe, { exact: true, batchSize: 4, emptyConcepts: "skip" });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.skippedConcepts, ["never"]);
  assert.deepEqual(r.categories, ["a", "b"]);
  assert.deepEqual(r.concepts.map((c) => c.name), ["a0", "a1", "a2", "b0", "b1"]);

  const x = tf.tensor4d(probe.images, probe.shape);
  const { output, captured } = runNet(net, x, { capture: ["conv"], skipOutput: true });
  const act = (await captured.conv!.data()) as Float32Array;
  const [, h, w] = captured.conv!.shape as number[];
  tf.dispose([x, output, captured.conv!]);

  // Thresholds: the exact 0.995 quantile over every position of every image.
  const cols = Array.from({ length: K }, (_, k) => act.filter((_, i) => i % K === k));
  assert.deepEqual(Array.from(r.layers[0]!.thresholds), Array.from(exactQuantiles(cols, 0.995)));

  const T = r.layers[0]!.thresholds;
  const maps = probe.labelMaps as Record<string, Int16Array>;
  const keysOf = (cat: string) => Object.keys(maps).filter((k) => k.split("#")[0] === cat);
  let detectorsSeen = 0;
  r.concepts.forEach((concept, c) => {
    const id = CONCEPTS.find((x) => x.name === concept.name)!.id;
    const keys = keysOf(concept.category);
    for (let k = 0; k < K; k++) {
      let inter = 0, union = 0;
      for (let n = 0; n < N; n++) {
        const annotated = keys.some((key) =>
          maps[key]!.subarray(n * H * W, (n + 1) * H * W).some((v) => v >= 0)
        );
        const s = upsample(act, n, h!, w!, K, k);
        for (let p = 0; p < H * W; p++) {
          const m = s[p]! > Math.fround(T[k]!);
          const l = keys.some((key) => maps[key]![n * H * W + p] === id);
          if (m && l) inter++;
          if (annotated && (m || l)) union++;
        }
      }
      const expected = union > 0 ? Math.fround(inter / union) : 0;
      assert.equal(
        r.layers[0]!.iou[k * r.concepts.length + c],
        expected,
        `unit ${k} × ${concept.name}`,
      );
      if (expected > 0) detectorsSeen++;
    }
  });
  assert.ok(detectorsSeen > 0, "the random data should give some overlap");

  // Labels are the arg-max; summaries recount at any threshold.
  const atZero = summarizeDissection(r, 0)[0]!;
  assert.equal(atZero.detectors, r.layers[0]!.labels.filter((u) => u.iou > 0).length);
  assert.equal(summarizeDissection(r, 1)[0]!.detectors, 0);
  assert.match(formatDissection(r), /conv/);
  net.model.dispose();
});

Deno.test("sketch thresholds stay within their stated bound of the exact ones", async () => {
  const net = tinyNet();
  const probe = randomProbe(5);
  const exact = await dissect(net, probe, { exact: true, emptyConcepts: "skip" });
  const approx = await dissect(net, probe, { batchSize: 2, emptyConcepts: "skip", bins: 512 });
  for (let k = 0; k < K; k++) {
    const d = Math.abs(exact.layers[0]!.thresholds[k]! - approx.layers[0]!.thresholds[k]!);
    // Both bracket the same order statistics; allow one bin width plus the gap between them.
    assert.ok(approx.layers[0]!.thresholdError[k]! > 0);
    assert.ok(d <= 0.05, `unit ${k}: ${d}`);
  }
  net.model.dispose();
});

Deno.test("bad probe data: mask size mismatch, empty concept, unknown category", async () => {
  const net = tinyNet();
  const probe = randomProbe(2);
  await assert.rejects(
    () =>
      dissect(net, { ...probe, labelMaps: { ...probe.labelMaps, a: new Int16Array(N * 4 * 4) } }),
    (e: Error) =>
      e instanceof RangeError && /label map "a"/.test(e.message) && /\[8, 8\]/.test(e.message),
  );
  await assert.rejects(
    () => dissect(net, probe),
    (e: Error) =>
      e instanceof RangeError && /never \(b\)/.test(e.message) && /emptyConcepts/.test(e.message),
  );
  await assert.rejects(() => dissect(net, probe, { categories: ["zzz"] }), /category zzz/);
  await assert.rejects(() => dissect(net, probe, { layers: ["nope"] }), RangeError);
  const bad = {
    ...probe,
    labelMaps: { ...probe.labelMaps, a: probe.labelMaps.a!.map((v, i) => (i === 7 ? 99 : v)) },
  };
  await assert.rejects(() => dissect(net, bad), /id 99 at pixel 7/);
  net.model.dispose();
});
