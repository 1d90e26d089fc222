/**
 * The shared table test: every registered map method — input attributions,
 * every CAM at the first and the last conv layer, every LRP composite — on
 * every test architecture (Sequential, residual with BatchNorm,
 * depthwise/separable, Concatenate, nested with a shared layer). Each must
 * run, have the right shapes, give values in [0, 1] and finite raw maps, leak
 * no tensors, leave its input unchanged, be deterministic, and give the same
 * maps whatever the batch size.
 *
 * Adding a method to a registry adds it here.
 */
import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { convLayers, getLayer, type Net, wrapModel } from "../../engine/net/net.ts";
import {
  attribute,
  ATTRIBUTION_METHODS,
  type AttributionName,
} from "../../engine/attribution/mod.ts";
import { cam } from "../../engine/cam/cam.ts";
import { CAM_METHODS, type CamMethodName } from "../../engine/cam/registry.ts";
import { COMPOSITES, lrp } from "../../engine/lrp/mod.ts";
import type { MapResult } from "../../engine/maps/map.ts";
import { TEST_ARCHITECTURES } from "../_nets.ts";
import { assertClose, smallOptions } from "../attribution/_models.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

/** A registered method with small settings, so the whole table runs in seconds. */
interface Row {
  name: string;
  layer: string | null;
  run(net: Net, x: tf.Tensor, batchSize: number): Promise<MapResult>;
}

function rowsFor(net: Net, background: tf.Tensor): Row[] {
  const convs = convLayers(net);
  const layers = [...new Set([convs[0]!.name, convs[convs.length - 1]!.name])];
  return [
    ...(Object.keys(ATTRIBUTION_METHODS) as AttributionName[]).map((name): Row => ({
      name,
      layer: null,
      run: (n, x, batchSize) =>
        attribute(n, x, { method: name, ...smallOptions(name, background), batchSize }),
    })),
    ...(Object.keys(CAM_METHODS) as CamMethodName[]).flatMap((name) =>
      layers.map((layer): Row => ({
        name,
        layer,
        run: (n, x, batchSize) => cam(n, x, { method: name, layer, batchSize }),
      }))
    ),
    ...(Object.keys(COMPOSITES) as (keyof typeof COMPOSITES)[]).map((composite): Row => ({
      name: `lrp-${composite}`,
      layer: null,
      run: (n, x, batchSize) => lrp(n, x, { composite, batchSize }),
    })),
  ];
}

for (const [arch, build] of Object.entries(TEST_ARCHITECTURES)) {
  Deno.test(`every registered map method on ${arch}`, async () => {
    const model = build();
    const net = wrapModel(model);
    const [h, w, c] = net.inputShape;
    const x = tf.randomUniform([3, h, w, c], 0, 1, "float32", 11);
    const background = tf.randomUniform([3, h, w, c], 0, 1, "float32", 12);
    const pixels = await x.data();
    for (const row of rowsFor(net, background)) {
      const what = `${row.name}${row.layer ? ` at ${row.layer}` : ""}`;
      const before = tf.memory().numTensors;
      const a = await row.run(net, x, 2);
      const b = await row.run(net, x, 2);
      const one = await row.run(net, x, 1);
      assert.equal(tf.memory().numTensors, before, `${what}: no tensors leak`);
      assert.equal(a.method, row.name, what);
      assert.equal(a.layer, row.layer, what);
      assert.deepEqual(a.shape, [3, h, w], what);
      const [rh, rw] = row.layer ? getLayer(net, row.layer).outputShape : [h, w];
      assert.deepEqual(a.rawShape, [3, rh, rw], what);
      assert.ok(a.values.every((v) => v >= 0 && v <= 1), `${what}: values in [0, 1]`);
      assert.ok(a.raw.every(Number.isFinite), `${what}: finite raw maps`);
      assert.ok(a.scores.every(Number.isFinite), `${what}: finite scores`);
      assert.ok(a.classes.every((k) => k >= 0 && k < net.numClasses), `${what}: classes`);
      assert.deepEqual(a.raw, b.raw, `${what}: deterministic`);
      assert.deepEqual(one.classes, a.classes, `${what}: same classes for batchSize 1`);
      const scale = Math.max(1e-6, ...Array.from(a.raw, Math.abs));
      assertClose(one.raw, a.raw, 1e-4 * scale, `${what}: batchSize 1 vs 2`);
    }
    assert.ok(!x.isDisposed, "input not disposed");
    assert.deepEqual(await x.data(), pixels, "input unchanged");
    tf.dispose([x, background]);
    model.dispose();
  });
}
