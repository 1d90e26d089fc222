import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import type { ConceptSet } from "../../engine/data/types.ts";
import {
  mergeTallies,
  planTally,
  tallyBatch,
  type TallyLayer,
} from "../../engine/dissect/tally.ts";
import { CONCEPTS, H, N, PX, tallyProbe, W } from "./_tally_probe.ts";

await useBackend("wasm", { quiet: true });

// The tally keeps only the pixel rows where some unit is on and multiplies
// those; this checks it against the full dense product, counted in JS from
// the device's own upsampled, thresholded maps (so no float question arises).

const SHAPES = [[8, 8, 2], [4, 4, 3], [3, 3, 2]] as const; // same size, ×2, ×8/3
const probe = (seed: number) => tallyProbe(seed, "rows");

function activations(seed: number): tf.Tensor4D[] {
  return SHAPES.map(([h, w, k], i) => tf.randomUniform([N, h, w, k], 0, 1, "float32", seed + i));
}

/** Σ over pixels of the dense M [P × K] against every concept column and category. */
async function dense(layer: TallyLayer, shard: ConceptSet, plan: ReturnType<typeof planTally>) {
  const k = layer.activations.shape[3]!;
  const m = tf.tidy(() => {
    const low = tf.sub(layer.activations, tf.tensor1d(Float32Array.from(layer.thresholds)));
    return tf.step(tf.image.resizeBilinear(low as tf.Tensor4D, [H, W], false, true));
  });
  const on = await m.data();
  m.dispose();
  const cols = plan.conceptIds.length, g = plan.categories.length;
  const inter = new Float64Array(k * cols), area = new Float64Array(g * k);
  const conceptArea = new Float64Array(cols);
  const maps = Object.entries(shard.labelMaps) as [string, Int16Array][];
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < g; gi++) {
      const mine = maps.filter(([key]) => key.split("#")[0] === plan.categories[gi]);
      const annotated = mine.some(([, map]) =>
        map.subarray(n * PX, (n + 1) * PX).some((v) => v >= 0)
      );
      for (let x = n * PX; x < (n + 1) * PX; x++) {
        const ids = new Set(mine.map(([, map]) => map[x]!).filter((v) => v >= 0));
        for (const id of ids) {
          const c = plan.column[id]!;
          conceptArea[c]!++;
          for (let u = 0; u < k; u++) if (on[x * k + u]) inter[u * cols + c]!++;
        }
        if (annotated) { for (let u = 0; u < k; u++) if (on[x * k + u]) area[gi * k + u]!++; }
      }
    }
  }
  return { inter, area, conceptArea };
}

Deno.test("the tally over the kept rows equals the dense product, for any share of rows on", async () => {
  const shard = probe(3);
  const plan = planTally(CONCEPTS, ["a", "b"]);
  const acts = activations(7);
  const before = tf.memory().numTensors;
  // Thresholds giving no unit on, a few, about half, and every unit everywhere.
  for (const level of [2, 0.9, 0.5, -1]) {
    const layers = acts.map((a, i) => ({
      layer: `l${i}`,
      activations: a,
      thresholds: new Float32Array(a.shape[3]!).fill(level),
    }));
    const tallies = await tallyBatch(layers, shard, plan);
    for (let i = 0; i < layers.length; i++) {
      const want = await dense(layers[i]!, shard, plan);
      const t = tallies[i]!;
      assert.equal(t.images, N);
      assert.deepEqual(Array.from(t.intersection), Array.from(want.inter), `l${i} at ${level}`);
      assert.deepEqual(Array.from(t.unitArea), Array.from(want.area), `l${i} at ${level}`);
      assert.deepEqual(Array.from(t.conceptArea), Array.from(want.conceptArea));
      if (level === 2) assert.ok(t.intersection.every((v) => v === 0));
    }
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(acts);
});

Deno.test("tallies of two halves merge into the tally of the whole batch", async () => {
  const shard = probe(9);
  const plan = planTally(CONCEPTS, ["a", "b"]);
  const acts = activations(21);
  const layers = (xs: tf.Tensor4D[]) =>
    xs.map((a, i) => ({
      layer: `l${i}`,
      activations: a,
      thresholds: new Float32Array(a.shape[3]!).fill(0.7),
    }));
  const whole = await tallyBatch(layers(acts), shard, plan);
  const half = (from: number, to: number) => ({
    ...shard,
    shape: [to - from, H, W, 1] as [number, number, number, number],
    labelMaps: Object.fromEntries(
      Object.entries(shard.labelMaps).map((
        [k, m],
      ) => [k, (m as Int16Array).subarray(from * PX, to * PX)]),
    ),
  });
  const first = acts.map((a) => tf.slice(a, [0, 0, 0, 0], [1, -1, -1, -1]));
  const rest = acts.map((a) => tf.slice(a, [1, 0, 0, 0], [N - 1, -1, -1, -1]));
  const p1 = await tallyBatch(layers(first), half(0, 1), plan);
  const p2 = await tallyBatch(layers(rest), half(1, N), plan);
  whole.forEach((t, i) => {
    const m = mergeTallies(p1[i]!, p2[i]!);
    assert.deepEqual(m.intersection, t.intersection);
    assert.deepEqual(m.unitArea, t.unitArea);
    assert.deepEqual(m.conceptArea, t.conceptArea);
  });
  tf.dispose([...acts, ...first, ...rest]);
});
