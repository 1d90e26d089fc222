/**
 * Progress of long computations: in Jupyter one output that updates in place
 * (a display id and `update_display_data`), elsewhere a line on stderr
 * (the terminal reporter of `engine/report/progress.ts`).
 *
 * @module
 */
import { type ProgressFn, terminalProgress } from "../../engine/report/progress.ts";
import { escapeText } from "./export.ts";
import { jupyterTransport } from "./_transport.ts";

/** Options of {@link progressDisplay}. */
export interface ProgressDisplayOptions {
  /** Least time between two Jupyter updates, in ms (the last one always shows). Default: 250. */
  intervalMs?: number;
  /** Show nothing. Default: false. */
  quiet?: boolean;
}

/**
 * A progress reporter `(done, total) => void` for any `onProgress` option
 * (e.g. `neuronStats(net, set, { onProgress: progressDisplay("stats") })`).
 *
 * @param label what is being done (shown as text)
 * @param options {@link ProgressDisplayOptions}
 * @returns the reporter
 * @example
 * ```ts
 * import { progressDisplay } from "./progress.ts";
 * const tick = progressDisplay("demo", { quiet: true });
 * tick(1, 2);
 * tick(2, 2);
 * ```
 */
export function progressDisplay(label: string, options: ProgressDisplayOptions = {}): ProgressFn {
  const jupyter = jupyterTransport();
  if (!jupyter || options.quiet) return terminalProgress(label, { quiet: options.quiet ?? false });
  const id = `neurolens-progress-${crypto.randomUUID()}`;
  const started = performance.now();
  const interval = options.intervalMs ?? 250;
  let shown = false;
  let last = -Infinity;
  let queue: Promise<void> = Promise.resolve();
  return (done, total) => {
    const now = performance.now();
    const finished = done >= total;
    if (shown && !finished && now - last < interval) return;
    last = now;
    const pct = total > 0 ? Math.min(100, (100 * done) / total) : 100;
    const secs = ((now - started) / 1000).toFixed(1);
    const text = `${label}: ${done}/${total} (${Math.floor(pct)} %) ${secs} s`;
    const bundle = {
      "text/plain": text,
      "text/html": `<div style="font:13px system-ui,sans-serif"><progress max="100" value="${
        pct.toFixed(1)
      }" style="width:240px;vertical-align:middle"></progress> ${escapeText(text)}</div>`,
    };
    const update = shown;
    shown = true;
    // In order, and never throwing into the computation that reports.
    queue = queue.then(() =>
      jupyter.display(bundle, { raw: true, display_id: id, ...(update ? { update: true } : {}) })
    ).catch(() => {});
  };
}
