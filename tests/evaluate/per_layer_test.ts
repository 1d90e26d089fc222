import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { cam } from "../../engine/cam/cam.ts";
import { deletionInsertion } from "../../engine/evaluate/deletion_insertion.ts";
import { evaluateCamLayers } from "../../engine/evaluate/per_layer.ts";
import { regionPerturbation } from "../../engine/evaluate/region_perturbation.ts";
import { convLayers, wrapModel } from "../../engine/net/net.ts";
import { vggLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

Deno.test("per-layer table: methods × layers, default methods, numbers match the metrics", async () => {
  const net = wrapModel(vggLike());
  const x = tf.randomUniform([2, 12, 12, 1], 0, 1, "float32", 9);
  try {
    const before = tf.memory().numTensors;
    const layers = convLayers(net).map((l) => l.name);
    const rows = await evaluateCamLayers(net, x, { metric: "both", aopc: { steps: 20 } });
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    assert.deepEqual(
      rows.map((r) => `${r.method}@${r.layer}`),
      [
        ...layers.map((l) => `layerCam@${l}`),
        ...layers.map((l) => `shallowRelevanceCam@${l}`),
      ],
    );
    for (const r of rows) {
      for (const v of [r.deletion, r.insertion, r.comprehensive, r.aopc]) {
        assert.ok(typeof v === "number" && Number.isFinite(v), JSON.stringify(r));
      }
      assert.ok(Math.abs(r.comprehensive! - 100 * (r.insertion! - r.deletion!)) < 1e-3);
    }
    // The row equals running the metric on the method's maps directly.
    const maps = await cam(net, x, { method: "layerCam", layer: layers[0]! });
    const di = await deletionInsertion(net, x, maps);
    const rp = await regionPerturbation(net, x, maps, { steps: 20 });
    assert.equal(rows[0]!.deletion, di.deletionAuc);
    assert.equal(rows[0]!.insertion, di.insertionAuc);
    assert.equal(rows[0]!.aopc, rp.aopc);

    const only = await evaluateCamLayers(net, x, { methods: ["gradCam"], layers: [layers[0]!] });
    assert.equal(only.length, 1);
    assert.equal(only[0]!.aopc, null);
    await assert.rejects(
      () => evaluateCamLayers(net, x, { metric: "auc" as "aopc" }),
      TypeError,
    );
    await assert.rejects(
      () => evaluateCamLayers(net, x, { methods: ["nope" as "gradCam"] }),
      TypeError,
    );
  } finally {
    x.dispose();
    net.model.dispose();
  }
});
