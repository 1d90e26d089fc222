/**
 * Executes notebooks on the Deno kernel with `jupyter nbconvert --execute`
 * (nbclient) and reads back outputs and the saved widget state.
 *
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's notebooks folder. */
export const NOTEBOOKS = fileURLToPath(new URL("../../notebooks/", import.meta.url));

/** The parts of an nbformat 4 notebook the tests read. */
export interface Notebook {
  /** Cells. */
  cells: {
    id?: string;
    cell_type: string;
    source: string | string[];
    outputs?: NotebookOutput[];
  }[];
  /** Notebook metadata (widgets under `widgets`). */
  metadata: Record<string, unknown>;
  /** Format version. */
  nbformat: number;
  /** Format minor version. */
  nbformat_minor: number;
}

/** One cell output. */
export interface NotebookOutput {
  /** "stream" | "display_data" | "execute_result" | "error". */
  output_type: string;
  /** MIME bundle of displays. */
  data?: Record<string, unknown>;
  /** Stream name. */
  name?: string;
  /** Stream text. */
  text?: string | string[];
  /** Error name. */
  ename?: string;
  /** Error value. */
  evalue?: string;
}

/** The `.ipynb` files of notebooks/, sorted. */
export async function listNotebooks(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOKS)) {
    if (e.isFile && e.name.endsWith(".ipynb")) out.push(join(NOTEBOOKS, e.name));
  }
  return out.sort();
}

let installed: Promise<void> | undefined;

/** `deno jupyter --install` with the deno running the tests (once per process). */
export function installKernel(): Promise<void> {
  installed ??= (async () => {
    // Reinstall only when the kernelspec runs another deno than the tests.
    const home = Deno.env.get("HOME") ?? "";
    const spec = join(home, ".local", "share", "jupyter", "kernels", "deno", "kernel.json");
    const argv0 = await Deno.readTextFile(spec).then(
      (t) => (JSON.parse(t) as { argv?: string[] }).argv?.[0],
      () => undefined,
    );
    if (argv0 === Deno.execPath()) return;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["jupyter", "--install", "--force"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`deno jupyter --install failed:\n${new TextDecoder().decode(r.stderr)}`);
    }
  })();
  return installed;
}

/**
 * Runs every cell of a notebook on the Deno kernel; returns the executed
 * notebook (read from a temp folder).
 *
 * @param path the `.ipynb`
 * @param outDir where the executed copy is written
 */
export async function executeNotebook(path: string, outDir: string): Promise<Notebook> {
  await installKernel();
  const name = basename(path, ".ipynb");
  const r = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      path,
      "--output-dir",
      outDir,
      "--output",
      name,
      "--ExecutePreprocessor.kernel_name=deno",
      "--ExecutePreprocessor.timeout=300",
      // Keep running after an error so the test reports every failing cell.
      "--allow-errors",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    throw new Error(
      `nbconvert failed on ${name}.ipynb:\n${new TextDecoder().decode(r.stderr).slice(-4000)}`,
    );
  }
  return JSON.parse(await Deno.readTextFile(join(outDir, `${name}.ipynb`))) as Notebook;
}

/** Error outputs of an executed notebook, as "cell id: ename: evalue". */
export function errorOutputs(nb: Notebook): string[] {
  const errors: string[] = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "error") {
        errors.push(`cell ${c.id ?? i}: ${o.ename}: ${stripAnsi(o.evalue ?? "")}`);
      }
    }
  });
  return errors;
}

/** Model ids of the widget views a notebook displayed, in output order, with their cell id. */
export function displayedViews(nb: Notebook): { modelId: string; label: string }[] {
  const views: { modelId: string; label: string }[] = [];
  nb.cells.forEach((c, i) => {
    for (const o of c.outputs ?? []) {
      const v = o.data?.["application/vnd.jupyter.widget-view+json"] as
        | { model_id?: string }
        | undefined;
      if (v?.model_id) views.push({ modelId: v.model_id, label: `cell ${c.id ?? i}` });
    }
  });
  return views;
}

function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
