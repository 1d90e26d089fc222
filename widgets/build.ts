/**
 * `deno task build`: bundles each widget view (`widgets/views/<name>/mod.ts`)
 * to one self-contained ES module in `widgets/dist/<name>.js` with
 * `deno bundle` (Observable Plot inlined, no CDN at view time), and reports
 * each bundle's size.
 *
 * @module
 */
const views = new URL("./views/", import.meta.url);
const dist = new URL("./dist/", import.meta.url);
const names: string[] = [];
const entries = await Array.fromAsync(Deno.readDir(views)).catch(() => [] as Deno.DirEntry[]);
for (const entry of entries) {
  if (entry.isDirectory) {
    try {
      await Deno.stat(new URL(`${entry.name}/mod.ts`, views));
      names.push(entry.name);
    } catch {
      // A folder without mod.ts is not a view.
    }
  }
}
names.sort();
await Deno.mkdir(dist, { recursive: true });
let failed = false;
for (const name of names) {
  const out = new URL(`${name}.js`, dist).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform",
      "browser",
      "--minify",
      new URL(`${name}/mod.ts`, views).pathname,
      "-o",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    failed = true;
    console.error(`build: ${name} failed:\n${new TextDecoder().decode(r.stderr)}`);
    continue;
  }
  const size = (await Deno.stat(out)).size;
  console.log(`${name}.js  ${(size / 1024).toFixed(1)} KB`);
}
console.log(`${names.length} view bundle(s) in widgets/dist/`);
if (failed) Deno.exit(1);
