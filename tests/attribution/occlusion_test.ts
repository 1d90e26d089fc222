/**
 * Occlusion on linear models: the score drop of a patch is the sum of its
 * pixels' terms, averaged over the patches that cover each pixel.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { occlusion } from "../../engine/attribution/mod.ts";
import { assertClose, linearNet, sumNet, W1 } from "./_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

const GRID = { images: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 3, 3, 1] };

Deno.test("2×2 patches, stride 1, on y = Σx: each pixel gets the mean sum of its patches", async () => {
  const net = sumNet();
  const before = tf.memory().numTensors;
  const m = await occlusion(net, GRID, { patch: 2, stride: 1, normalize: false, batchSize: 3 });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  // Patch sums: top-left 1+2+4+5 = 12, top-right 16, bottom-left 24, bottom-right 28.
  // Corners see one patch, edges two, the centre all four: (12+16+24+28)/4 = 20.
  assertClose(m.raw, [12, 14, 16, 18, 20, 22, 24, 26, 28]);
  assert.equal(m.extras.patches, 4);
  assert.deepEqual([m.extras.patchHeight, m.extras.patchWidth], [2, 2]);
  assert.deepEqual([...m.classes], [0]);
  assertClose(m.scores, [45.7]);
  // Baseline 0.5: each occluded pixel drops by (x − 0.5); the means shift by 4·0.5 = 2.
  const half = await occlusion(net, GRID, { patch: 2, stride: 1, baseline: 0.5, normalize: false });
  assertClose(half.raw, [10, 12, 14, 16, 18, 20, 22, 24, 26]);
  // Class 1 has weights −1: every drop changes sign.
  const neg = await occlusion(net, GRID, {
    patch: 2,
    stride: 1,
    target: { kind: "class", index: 1 },
    normalize: false,
  });
  assertClose(neg.raw, [-12, -14, -16, -18, -20, -22, -24, -26, -28]);
  net.model.dispose();
});

Deno.test("1×1 patches: the drop is each pixel's Σ_c w·x, all channels occluded together", async () => {
  const net = linearNet();
  const x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const m = await occlusion(net, { images: Float32Array.from(x), shape: [1, 2, 2, 2] }, {
    patch: 1,
    target: { kind: "class", index: 1 },
    normalize: false,
  });
  assert.equal(m.extras.patches, 4);
  assertClose(
    m.raw,
    [0, 1, 2, 3].map((p) => W1[2 * p]! * x[2 * p]! + W1[2 * p + 1]! * x[2 * p + 1]!),
  );
  assertClose(m.raw, [0.15, 0.1, -0.8, 0.7]);
  net.model.dispose();
});

Deno.test("patches reach the edge: a last patch is placed flush when the stride misses it", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 5, 1] }),
      tfl.layers.dense({ units: 2, kernelInitializer: "ones" }),
    ],
  });
  const net = wrapModel(model);
  const x = tf.ones([2, 4, 5, 1]);
  // Rows: starts 0, 2 (2+3 > 4 → 1 instead); columns: 0, 2 — 2·2 = 4 patches of 3×3.
  const m = await occlusion(net, x, { patch: 3, stride: 2, normalize: false });
  assert.equal(m.extras.patches, 4);
  // Every patch hides 9 ones of a Σx model: each covered pixel's mean drop is 9.
  assertClose(m.raw, new Array(40).fill(9));
  // Defaults: max(1, round(side / 8)) = 1 on 4×5, stride ceil(1/2) = 1: one patch per pixel.
  const d = await occlusion(net, x);
  assert.deepEqual(
    [d.extras.patchHeight, d.extras.patchWidth, d.extras.strideHeight, d.extras.patches],
    [1, 1, 1, 20],
  );
  x.dispose();
  model.dispose();
});

Deno.test("occluded copies explain each original image's class, not their own top-1", async () => {
  const net = sumNet();
  // y0 = Σx + 0.7, y1 = −Σx. On x = −0.1 everywhere: y0 = −0.2, y1 = 0.9, top-1
  // is class 1. Fully occluded (one 3×3 patch): y0 = 0.7, y1 = 0, whose own
  // top-1 would be class 0.
  const x = { images: new Float32Array(9).fill(-0.1), shape: [1, 3, 3, 1] };
  const m = await occlusion(net, x, { patch: 3, normalize: false });
  assert.deepEqual([...m.classes], [1]);
  // The drop of class 1: 0.9 − 0.
  assertClose(m.raw, new Array(9).fill(0.9));
  net.model.dispose();
});
