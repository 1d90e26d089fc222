import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { listCheckpoints, probeMonitor, replayCheckpoints } from "../../engine/probe/monitor.ts";
import { formatProbeAccuracyTable, probeAccuracyTable } from "../../engine/probe/report.ts";
import { trainModel } from "../../engine/train/train.ts";
import { defaultData } from "../../engine/train/default_models.ts";
import { vggLike } from "../_nets.ts";
import { randomSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

const CHECKPOINTS = new URL("../../models/scenes-cnn/checkpoints", import.meta.url).pathname;

Deno.test("probeMonitor records probes, correlation and importance at every epoch", async () => {
  const model = vggLike(1);
  const set = await randomSet(12, [12, 12, 1], 4, 3);
  const monitor = probeMonitor({ train: set, test: set }, {
    layers: ["conv1", "conv2"],
    importanceLayers: ["conv2"],
    epochs: 30,
  });
  const leaks: number[] = [];
  await trainModel(model, set, {
    epochs: 2,
    batchSize: 6,
    onEpoch: async (info) => {
      const before = tf.memory().numTensors;
      await monitor.onEpoch(info);
      leaks.push(tf.memory().numTensors - before);
    },
  });
  assert.deepEqual(leaks, [0, 0]);
  const snaps = monitor.snapshots;
  assert.deepEqual(snaps.map((s) => s.epoch), [1, 2]);
  for (const s of snaps) {
    assert.deepEqual(s.probes.layers.map((l) => l.layer), ["conv1", "conv2"]);
    assert.deepEqual(s.correlation.map((c) => c.layer), ["conv1", "conv2"]);
    assert.deepEqual(s.importance.map((i) => i.layer), ["conv2"]);
  }
  const table = probeAccuracyTable(snaps);
  assert.deepEqual(table.layers, ["conv1", "conv2"]);
  assert.deepEqual(table.epochs, [1, 2]);
  assert.equal(table.testAccuracy[1]![1], snaps[1]!.probes.layers[1]!.testAccuracy);
  const text = formatProbeAccuracyTable(table, { train: true });
  assert.equal(text.split("\n").length, 4);
  assert.match(text.split("\n")[0]!, /epoch\s+conv1\s+conv2/);
  model.dispose();
});

Deno.test("replayCheckpoints on three scenes-cnn checkpoints with 64 images", async () => {
  const train = await defaultData("scenes-cnn", "train", 64);
  const test = await defaultData("scenes-cnn", "test", 64);
  const all = await listCheckpoints(CHECKPOINTS);
  assert.deepEqual(all.map((c) => c.epoch), Array.from({ length: all.length }, (_, i) => i + 1));
  const before = tf.memory().numTensors;
  const started = performance.now();
  const snaps = await replayCheckpoints(CHECKPOINTS, { train, test }, {
    only: [12, 1, 6],
    layers: ["conv2", "conv4"],
    importanceLayers: ["conv4"],
    epochs: 150,
  });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(snaps.map((s) => s.epoch), [1, 6, 12]);
  const [first, , last] = snaps;
  for (const s of snaps) {
    assert.equal(s.correlation[1]!.channels, 64);
    assert.equal(s.importance[0]!.channels, 64);
    assert.equal(s.probes.testCount, 64);
    assert.ok(s.importance[0]!.spearmanTaylor !== null);
  }
  // The trained network is more accurate than after one epoch.
  assert.ok(last!.importance[0]!.baseAccuracy >= first!.importance[0]!.baseAccuracy);
  console.log(
    `replay 3 checkpoints, 64+64 images: ${seconds.toFixed(1)} s`,
    formatProbeAccuracyTable(probeAccuracyTable(snaps), { train: true }),
    snaps.map((s) => ({
      epoch: s.epoch,
      baseAccuracy: s.importance[0]!.baseAccuracy,
      spearmanL1: s.importance[0]!.spearmanL1,
      spearmanTaylor: s.importance[0]!.spearmanTaylor,
    })),
  );
});

Deno.test("replayCheckpoints: missing weights or no checkpoints raise errors naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const set = await randomSet(2, [64, 64, 3], 1, 7);
  try {
    await assert.rejects(
      () => replayCheckpoints(dir, { train: set, test: set }),
      (e: Error) => e instanceof RangeError && e.message.includes(dir),
    );
    await Deno.mkdir(`${dir}/epoch-03`);
    await Deno.copyFile(`${CHECKPOINTS}/epoch-01/model.json`, `${dir}/epoch-03/model.json`);
    await assert.rejects(
      () => replayCheckpoints(dir, { train: set, test: set }),
      (e: Error) => e.message.includes(`${dir}/epoch-03/weights.bin`) && /missing/.test(e.message),
    );
    await Deno.remove(`${dir}/epoch-03/model.json`);
    await assert.rejects(
      () => replayCheckpoints(dir, { train: set, test: set }),
      (e: Error) => e.message.includes(`${dir}/epoch-03/model.json`),
    );
    await assert.rejects(() => listCheckpoints(`${dir}/nope`), /Cannot read checkpoint folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeAccuracyTable: no snapshots is an error", () => {
  assert.throws(() => probeAccuracyTable([]), RangeError);
});
