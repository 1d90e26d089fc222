/**
 * Choosing and initialising the tfjs backend, once, before any tensor exists.
 *
 * Policy (`"auto"`): WebGPU when `navigator.gpu` gives an adapter that is not
 * a software fallback (Mesa's llvmpipe reports `isFallbackAdapter`), else
 * WASM (XNNPACK, SIMD, single-threaded), else the pure-JS CPU backend.
 * Whatever was chosen is reported, with the adapter and the reason.
 *
 * Why once: tfjs moves tensors between backends with `readSync`, which needs
 * a canvas on WebGPU that Deno does not have. So switching after tensors
 * exist is refused with an explanation instead of failing later.
 *
 * @example
 * ```ts
 * import { useBackend } from "./backend.ts";
 * const info = await useBackend("cpu", { quiet: true });
 * if (!(info.name === "cpu")) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { importWasmBackend, importWebgpuBackend, tf, wasmBackendEntry } from "./deps.ts";
import { registerWasmKernels } from "./kernels/mod.ts";

/** The backends neurolens can run on. */
export const BACKEND_NAMES = ["webgpu", "wasm", "cpu"] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = typeof BACKEND_NAMES[number];
/** What a caller may ask for: a backend, or `"auto"` for the policy above. */
export type BackendChoice = BackendName | "auto";

/** What is known about a WebGPU adapter, as far as the choice needs it. */
export interface AdapterFacts {
  /** `adapter.info.isFallbackAdapter` (a software rasteriser such as llvmpipe). */
  isFallback: boolean;
  /** Vendor, architecture and description joined, for the report. */
  description: string;
}

/** The chosen backend and why. */
export interface BackendInfo {
  /** The backend tfjs now runs on. */
  name: BackendName;
  /**
   * The WebGPU adapter that was found (also when it was not used), or null;
   * only probed for `"auto"` and `"webgpu"`.
   */
  adapter: AdapterFacts | null;
  /** One sentence: why this backend. */
  reason: string;
}

/**
 * The pure decision of `"auto"`: a real GPU adapter → webgpu; otherwise wasm
 * when it can be initialised; otherwise cpu.
 *
 * @param adapter the WebGPU adapter found, or null when there is none
 * @param wasmAvailable whether the WASM binaries were found and load
 * @returns the backend to use and the reason, as reported to the user
 * @example
 * ```ts
 * import { decideBackend } from "./backend.ts";
 * const d = decideBackend({ isFallback: true, description: "llvmpipe" }, true);
 * if (!(d.name === "wasm")) throw new Error("example failed");
 * ```
 */
export function decideBackend(
  adapter: AdapterFacts | null,
  wasmAvailable: boolean,
): { name: BackendName; reason: string } {
  if (adapter && !adapter.isFallback) {
    return { name: "webgpu", reason: `GPU adapter found: ${adapter.description}` };
  }
  const why = adapter
    ? `the only WebGPU adapter is a software fallback (${adapter.description})`
    : "no WebGPU adapter";
  if (wasmAvailable) return { name: "wasm", reason: `${why}; WASM (XNNPACK, SIMD) is faster` };
  return { name: "cpu", reason: `${why} and the WASM backend could not be loaded` };
}

/**
 * Checks a user's backend choice.
 *
 * @throws {TypeError} naming the bad value and listing the valid ones
 */
export function parseBackendChoice(value: unknown): BackendChoice {
  const valid: readonly string[] = ["auto", ...BACKEND_NAMES];
  if (typeof value === "string" && valid.includes(value)) return value as BackendChoice;
  throw new TypeError(
    `Unknown backend ${JSON.stringify(value)}: expected one of ${valid.join(", ")}`,
  );
}

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /** Do not print the one-line report on stderr. Default: false. */
  quiet?: boolean;
}

let current: BackendInfo | null = null;

/**
 * Chooses and initialises the backend; safe to call again with the same
 * choice (returns the same report).
 *
 * @param choice a backend name or `"auto"` (default)
 * @param options see {@link UseBackendOptions}
 * @returns the chosen backend, its adapter and the reason
 * @throws {TypeError} for an unknown name
 * @throws {Error} when asked to switch after tensors were created, or when an
 *   explicitly requested backend cannot start
 */
export async function useBackend(
  choice: BackendChoice = "auto",
  options: UseBackendOptions = {},
): Promise<BackendInfo> {
  parseBackendChoice(choice);
  if (current && (choice === "auto" || choice === current.name)) return current;
  if (current && tf.memory().numTensors > 0) {
    throw new Error(
      `The backend is already "${current.name}" and ${tf.memory().numTensors} tensors exist; ` +
        `switching to "${choice}" now would copy them through readSync, which fails on WebGPU ` +
        `in Deno. Call useBackend("${choice}") once, before creating tensors.`,
    );
  }
  // Probing loads the native WebGPU stack; an explicit CPU or WASM choice
  // does not need it (and then reports no adapter).
  const adapter = choice === "auto" || choice === "webgpu" ? await probeAdapter() : null;
  let decision: { name: BackendName; reason: string };
  if (choice === "auto") {
    const wantGpu = decideBackend(adapter, true).name === "webgpu";
    if (wantGpu && await activate("webgpu")) {
      decision = decideBackend(adapter, true);
    } else {
      decision = decideBackend(wantGpu ? null : adapter, await activate("wasm"));
      if (wantGpu) decision.reason = `WebGPU failed to initialise; ${decision.reason}`;
      if (decision.name === "cpu" && !(await activate("cpu"))) {
        throw new Error("No tfjs backend could be initialised (tried webgpu, wasm, cpu)");
      }
    }
  } else {
    decision = { name: choice, reason: "requested explicitly" };
    if (!(await activate(choice))) {
      throw new Error(`The ${choice} backend could not be initialised`);
    }
  }
  if (decision.name === "wasm") registerWasmKernels();
  current = { name: decision.name, adapter, reason: decision.reason };
  if (!options.quiet) console.error(describeBackend(current));
  return current;
}

/** The backend chosen by {@link useBackend}, or null before the first call. */
export function currentBackend(): BackendInfo | null {
  return current;
}

/** One readable line: backend, adapter, reason. */
export function describeBackend(info: BackendInfo): string {
  // An explicit wasm/cpu choice does not probe for an adapter: say nothing about it.
  if (!info.adapter && info.reason === "requested explicitly") {
    return `neurolens: backend ${info.name} — ${info.reason}`;
  }
  const adapter = info.adapter
    ? `${info.adapter.description}${info.adapter.isFallback ? " (software fallback)" : ""}`
    : "none";
  return `neurolens: backend ${info.name} (WebGPU adapter: ${adapter}) — ${info.reason}`;
}

async function probeAdapter(): Promise<AdapterFacts | null> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info;
    const description = [info.vendor, info.architecture, info.description]
      .filter((s) => s && s.length > 0).join(" ") || "unnamed adapter";
    // `isFallbackAdapter` moved from the adapter to its info in newer specs.
    const isFallback = Boolean(
      (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
        (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    );
    return { isFallback, description };
  } catch {
    return null;
  }
}

/** Loads a backend's package and makes it current; false when it fails. */
async function activate(name: BackendName): Promise<boolean> {
  try {
    if (name === "wasm") {
      const wasm = await importWasmBackend();
      // The .wasm binaries sit next to the package entry, in node_modules or
      // in Deno's global cache, whichever the user's setup resolved.
      wasm.setWasmPaths(new URL("./", wasmBackendEntry()).href);
    } else if (name === "webgpu") {
      await importWebgpuBackend();
    }
    // setBackend initialises the backend and reports failure as false.
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  } catch {
    return false;
  }
}
