import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { scenes } from "../../engine/data/scenes.ts";
import { type LayerTally, planTally, tallyBatch } from "../../engine/dissect/tally.ts";
import { runNet } from "../../engine/net/executor.ts";
import { convLayers } from "../../engine/net/net.ts";
import { createRng } from "../../engine/random.ts";
import { exactQuantiles } from "../../engine/stats/quantile.ts";
import { loadDefaultNet } from "../../engine/train/default_models.ts";
import { CONCEPTS, N, tallyProbe } from "./_tally_probe.ts";

await useBackend("wasm", { quiet: true });

// On WASM, layers whose K is a multiple of 4 go through the SIMD kernel
// (engine/kernels/_simd_dissect.ts), the others through tf ops; the counts
// must be the same integers either way, and the same as on the CPU backend.

const SHAPES = [[8, 8, 4], [4, 4, 36], [3, 3, 8], [4, 4, 3]] as const;
const probe = (seed: number) => tallyProbe(seed, "simd");

/** Activations as plain arrays (the same values on every backend), a quarter exactly 0. */
function values(seed: number): Float32Array[] {
  const rng = createRng(seed);
  return SHAPES.map(([h, w, k]) =>
    Float32Array.from({ length: N * h * w * k }, () => Math.max(0, rng.next() * 1.33 - 0.33))
  );
}

async function tallies(data: Float32Array[], level: number, simd: boolean) {
  const acts = data.map((v, i) => tf.tensor4d(v, [N, ...SHAPES[i]!]));
  try {
    return await tallyBatch(
      acts.map((a, i) => ({
        layer: `l${i}`,
        activations: a,
        thresholds: new Float32Array(SHAPES[i]![2]).fill(level),
      })),
      probe(4),
      planTally(CONCEPTS, ["a", "b"]),
      { simd },
    );
  } finally {
    tf.dispose(acts);
  }
}

function plain(ts: LayerTally[]) {
  return ts.map((t) => ({
    inter: Array.from(t.intersection),
    area: Array.from(t.unitArea),
    concept: Array.from(t.conceptArea),
  }));
}

Deno.test("tally: the SIMD kernel path equals the tf-op path on WASM and the CPU backend", async () => {
  const data = values(8);
  // 0: every non-zero value on; 0.9: a few; 2: none.
  for (const level of [0, 0.9, 2]) {
    const before = tf.memory().numTensors;
    const simd = plain(await tallies(data, level, true));
    const viaTf = plain(await tallies(data, level, false));
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(simd, viaTf, `level ${level}`);
    await useBackend("cpu", { quiet: true });
    const cpu = plain(await tallies(data, level, true));
    await useBackend("wasm", { quiet: true });
    assert.deepEqual(simd, cpu, `level ${level}`);
    const total = simd.reduce((s, t) => s + t.inter.reduce((x, y) => x + y, 0), 0);
    if (level === 2) assert.equal(total, 0);
    else assert.ok(total > 0);
  }
});

Deno.test("tally: SIMD and tf-op paths agree on scenes-cnn's four conv layers at the 0.995 quantile", async () => {
  const net = await loadDefaultNet("scenes-cnn");
  const layers = convLayers(net).map((l) => l.name);
  const probe = scenes({ count: 6, seed: 3 });
  const plan = planTally(probe.concepts, [
    ...new Set(Object.keys(probe.labelMaps).map((k) => k.split("#")[0]!)),
  ]);
  const before = tf.memory().numTensors;
  const acts = tf.tidy(() => {
    const { output, captured } = runNet(net, tf.tensor4d(probe.images, probe.shape), {
      capture: layers,
      skipOutput: true,
    });
    output.dispose();
    return layers.map((l) => captured[l]!);
  });
  try {
    const input = await Promise.all(acts.map(async (a, i) => {
      const v = await a.data();
      const k = a.shape[3]!;
      const cols = Array.from({ length: k }, (_, u) => v.filter((_, j) => j % k === u));
      return { layer: layers[i]!, activations: a, thresholds: exactQuantiles(cols, 0.995) };
    }));
    const simd = await tallyBatch(input, probe, plan, { simd: true });
    const viaTf = await tallyBatch(input, probe, plan, { simd: false });
    assert.deepEqual(plain(simd), plain(viaTf));
    assert.ok(simd.every((t) => t.intersection.some((v) => v > 0)));
  } finally {
    tf.dispose(acts);
  }
  assert.equal(tf.memory().numTensors, before);
  net.model.dispose();
});
