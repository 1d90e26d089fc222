/**
 * The offline browser harness: Debian's Chromium driven by playwright-core,
 * every request answered from local files or aborted and recorded, pages
 * built from executed notebooks (the real html-manager + anywidget front
 * end) or from `exportHtml`.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Browser,
  chromium,
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  FRONT_END_FILES,
  HTML_MANAGER_VERSION,
  type Page,
} from "../_browser_deps.ts";
import { scriptJson } from "../../widgets/host/export.ts";
import { type WidgetHandle, widgetModelState } from "../../widgets/host/widget.ts";
import { DEFAULT_ANYWIDGET_VERSION } from "../../widgets/host/anywidget_version.ts";

/** The made-up origin test pages are served from (never on the network). */
export const ORIGIN = "http://neurolens.test";
/** Where screenshots go, for a person to look at. */
export const SCREENSHOTS = fileURLToPath(new URL("../../out/screenshots/", import.meta.url));

/** Whether a program is on PATH (or an absolute path that exists). */
export async function hasProgram(name: string): Promise<boolean> {
  if (name.startsWith("/")) return await Deno.stat(name).then(() => true, () => false);
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await Deno.stat(join(dir, name)).then(() => true, () => false)) return true;
  }
  return false;
}

/**
 * Registers `body` as a test that runs when the tools exist; when they are
 * missing it is skipped, except under `CI=true`, where it fails.
 */
export async function toolTest(
  name: string,
  tools: string[],
  body: (t: Deno.TestContext) => Promise<void>,
): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) if (!(await hasProgram(tool))) missing.push(tool);
  const ci = Deno.env.get("CI") === "true";
  if (missing.length > 0 && !ci) {
    Deno.test({ name: `${name} (needs ${missing.join(", ")})`, ignore: true, fn: () => {} });
    return;
  }
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      if (missing.length > 0) {
        throw new Error(`CI=true but ${missing.join(", ")} missing: install them (see .ci/run)`);
      }
      await body(t);
    },
  });
}

/** Launches Chromium headless with the offline flags. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A page plus what it tried to fetch from outside and what it logged. */
export interface OfflinePage {
  /** The Playwright page. */
  page: Page;
  /** Every request that was not answered locally (all aborted). */
  blocked: string[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
}

const HTML_MANAGER_URL = new RegExp(
  `^https://unpkg\\.com/@jupyter-widgets/html-manager@[^/]+/dist/([A-Za-z0-9._-]+)$`,
);
const ANYWIDGET_URL = /^https:\/\/cdn\.jsdelivr\.net\/npm\/anywidget@[^/]+\/dist\/index\.js$/;

/**
 * Opens `html` at {@link ORIGIN} in a new page: requirejs, the html-manager
 * and anywidget come from local files, every other request is aborted and
 * recorded.
 */
export async function openOffline(browser: Browser, html: string): Promise<OfflinePage> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const blocked: string[] = [];
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  const managerDir = dirname(FRONT_END_FILES.embedAmd);
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    const manager = HTML_MANAGER_URL.exec(url);
    if (url === `${ORIGIN}/`) {
      await route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    } else if (url === `${ORIGIN}/require.js`) {
      await route.fulfill({
        status: 200,
        contentType: "text/javascript",
        path: FRONT_END_FILES.requirejs,
      });
    } else if (manager) {
      await route.fulfill({ status: 200, path: join(managerDir, basename(manager[1]!)) });
    } else if (ANYWIDGET_URL.test(url) || url === `${ORIGIN}/anywidget.js`) {
      // requirejs looks next to the page first, then falls back to the CDN: both are local here.
      await route.fulfill({
        status: 200,
        contentType: "text/javascript",
        path: FRONT_END_FILES.anywidget,
      });
    } else if (url === `${ORIGIN}/favicon.ico`) {
      await route.fulfill({ status: 204, body: "" });
    } else if (url.startsWith(`${ORIGIN}/`)) {
      errors.push(`local 404: ${url}`);
      await route.fulfill({ status: 404, body: "" });
    } else {
      blocked.push(url);
      await route.abort();
    }
  });
  await page.goto(`${ORIGIN}/`);
  return { page, blocked, errors };
}

/** The Jupyter widget-state of a notebook, as nbclient stores it. */
export interface WidgetStateBundle {
  /** Protocol version. */
  version_major: number;
  /** Protocol version. */
  version_minor: number;
  /** Models by id: `{ model_name, model_module, model_module_version, state, buffers? }`. */
  state: Record<string, WidgetModelState>;
}

/** One saved widget model. */
export interface WidgetModelState {
  /** e.g. "AnyModel". */
  model_name: string;
  /** e.g. "anywidget". */
  model_module: string;
  /** e.g. "0.9.21". */
  model_module_version: string;
  /** The traits, `_esm` included. */
  state: Record<string, unknown>;
  /** Binary buffers, base64. */
  buffers?: { path: (string | number)[]; encoding: string; data: string }[];
}

/**
 * A page that renders widget views through the real html-manager and
 * anywidget front end, like nbconvert's HTML export but with the state JSON
 * escaped correctly (`<`, `>`, `&` as `\u` escapes; nbconvert 6.5 breaks it).
 *
 * @param state the widget state bundle
 * @param views model ids to display, each with a label for the page
 */
export function widgetPage(
  state: WidgetStateBundle,
  views: { modelId: string; label: string }[],
): string {
  const blocks = views.map((v, i) =>
    `<div class="nl-cell" data-view-index="${i}" data-label="${escapeAttr(v.label)}">\n` +
    `<script type="application/vnd.jupyter.widget-view+json">${
      scriptJson({ version_major: 2, version_minor: 0, model_id: v.modelId })
    }</script>\n</div>`
  );
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>widgets</title>
<script src="${ORIGIN}/require.js"></script>
<script src="https://unpkg.com/@jupyter-widgets/html-manager@${HTML_MANAGER_VERSION}/dist/embed-amd.js" crossorigin="anonymous"></script>
<script type="application/vnd.jupyter.widget-state+json">${scriptJson(state)}</script>
</head><body style="margin:16px;font:14px system-ui,sans-serif">
${blocks.join("\n")}
</body></html>
`;
}

/**
 * The widget state nbclient would save for these widgets (what the kernel
 * sent in comm_open, buffers base64), and the views to display.
 */
export function stateOfHandles(
  handles: WidgetHandle[],
): { bundle: WidgetStateBundle; views: { modelId: string; label: string }[] } {
  const state: Record<string, WidgetModelState> = {};
  for (const h of handles) {
    const m = widgetModelState(h, DEFAULT_ANYWIDGET_VERSION);
    state[h.id] = {
      model_name: "AnyModel",
      model_module: "anywidget",
      model_module_version: DEFAULT_ANYWIDGET_VERSION,
      state: m.state,
      buffers: m.buffers.map((b, i) => ({
        path: m.bufferPaths[i]!,
        encoding: "base64",
        data: base64(b),
      })),
    };
  }
  return {
    bundle: { version_major: 2, version_minor: 0, state },
    views: handles.map((h) => ({ modelId: h.id, label: h.view })),
  };
}

function base64(view: DataView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Saves a full-page screenshot under out/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}
