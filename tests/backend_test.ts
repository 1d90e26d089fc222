import assert from "node:assert/strict";
import {
  currentBackend,
  decideBackend,
  describeBackend,
  parseBackendChoice,
  useBackend,
} from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";

Deno.test("auto: a real GPU adapter gives webgpu", () => {
  const d = decideBackend({ isFallback: false, description: "NVIDIA H100" }, true);
  assert.equal(d.name, "webgpu");
  assert.match(d.reason, /NVIDIA H100/);
});

Deno.test("auto: a software fallback adapter (llvmpipe) gives wasm", () => {
  const d = decideBackend({ isFallback: true, description: "llvmpipe" }, true);
  assert.equal(d.name, "wasm");
  assert.match(d.reason, /software fallback \(llvmpipe\)/);
});

Deno.test("auto: no adapter gives wasm, and cpu when wasm cannot load", () => {
  assert.equal(decideBackend(null, true).name, "wasm");
  const d = decideBackend(null, false);
  assert.equal(d.name, "cpu");
  assert.match(d.reason, /could not be loaded/);
});

Deno.test("an unknown backend name is a TypeError listing the valid ones", () => {
  assert.throws(() => parseBackendChoice("tpu"), {
    name: "TypeError",
    message: 'Unknown backend "tpu": expected one of auto, webgpu, wasm, cpu',
  });
  assert.equal(parseBackendChoice("wasm"), "wasm");
});

Deno.test("useBackend chooses once, reports, and refuses to switch while tensors exist", async () => {
  const info = await useBackend("auto", { quiet: true });
  // This machine class has no real GPU; a GPU machine would report webgpu.
  assert.ok(["webgpu", "wasm"].includes(info.name));
  assert.equal(tf.getBackend(), info.name);
  assert.equal(currentBackend(), info);
  assert.match(describeBackend(info), new RegExp(`backend ${info.name}`));
  assert.equal(await useBackend("auto", { quiet: true }), info, "same choice, same report");
  const t = tf.ones([2]);
  const other = info.name === "wasm" ? "cpu" : "wasm";
  await assert.rejects(
    useBackend(other, { quiet: true }),
    /switching to "cpu"|switching to "wasm"/,
  );
  t.dispose();
  const cpu = await useBackend("cpu", { quiet: true });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
});
