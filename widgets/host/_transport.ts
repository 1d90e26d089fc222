/**
 * The kernel's outgoing message channel: `Deno.jupyter` when running under
 * `deno jupyter`, nothing elsewhere; tests substitute a recorder.
 *
 * @module
 */

/** The part of `Deno.jupyter` the widgets use. */
export interface JupyterTransport {
  /** Sends a Jupyter message on IOPub (comm_open, comm_msg, ...). */
  broadcast(
    msgType: string,
    content: Record<string, unknown>,
    extra?: { metadata?: Record<string, unknown>; buffers?: Uint8Array[] },
  ): Promise<void>;
  /** Displays a MIME bundle (`raw: true`), optionally under a display id. */
  display(
    bundle: Record<string, unknown>,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

let override: JupyterTransport | null | undefined;

/**
 * The transport to use: the test override if set, else `Deno.jupyter` inside
 * the Deno kernel, else `undefined` (a terminal, a test, a script).
 */
export function jupyterTransport(): JupyterTransport | undefined {
  if (override !== undefined) return override ?? undefined;
  try {
    // The getter throws outside `deno jupyter`.
    const j = (Deno as unknown as { jupyter?: JupyterTransport }).jupyter;
    return j && typeof j.broadcast === "function" ? j : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replaces the transport (tests); `null` forces "not in Jupyter", `undefined`
 * restores the automatic choice.
 */
export function setJupyterTransport(t: JupyterTransport | null | undefined): void {
  override = t;
}
