/**
 * The front-end module of a view (`_esm`): `widgets/views/<name>/mod.ts`
 * bundled with `deno bundle` (Observable Plot inlined) into
 * `widgets/dist/<name>.js`, built on demand when missing or older than the
 * sources, and cached for the life of the process.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const VIEWS = new URL("../views/", import.meta.url);
const DIST = new URL("../dist/", import.meta.url);
const DEPS = new URL("../deps.ts", import.meta.url);
const cache = new Map<string, { mtime: number; source: string }>();

/** Options of {@link viewModule}. */
export interface ViewModuleOptions {
  /** The anywidget module to bundle instead of `widgets/views/<view>/mod.ts`
   * (a path or file URL; used for test fixtures). Default: the view's `mod.ts`. */
  entry?: string | URL;
  /** Where the bundle is written. Default: `widgets/dist/<view>.js` for a view,
   * a file in the system temp folder for a custom `entry`. */
  out?: string;
}

/**
 * The bundled ES module source of a view, as anywidget's `_esm` expects it.
 *
 * @param view the view's folder name under `widgets/views/` (e.g. `"ranking"`)
 * @param options {@link ViewModuleOptions}
 * @returns the module source (one self-contained ES module)
 * @throws {TypeError} for an unknown view (listing the known ones) or when
 *   bundling fails (with `deno bundle`'s message)
 * @example
 * ```ts
 * import { knownViews } from "./bundle.ts";
 * if (!Array.isArray(await knownViews())) throw new Error("no list");
 * ```
 */
export async function viewModule(view: string, options: ViewModuleOptions = {}): Promise<string> {
  if (typeof view !== "string" || !/^[A-Za-z0-9_-]+$/.test(view)) {
    throw new TypeError(`View name ${JSON.stringify(view)} is not a folder name like "ranking"`);
  }
  if (VIEWS.protocol !== "file:" && options.entry === undefined) {
    throw new TypeError(
      `Views can only be bundled from a local checkout; neurolens was imported from ${VIEWS.href}`,
    );
  }
  const entry = options.entry === undefined
    ? fileURLToPath(new URL(`${view}/mod.ts`, VIEWS))
    : options.entry instanceof URL || options.entry.startsWith("file:")
    ? fileURLToPath(options.entry)
    : options.entry;
  if (!(await exists(entry))) {
    throw new TypeError(
      `Unknown view "${view}" (no ${entry}); known views: ${
        (await knownViews()).join(", ") || "none"
      }`,
    );
  }
  const out = options.out ??
    (options.entry === undefined
      ? fileURLToPath(new URL(`${view}.js`, DIST))
      : join(tempDir(), `neurolens-view-${view}-${hash(entry)}.js`));
  const newest = await newestSource(dirname(entry));
  const cached = cache.get(out);
  if (cached && cached.mtime >= newest) return cached.source;
  const built = await mtime(out);
  if (built === undefined || built < newest) await bundle(entry, out, view);
  const source = await Deno.readTextFile(out);
  cache.set(out, { mtime: (await mtime(out)) ?? Date.now(), source });
  return source;
}

/**
 * The views that can be shown: folders of `widgets/views/` with a `mod.ts`.
 *
 * @returns sorted view names
 */
export async function knownViews(): Promise<string[]> {
  if (VIEWS.protocol !== "file:") return [];
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(VIEWS)) {
      if (e.isDirectory && await exists(fileURLToPath(new URL(`${e.name}/mod.ts`, VIEWS)))) {
        names.push(e.name);
      }
    }
  } catch {
    // No views folder readable: no views.
  }
  return names.sort();
}

async function bundle(entry: string, out: string, view: string): Promise<void> {
  await Deno.mkdir(dirname(out), { recursive: true });
  // Write next to the target and rename, so concurrent builds never read half a file.
  const tmp = `${out}.${Deno.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "--minify", entry, "-o", tmp],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new TypeError(
      `Could not run "${Deno.execPath()} bundle" for view "${view}" (needs --allow-run): ${
        (e as Error).message
      }`,
    );
  }
  if (!result.success) {
    await Deno.remove(tmp).catch(() => {});
    const msg = new TextDecoder().decode(result.stderr).trim();
    throw new TypeError(`Bundling view "${view}" (${entry}) failed:\n${msg}`);
  }
  await Deno.rename(tmp, out);
}

/** Newest modification time among the view's folder, the shared view code and the deps. */
async function newestSource(viewDir: string): Promise<number> {
  let newest = 0;
  const visit = async (dir: string): Promise<void> => {
    try {
      for await (const e of Deno.readDir(dir)) {
        const p = join(dir, e.name);
        if (e.isDirectory) await visit(p);
        else if (/\.(ts|js|css)$/.test(e.name)) newest = Math.max(newest, (await mtime(p)) ?? 0);
      }
    } catch {
      // An unreadable folder contributes nothing.
    }
  };
  await visit(viewDir);
  if (VIEWS.protocol === "file:") {
    // A view may import from any sibling (the explorer reuses the others).
    if (basename(dirname(viewDir)) === "views") await visit(fileURLToPath(VIEWS));
    else await visit(fileURLToPath(new URL("_shared/", VIEWS)));
    newest = Math.max(newest, (await mtime(fileURLToPath(DEPS))) ?? 0);
  }
  return newest;
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await mtime(path)) !== undefined;
}

function tempDir(): string {
  try {
    return Deno.env.get("TMPDIR") ?? "/tmp";
  } catch {
    return "/tmp";
  }
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
