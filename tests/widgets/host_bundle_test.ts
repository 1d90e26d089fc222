import assert from "node:assert/strict";
import { join } from "node:path";
import { knownViews, viewModule } from "../../widgets/host/bundle.ts";

Deno.test("viewModule bundles on demand, caches, and rebuilds when a source changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const entry = join(dir, "mod.ts");
    const out = join(dir, "out.js");
    await Deno.writeTextFile(
      entry,
      `export default { render({ el }: { el: { textContent: string } }) { el.textContent = "v1"; } };`,
    );
    const first = await viewModule("tiny", { entry, out });
    assert.match(first, /v1/);
    assert.ok(!first.includes(": {"), "types are stripped: plain JavaScript for the browser");
    const built = (await Deno.stat(out)).mtime!.getTime();
    assert.equal(await viewModule("tiny", { entry, out }), first, "cached");
    assert.equal((await Deno.stat(out)).mtime!.getTime(), built, "not rebuilt");
    // A newer source makes a new bundle.
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeTextFile(entry, `export default { render() { return "v2"; } };`);
    const future = new Date(Date.now() + 5000);
    await Deno.utime(entry, future, future);
    assert.match(await viewModule("tiny", { entry, out }), /v2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("viewModule reports a bundling failure with deno bundle's message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const entry = join(dir, "mod.ts");
    await Deno.writeTextFile(entry, `import "./missing.ts";\nexport default {};`);
    await assert.rejects(
      viewModule("broken", { entry, out: join(dir, "out.js") }),
      (e: Error) =>
        e instanceof TypeError && /Bundling view "broken".*failed/s.test(e.message) &&
        /missing\.ts/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("viewModule names the known views for an unknown one", async () => {
  const known = await knownViews();
  await assert.rejects(
    viewModule("nope"),
    (e: Error) =>
      e instanceof TypeError && e.message.includes(`known views: ${known.join(", ") || "none"}`),
  );
});
