/**
 * Progress for long computations in a terminal: one line on stderr, redrawn
 * in place on a TTY, printed every 10 % otherwise (logs, CI).
 *
 * @example
 * ```ts
 * import { terminalProgress } from "./progress.ts";
 * const tick = terminalProgress("demo", { quiet: true });
 * tick(5, 10);
 * tick(10, 10);
 * ```
 *
 * @module
 */

/** Reports (done, total); returns nothing. */
export type ProgressFn = (done: number, total: number) => void;

/** Options of {@link terminalProgress}. */
export interface ProgressOptions {
  /** Print nothing. Default: false. */
  quiet?: boolean;
}

/**
 * A progress reporter writing "label: done/total (p %) elapsed" to stderr.
 *
 * @param label what is being done
 * @param options see {@link ProgressOptions}
 * @returns the reporter; call it with (done, total)
 */
export function terminalProgress(label: string, options: ProgressOptions = {}): ProgressFn {
  const started = performance.now();
  const tty = Deno.stderr.isTerminal();
  let lastDecile = -1;
  const encoder = new TextEncoder();
  return (done, total) => {
    if (options.quiet) return;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const line = `${label}: ${done}/${total} (${pct} %) ${secs} s`;
    if (tty) {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}${done >= total ? "\n" : ""}`));
    } else if (Math.floor(pct / 10) > lastDecile || done >= total) {
      lastDecile = Math.floor(pct / 10);
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    }
  };
}
