import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { abpc, regionPerturbation } from "../../engine/evaluate/region_perturbation.ts";
import { close, linear4x4, maps4x4 } from "./_models.ts";

await useBackend("wasm", { quiet: true });

const RISING = Array.from({ length: 16 }, (_, p) => p + 1);

Deno.test("MoRF by hand: 1×1 regions, zeros, y = Σ (p+1)·1 → 136, 120, 105, 91, 78; AOPC 30", async () => {
  const net = linear4x4();
  const x = tf.ones([1, 4, 4, 1]);
  try {
    const before = tf.memory().numTensors;
    const r = await regionPerturbation(net, x, maps4x4(RISING), {
      steps: 4,
      regionSize: 1,
      perturbation: "zeros",
    });
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    assert.deepEqual(r.shape, [1, 5]);
    close(r.curves, [136, 120, 105, 91, 78], "MoRF curve");
    // AOPC = (0 + 16 + 31 + 45 + 58) / 5
    close([r.aopc], [30], "AOPC");
    close(r.aopcPerImage, [30], "AOPC per image");
    assert.deepEqual(Array.from(r.classes), [0]);
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

// Image: ones in the top-left quadrant and at (3, 3), mean 5/16; all weights 1.
const QUAD_IMAGE = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
// Map ranks quadrants TR (4) > BR (3) > BL (2) > TL (1).
const QUAD_MAP = [1, 1, 4, 4, 1, 1, 4, 4, 2, 2, 3, 3, 2, 2, 3, 3];

Deno.test("MoRF/LeRF by hand: 2×2 regions, mean fill (each quadrant → 4 · 5/16 = 1.25)", async () => {
  const net = linear4x4(new Array(16).fill(1));
  const x = tf.tensor4d(QUAD_IMAGE, [1, 4, 4, 1]);
  try {
    const opts = { steps: 4, regionSize: 2, perturbation: "mean" } as const;
    const morf = await regionPerturbation(net, x, maps4x4(QUAD_MAP), opts);
    // TR 0 → 1.25, BR 1 → 1.25, BL 0 → 1.25, TL 4 → 1.25:
    close(morf.curves, [5, 6.25, 6.5, 7.75, 5], "MoRF");
    close([morf.aopc], [-1.1], "MoRF AOPC");
    const lerf = await regionPerturbation(net, x, maps4x4(QUAD_MAP), { ...opts, order: "lerf" });
    close(lerf.curves, [5, 2.25, 3.5, 3.75, 5], "LeRF");
    close([lerf.aopc], [1.1], "LeRF AOPC");
    // LeRF area − MoRF area = mean(0, −4, −3, −4, 0)
    close([abpc(morf, lerf).abpc], [-2.2], "ABPC");
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("probability space: the curve is the softmax of the two logits", async () => {
  const net = linear4x4(new Array(16).fill(0.1));
  const x = tf.ones([1, 4, 4, 1]);
  try {
    const r = await regionPerturbation(net, x, maps4x4(RISING), {
      steps: 3,
      regionSize: 1,
      perturbation: "zeros",
      target: { kind: "class", space: "probability" },
    });
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    close(r.curves, [1.6, 1.5, 1.4, 1.3].map(sig), "probabilities");
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("batched = unbatched, seeded noise is deterministic, rows of several images", async () => {
  const net = linear4x4();
  const x = tf.randomUniform([3, 4, 4, 1], 0, 1, "float32", 3);
  const maps = {
    values: Float32Array.from({ length: 48 }, (_, i) => (i * 7919) % 13),
    shape: [3, 4, 4] as [number, number, number],
  };
  try {
    for (const perturbation of ["uniform", "blur", "mean", "zeros"] as const) {
      const runs = [];
      for (const batchSize of [1, 7, 64]) {
        runs.push(
          await regionPerturbation(net, x, maps, {
            steps: 16,
            regionSize: 1,
            perturbation,
            batchSize,
          }),
        );
      }
      assert.deepEqual(runs[0]!.curves, runs[1]!.curves, perturbation);
      assert.deepEqual(runs[0]!.curves, runs[2]!.curves, perturbation);
      // All regions replaced: the last point is the fill image's score.
      assert.equal(runs[0]!.shape.join(), "3,17");
    }
    // Zeros: the last point is y(0) = 0 for every image.
    const z = await regionPerturbation(net, x, maps, {
      steps: 16,
      regionSize: 1,
      perturbation: "zeros",
    });
    close([z.curves[16]!, z.curves[33]!, z.curves[50]!], [0, 0, 0], "all zero");
    const r1 = await regionPerturbation(net, x, maps, {
      steps: 5,
      regionSize: 1,
      order: "random",
      seed: 4,
    });
    const r2 = await regionPerturbation(net, x, maps, {
      steps: 5,
      regionSize: 1,
      order: "random",
      seed: 4,
    });
    assert.deepEqual(r1.curves, r2.curves);
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("default region size scales with the width: 1 at 28 px, 3 at 64 px", async () => {
  const net = linear4x4();
  const x = tf.ones([1, 4, 4, 1]);
  try {
    const r = await regionPerturbation(net, x, maps4x4(RISING), {
      steps: 2,
      perturbation: "zeros",
    });
    assert.equal(r.regionSize, 1); // max(1, round(9 · 4 / 227))
    assert.equal(Math.max(1, Math.round(9 * 64 / 227)), 3);
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("bad inputs: shape mismatch, L > regions, NaN maps, bad options", async () => {
  const net = linear4x4();
  const x = tf.ones([1, 4, 4, 1]);
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(
      () =>
        regionPerturbation(net, x, { values: new Float32Array(12), shape: [1, 4, 3] }, {
          steps: 2,
        }),
      (e: Error) =>
        e instanceof RangeError && /\[1, 4, 3\].*expected maps \[1, 4, 4\]/.test(e.message),
    );
    await assert.rejects(
      () => regionPerturbation(net, x, maps4x4(RISING), { steps: 5, regionSize: 2 }),
      (e: Error) => e instanceof RangeError && /L = 5 exceeds the 4 regions/.test(e.message),
    );
    await assert.rejects(
      () => regionPerturbation(net, x, maps4x4(RISING)), // L = 100 > 16
      RangeError,
    );
    const nan = maps4x4(RISING);
    nan.values[5] = NaN;
    await assert.rejects(
      () => regionPerturbation(net, x, nan, { steps: 2 }),
      (e: Error) => e instanceof TypeError && /NaN at index 5/.test(e.message),
    );
    await assert.rejects(
      () =>
        regionPerturbation(net, x, maps4x4(RISING), { steps: 2, perturbation: "noise" as "zeros" }),
      TypeError,
    );
    await assert.rejects(
      () =>
        regionPerturbation(net, x, maps4x4(RISING), {
          steps: 2,
          target: { kind: "class", index: 2 },
        }),
      (e: Error) => e instanceof RangeError && /Class 2/.test(e.message),
    );
    await assert.rejects(
      () => regionPerturbation(net, x, maps4x4(RISING), { steps: 0 }),
      RangeError,
    );
    assert.throws(
      () =>
        abpc({ curves: new Float32Array(3), shape: [1, 3] }, {
          curves: new Float32Array(4),
          shape: [1, 4],
        }),
      RangeError,
    );
    assert.equal(tf.memory().numTensors, before, "no leaks on errors");
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("perturbed rows: host-built and device-built rows give identical logits", async () => {
  const { perturbedLogits } = await import("../../engine/evaluate/_perturb.ts");
  const net = linear4x4();
  const base = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  const replacement = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const rank = tf.tensor4d(Float32Array.from({ length: 32 }, (_, i) => (i * 5) % 16), [2, 4, 4, 1]);
  try {
    const before = tf.memory().numTensors;
    const t = { base, replacement, rank };
    const thresholds = [0, 3, 7, 16];
    const host = await perturbedLogits(net, t, thresholds, { batchSize: 3, build: "host" });
    const device = await perturbedLogits(net, t, thresholds, { batchSize: 5, build: "device" });
    assert.deepEqual(host, device);
    assert.equal(host.length, 2 * 4 * 2);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    tf.dispose([base, replacement, rank]);
    net.model.dispose();
  }
});
