/**
 * Which anywidget front end the user's Jupyter has, so the kernel announces
 * a matching `_model_module_version` (the widget manager loads the front end
 * by that version; a mismatch means a CDN fetch or no widget at all).
 *
 * @module
 */
import { join } from "node:path";

/**
 * The anywidget front-end version announced when no installed one is found:
 * the version the browser tests run against.
 */
export const DEFAULT_ANYWIDGET_VERSION = "0.9.21";

/** Options of {@link jupyterDataDirs} and {@link anywidgetVersion}. */
export interface AnywidgetVersionOptions {
  /** Environment to read `JUPYTER_DATA_DIR`, `JUPYTER_PATH`, `HOME`, `XDG_DATA_HOME` from.
   * Default: the process environment (read only when permitted). */
  env?: Record<string, string | undefined>;
}

/**
 * Jupyter's data folders in the order `jupyter --paths` lists them:
 * `JUPYTER_DATA_DIR` (else `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter`),
 * then each entry of `JUPYTER_PATH`, then `/usr/local/share/jupyter` and
 * `/usr/share/jupyter`.
 *
 * @param options {@link AnywidgetVersionOptions}
 * @returns absolute folder paths, first match wins
 * @example
 * ```ts
 * import { jupyterDataDirs } from "./anywidget_version.ts";
 * const dirs = jupyterDataDirs({ env: { HOME: "/home/ada" } });
 * if (dirs[0] !== "/home/ada/.local/share/jupyter") throw new Error(dirs.join());
 * ```
 */
export function jupyterDataDirs(options: AnywidgetVersionOptions = {}): string[] {
  const env = options.env ?? processEnv();
  const dirs: string[] = [];
  const user = env.JUPYTER_DATA_DIR ??
    (env.XDG_DATA_HOME
      ? join(env.XDG_DATA_HOME, "jupyter")
      : env.HOME
      ? join(env.HOME, ".local", "share", "jupyter")
      : undefined);
  if (user) dirs.push(user);
  for (const p of (env.JUPYTER_PATH ?? "").split(":")) if (p) dirs.push(p);
  dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return [...new Set(dirs)];
}

/**
 * The anywidget front-end version installed as a JupyterLab/Notebook 7
 * extension (`<data dir>/labextensions/anywidget/package.json`), else
 * {@link DEFAULT_ANYWIDGET_VERSION}.
 *
 * @param options {@link AnywidgetVersionOptions}
 * @returns a version string such as `"0.9.21"`
 * @example
 * ```ts
 * import { anywidgetVersion } from "./anywidget_version.ts";
 * const v = await anywidgetVersion({ env: { JUPYTER_DATA_DIR: "/nonexistent" } });
 * if (!/^\d+\.\d+\.\d+/.test(v)) throw new Error(v);
 * ```
 */
export async function anywidgetVersion(options: AnywidgetVersionOptions = {}): Promise<string> {
  for (const dir of jupyterDataDirs(options)) {
    try {
      const text = await Deno.readTextFile(join(dir, "labextensions", "anywidget", "package.json"));
      const version = (JSON.parse(text) as { version?: unknown }).version;
      if (typeof version === "string" && version) return version;
    } catch {
      // Missing, unreadable or not JSON: look in the next folder.
    }
  }
  return DEFAULT_ANYWIDGET_VERSION;
}

function processEnv(): Record<string, string | undefined> {
  try {
    return Deno.env.toObject();
  } catch {
    // Without --allow-env, only the system-wide folders are searched.
    return {};
  }
}
