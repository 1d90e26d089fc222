import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import {
  colorDetectorModel,
  colorProbeOptions,
  DETECTOR_COLORS,
} from "../../engine/dissect/color_detector.ts";
import { dissect } from "../../engine/dissect/dissect.ts";
import { sceneSource } from "../../engine/dissect/probe.ts";

await useBackend("wasm", { quiet: true });

Deno.test("the hand-built colour detector: every unit labelled with its colour at IoU > 0.9", async () => {
  const net = wrapModel(colorDetectorModel({ size: 32 }));
  const before = tf.memory().numTensors;
  const r = await dissect(net, sceneSource(colorProbeOptions(120, { size: 32, seed: 1 })), {
    layers: ["colors"],
    batchSize: 40,
  });
  assert.equal(tf.memory().numTensors, before);
  const layer = r.layers[0]!;
  assert.equal(layer.units, DETECTOR_COLORS.length);
  layer.labels.forEach((u, k) => {
    assert.equal(u.concept, DETECTOR_COLORS[k], `unit ${k}`);
    assert.equal(u.category, "color");
    assert.ok(u.iou > 0.9, `unit ${k} (${u.concept}): IoU ${u.iou}`);
  });
  assert.equal(layer.summary.byCategory.color!.detectors, DETECTOR_COLORS.length);
  assert.equal(layer.summary.byCategory.color!.uniqueConcepts, DETECTOR_COLORS.length);
  net.model.dispose();
});
