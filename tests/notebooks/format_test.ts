/**
 * Notebooks are formatted as `deno fmt` formats them. Checked here, through
 * `deno fmt -` on each file's text, because `deno fmt --check` (2.9.6)
 * reports a freshly cloned .ipynb as unformatted even when formatting it
 * changes nothing; deno.json therefore leaves notebooks/ out of `deno fmt`.
 */
import assert from "node:assert/strict";
import { listNotebooks } from "./_execute.ts";

for (const path of await listNotebooks()) {
  Deno.test(`${path.split("/").pop()} is formatted (deno fmt --ext=ipynb)`, async () => {
    const text = await Deno.readTextFile(path);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--ext=ipynb", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const out = await child.output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(
      new TextDecoder().decode(out.stdout),
      text,
      `${path} is not formatted: run deno fmt --ext=ipynb - < it`,
    );
  });
}
