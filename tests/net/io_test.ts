import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { loadNet, saveModel } from "../../engine/net/io.ts";
import { runNet } from "../../engine/net/executor.ts";
import { resnetLike } from "../_nets.ts";

await useBackend("wasm", { quiet: true });

Deno.test("save and load a model: same layers, same outputs, class names kept", async () => {
  const dir = await Deno.makeTempDir();
  const model = resnetLike();
  await saveModel(model, `${dir}/resnet`, { classNames: ["a", "b", "c", "d"] });
  const net = await loadNet(`${dir}/resnet/model.json`);
  assert.equal(net.name, "resnet");
  assert.deepEqual(net.classNames, ["a", "b", "c", "d"]);
  assert.deepEqual(net.layers.map((l) => l.name), model.layers.slice(1).map((l) => l.name));
  const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 1);
  const a = model.predict(x) as tf.Tensor;
  const b = runNet(net, x, { output: "raw" }).output;
  const diff = tf.max(tf.abs(tf.sub(a, b)));
  assert.ok((await diff.data())[0]! <= 1e-6);
  tf.dispose([x, a, b, diff]);
  model.dispose();
  net.model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("missing, corrupt and truncated model files are clear errors naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(loadNet(`${dir}/nothing/model.json`), /Cannot read .*nothing\/model\.json/);
  await Deno.writeTextFile(`${dir}/bad.json`, "{ not json");
  await assert.rejects(loadNet(`${dir}/bad.json`), /bad\.json is not valid JSON/);
  await Deno.writeTextFile(`${dir}/empty.json`, "{}");
  await assert.rejects(loadNet(`${dir}/empty.json`), /empty\.json has no "modelTopology"/);
  const model = resnetLike();
  await saveModel(model, `${dir}/m`);
  model.dispose();
  const weights = await Deno.readFile(`${dir}/m/weights.bin`);
  await Deno.writeFile(`${dir}/m/weights.bin`, weights.subarray(0, 100));
  await assert.rejects(
    loadNet(`${dir}/m/model.json`),
    /hold 100 bytes; the manifest describes \d+/,
  );
  await Deno.remove(`${dir}/m/weights.bin`);
  await assert.rejects(loadNet(`${dir}/m/model.json`), /Cannot read .*weights\.bin/);
  await Deno.remove(dir, { recursive: true });
});
