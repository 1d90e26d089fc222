import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { scenes } from "../../engine/data/scenes.ts";
import { cascadingRandomization, type Explainer } from "../../engine/evaluate/sanity.ts";
import { loadDefaultNet } from "../../engine/train/default_models.ts";
import { vggLike } from "../_nets.ts";
import { wrapModel } from "../../engine/net/net.ts";

await useBackend("wasm", { quiet: true });

/** A map that ignores the model: Sobel gradient magnitude of the grey image. */
const edges: Explainer = async (_net, images) => {
  const [n, h, w] = images.shape;
  const t = tf.tidy(() => {
    const grey = tf.mean(images, 3, true) as tf.Tensor4D;
    const gx = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1], [3, 3, 1, 1]);
    const gy = tf.tensor4d([-1, -2, -1, 0, 0, 0, 1, 2, 1], [3, 3, 1, 1]);
    const ex = tf.conv2d(grey, gx, 1, "same");
    const ey = tf.conv2d(grey, gy, 1, "same");
    return tf.sqrt(tf.add(tf.square(ex), tf.square(ey)));
  });
  try {
    return { values: await t.data() as Float32Array, shape: [n, h, w] };
  } finally {
    t.dispose();
  }
};

async function weightSum(model: { getWeights(): tf.Tensor[] }): Promise<number[]> {
  const out: number[] = [];
  for (const wt of model.getWeights()) {
    const s = tf.tidy(() => tf.sum(tf.abs(wt)));
    out.push((await s.data())[0]!);
    s.dispose();
  }
  return out;
}

Deno.test("sanity on scenes-cnn: Grad-CAM changes, an edge detector does not; model untouched", async () => {
  const net = await loadDefaultNet("scenes-cnn");
  const set = scenes({ count: 4, seed: 7 });
  try {
    const before = tf.memory().numTensors;
    const weights = await weightSum(net.model);
    const grad = await cascadingRandomization(net, set);
    assert.deepEqual(grad.steps.map((s) => s.layer), [
      "predictions",
      "conv4",
      "conv3",
      "conv2",
      "conv1",
    ]);
    const last = grad.steps.at(-1)!;
    assert.ok(last.spearman < 0.5, `Grad-CAM ρ after full randomisation = ${last.spearman}`);
    assert.equal(grad.modelIndependent, false);
    const edge = await cascadingRandomization(net, set, { explain: edges });
    for (const s of edge.steps) {
      assert.ok(
        s.spearman > 0.999 && s.ssim > 0.999,
        `edge map at ${s.layer}: ${s.spearman}, ${s.ssim}`,
      );
    }
    assert.equal(edge.modelIndependent, true);
    assert.deepEqual(await weightSum(net.model), weights, "the user's model is not modified");
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    console.log(
      "Grad-CAM ρ per step:",
      grad.steps.map((s) => `${s.layer} ${s.spearman.toFixed(3)}/${s.ssim.toFixed(3)}`).join(", "),
    );
  } finally {
    net.model.dispose();
  }
});

Deno.test("sanity: seeded, `layers` limits the cascade, works on BatchNorm/residual nets", async () => {
  const { resnetLike } = await import("../_nets.ts");
  for (const build of [vggLike, resnetLike]) {
    const net = wrapModel(build());
    const [h, w, c] = net.inputShape;
    const x = tf.randomUniform([2, h, w, c], 0, 1, "float32", 2);
    try {
      const a = await cascadingRandomization(net, x, { layers: 2, seed: 3 });
      const b = await cascadingRandomization(net, x, { layers: 2, seed: 3 });
      assert.equal(a.steps.length, 2);
      assert.deepEqual(a.steps.map((s) => s.spearman), b.steps.map((s) => s.spearman));
      await assert.rejects(() => cascadingRandomization(net, x, { layers: 0 }), RangeError);
    } finally {
      x.dispose();
      net.model.dispose();
    }
  }
});
