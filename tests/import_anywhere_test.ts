import assert from "node:assert/strict";

Deno.test("mod.ts imports and runs from a folder outside the repository (no import map)", async () => {
  const dir = await Deno.makeTempDir();
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir}/user.ts`,
    `import * as nl from ${JSON.stringify(mod)};
await nl.useBackend("wasm", { quiet: true });
const model = nl.tfl.sequential({ layers: [
  nl.tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c" }),
  nl.tfl.layers.flatten({ name: "f" }),
  nl.tfl.layers.dense({ units: 2, name: "d" }),
] });
const net = nl.wrapModel(model);
const data = await nl.datasets.mnist({ split: "test", limit: 2 });
const x = nl.tf.zeros([2, 6, 6, 1]);
const r = nl.runNet(net, x, { capture: ["c"] });
console.log(JSON.stringify({ shape: r.captured.c.shape, mnist: data.shape, backend: nl.tf.getBackend() }));
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${dir}/user.ts`],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  assert.deepEqual(result, { shape: [2, 4, 4, 2], mnist: [2, 28, 28, 1], backend: "wasm" });
  await Deno.remove(dir, { recursive: true });
});
