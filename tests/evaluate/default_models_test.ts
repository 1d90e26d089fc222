import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { gradientTimesInput } from "../../engine/attribution/mod.ts";
import { cam } from "../../engine/cam/cam.ts";
import { deletionInsertion } from "../../engine/evaluate/deletion_insertion.ts";
import { abpc, regionPerturbation } from "../../engine/evaluate/region_perturbation.ts";
import { defaultData, loadDefaultNet } from "../../engine/train/default_models.ts";

await useBackend("wasm", { quiet: true });

Deno.test("mnist-cnn: gradient × input orders regions better than chance (MoRF > random > LeRF)", async () => {
  const net = await loadDefaultNet("mnist-cnn");
  const data = await defaultData("mnist-cnn", "test", 4);
  const x = tf.tensor4d(data.images, data.shape);
  try {
    const before = tf.memory().numTensors;
    const maps = await gradientTimesInput(net, x);
    const opts = { perturbation: "zeros" } as const; // L = 100, 1×1 regions at 28 px
    const morf = await regionPerturbation(net, x, maps, opts);
    const rand = await regionPerturbation(net, x, maps, { ...opts, order: "random" });
    const lerf = await regionPerturbation(net, x, maps, { ...opts, order: "lerf" });
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    assert.deepEqual(morf.shape, [4, 101]);
    assert.equal(morf.regionSize, 1);
    assert.ok(
      morf.aopc > rand.aopc && rand.aopc > lerf.aopc,
      `${morf.aopc} ${rand.aopc} ${lerf.aopc}`,
    );
    assert.ok(abpc(morf, lerf).abpc > 0);
    console.log(
      `AOPC morf ${morf.aopc.toFixed(2)} random ${rand.aopc.toFixed(2)} lerf ${
        lerf.aopc.toFixed(2)
      }`,
    );
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("scenes-cnn: Grad-CAM deletion/insertion has 51 points and a positive comprehensive score", async () => {
  const net = await loadDefaultNet("scenes-cnn");
  const data = await defaultData("scenes-cnn", "test", 4);
  const x = tf.tensor4d(data.images, data.shape);
  try {
    const maps = await cam(net, x);
    const r = await deletionInsertion(net, x, maps);
    assert.deepEqual(r.shape, [4, 51]);
    const region = await regionPerturbation(net, x, maps, { steps: 50 });
    assert.equal(region.regionSize, 3);
    assert.ok(r.comprehensive > 0, `comprehensive ${r.comprehensive}`);
    console.log(
      `deletion ${r.deletionAuc.toFixed(3)} insertion ${r.insertionAuc.toFixed(3)} AOPC(L=50) ${
        region.aopc.toFixed(2)
      }`,
    );
  } finally {
    x.dispose();
    net.model.dispose();
  }
});
