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

Deno.test("auto, in a fresh process: picks webgpu on a real GPU, else wasm, and reports why", async () => {
  // Probing navigator.gpu loads the native WebGPU stack (Mesa here); that
  // stays out of the test process, where many test files share one address
  // space.
  const script = `import { useBackend, describeBackend } from ${
    JSON.stringify(new URL("../engine/backend.ts", import.meta.url).href)
  };
const info = await useBackend("auto", { quiet: true });
console.log(JSON.stringify({ name: info.name, line: describeBackend(info) }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  // This machine class has no real GPU; a GPU machine would report webgpu.
  assert.ok(["webgpu", "wasm"].includes(r.name));
  assert.match(r.line, new RegExp(`backend ${r.name} .*— `));
});

Deno.test("useBackend chooses once, reports, and refuses to switch while tensors exist", async () => {
  const info = await useBackend("wasm", { quiet: true });
  assert.equal(info.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(currentBackend(), info);
  assert.match(describeBackend(info), /backend wasm/);
  assert.equal(await useBackend("auto", { quiet: true }), info, "auto keeps the current choice");
  assert.equal(await useBackend("wasm", { quiet: true }), info, "same choice, same report");
  const t = tf.ones([2]);
  await assert.rejects(useBackend("cpu", { quiet: true }), /switching to "cpu"/);
  t.dispose();
  const cpu = await useBackend("cpu", { quiet: true });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
});
