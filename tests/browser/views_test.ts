/**
 * Every view with a `sample.ts`, rendered in Chromium offline two ways: from
 * an `exportHtml` page and through the real html-manager + anywidget front
 * end. Marks drawn, no errors, no request out, and the XSS sample label shown
 * as text with nothing executed. Plus the pipeline on a fixture view, and the
 * render time of a 512 neurons × 4 layers ranking (reported, not asserted).
 */
import assert from "node:assert/strict";
import { exportHtml, exportPage } from "../../widgets/host/export.ts";
import { createWidget, type WidgetHandle } from "../../widgets/host/widget.ts";
import { setJupyterTransport } from "../../widgets/host/_transport.ts";
import type { Browser, Page } from "../_browser_deps.ts";
import {
  launchBrowser,
  openOffline,
  screenshot,
  stateOfHandles,
  toolTest,
  widgetPage,
} from "./_browser.ts";

const VIEWS = new URL("../../widgets/views/", import.meta.url);
const FIXTURE = new URL("../widgets/fixtures/bars/mod.ts", import.meta.url);
const XSS_TEXT = "<img src=x onerror=";

async function sampleViews(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(VIEWS)) {
    if (!e.isDirectory || e.name.startsWith("_")) continue;
    const has = (f: string) =>
      Deno.stat(new URL(`${e.name}/${f}`, VIEWS)).then(() => true, () => false);
    if (await has("sample.ts") && await has("mod.ts")) names.push(e.name);
  }
  return names.sort();
}

async function handleFor(view: string): Promise<WidgetHandle> {
  const mod = await import(new URL(`${view}/sample.ts`, VIEWS).href) as {
    sampleState(): Record<string, unknown>;
  };
  return await createWidget(view, mod.sampleState(), { title: `${view} sample` });
}

/** Opens an exported page and waits until every widget has rendered (or failed). */
async function openExport(browser: Browser, handles: WidgetHandle[], title: string) {
  const opened = await openOffline(browser, exportPage(handles, { title }));
  await opened.page.waitForSelector("body[data-neurolens-ready]", { timeout: 30_000 });
  return opened;
}

/** Plot marks drawn: children of Plot's mark groups, plus plain rects/paths/circles in SVGs. */
function countMarks(page: Page, scope: string): Promise<number> {
  return page.evaluate(
    (sel) =>
      document.querySelectorAll(
        `${sel} svg rect, ${sel} svg path, ${sel} svg circle, ${sel} svg image, ${sel} svg text`,
      ).length,
    scope,
  );
}

async function assertXssInert(page: Page, label: string): Promise<void> {
  const state = await page.evaluate(() => ({
    xss: (globalThis as { __xss?: unknown }).__xss,
    injected: document.querySelectorAll("img[onerror], [onerror]").length,
    text: document.body.innerText + " " +
      Array.from(document.querySelectorAll("svg text, svg title")).map((e) => e.textContent).join(
        " ",
      ),
  }));
  assert.equal(state.xss, undefined, `${label}: no injected script ran`);
  assert.equal(state.injected, 0, `${label}: no element was injected`);
  assert.ok(state.text.includes(XSS_TEXT), `${label}: the XSS label is shown as text`);
}

setJupyterTransport(null);

await toolTest("every view's sample renders offline from exportHtml and through anywidget", [
  "chromium",
], async (t) => {
  const browser = await launchBrowser();
  try {
    for (const view of await sampleViews()) {
      const handle = await handleFor(view);
      await t.step(`${view}: exportHtml page`, async () => {
        const { page, blocked, errors } = await openExport(
          browser,
          [handle],
          `${view} ${XSS_TEXT}x>`,
        );
        try {
          assert.equal(await page.getAttribute("body", "data-neurolens-errors"), "0");
          assert.ok(await countMarks(page, ".nl-root") > 0, "marks drawn");
          await assertXssInert(page, view);
          assert.deepEqual(errors, []);
          assert.deepEqual(blocked, []);
          console.log(`screenshot: ${await screenshot(page, `export-${view}`)}`);
        } finally {
          await page.close();
        }
      });
      await t.step(`${view}: html-manager + anywidget`, async () => {
        const { bundle, views } = stateOfHandles([handle]);
        const { page, blocked, errors } = await openOffline(browser, widgetPage(bundle, views));
        try {
          await page.waitForFunction(() => document.querySelector(".nl-cell svg") !== null, null, {
            timeout: 20_000,
          });
          assert.ok(await countMarks(page, ".nl-cell") > 0, "marks drawn");
          await assertXssInert(page, view);
          assert.deepEqual(errors, []);
          assert.deepEqual(blocked, []);
          console.log(`screenshot: ${await screenshot(page, `widget-${view}`)}`);
        } finally {
          await page.close();
        }
      });
    }
  } finally {
    await browser.close();
  }
});

await toolTest(
  "the pipeline on a fixture view: exportHtml and anywidget draw one bar per value, offline",
  [
    "chromium",
  ],
  async () => {
    const handle = await createWidget("bars", {
      label: `bars ${XSS_TEXT}"globalThis.__xss=1">`,
      values: new Float32Array([1, 3, 2]),
    }, { module: FIXTURE });
    const browser = await launchBrowser();
    try {
      for (const kind of ["export", "anywidget"]) {
        const { page, blocked, errors } = kind === "export"
          ? await openExport(browser, [handle, handle], "fixture")
          : await openOffline(
            browser,
            widgetPage(stateOfHandles([handle]).bundle, stateOfHandles([handle]).views),
          );
        try {
          await page.waitForSelector('[data-testid="bars-plot"]', { timeout: 20_000 });
          const bars = await page.locator('[data-testid="bars-plot"] g[aria-label="bar"] rect')
            .count();
          assert.equal(bars, kind === "export" ? 6 : 3, `${kind}: one bar per value`);
          await assertXssInert(page, kind);
          assert.deepEqual(errors, []);
          assert.deepEqual(blocked, []);
        } finally {
          await page.close();
        }
      }
      // What a user does with a report: open the written file directly.
      const path = await Deno.makeTempFile({ suffix: ".html" });
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on("request", (r) => {
        if (!/^(file|blob|data):/.test(r.url())) requests.push(r.url());
      });
      try {
        await exportHtml(path, [handle], { title: "fixture from a file" });
        await page.goto(`file://${path}`);
        await page.waitForSelector("body[data-neurolens-ready]", { timeout: 20_000 });
        assert.equal(await page.getAttribute("body", "data-neurolens-errors"), "0");
        assert.equal(await page.locator('g[aria-label="bar"] rect').count(), 3);
        assert.deepEqual(requests, [], "a file:// report fetches nothing");
      } finally {
        await page.close();
        await Deno.remove(path);
      }
    } finally {
      await browser.close();
    }
  },
);

await toolTest("a 512 neurons × 4 layers ranking renders in Chromium (time reported)", [
  "chromium",
], async () => {
  const exists = await Deno.stat(new URL("ranking/mod.ts", VIEWS)).then(() => true, () => false);
  if (!exists) return;
  const units = 512, layers = 4, n = units * layers;
  const layerOf = new Int32Array(n), unit = new Int32Array(n), score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    layerOf[i] = Math.floor(i / units);
    unit[i] = i % units;
    score[i] = Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1;
  }
  const handle = await createWidget("ranking", {
    title: "512 × 4",
    metric: "score",
    layers: ["l1", "l2", "l3", "l4"],
    layerOf,
    unit,
    score,
  });
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openExport(browser, [handle], "512 × 4");
    try {
      const ms = Number(await page.getAttribute("body", "data-neurolens-ms"));
      const bars = await page.locator('[data-testid="ranking-bar"]').count();
      assert.equal(bars, n);
      assert.deepEqual(errors, []);
      // Re-render on a slider move: the in-browser interaction cost.
      const slider = page.locator('[data-testid="ranking-threshold"]');
      const moveMs = await slider.evaluate((el: HTMLInputElement) => {
        const t0 = performance.now();
        el.value = el.max;
        el.dispatchEvent(new Event("input", { bubbles: true }));
        return performance.now() - t0;
      });
      console.log(
        `ranking 512 neurons × 4 layers: first render ${
          ms.toFixed(0)
        } ms (module load included), ` +
          `threshold move ${moveMs.toFixed(0)} ms`,
      );
      await screenshot(page, "export-ranking-2048");
    } finally {
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
