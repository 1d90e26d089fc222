/**
 * The explorer through the real html-manager + anywidget front end, offline:
 * the NeuronIM and IoU sliders re-filter and re-count in the browser exactly
 * as the pure spec says, clicking a layer row selects it, clicking a neuron's
 * bar opens its card; and the 512 neurons × 4 layers render time (reported).
 * Coordinates through the test ids documented in widgets/views/explorer/view.ts.
 */
import assert from "node:assert/strict";
import { exportPage } from "../../widgets/host/export.ts";
import { createWidget } from "../../widgets/host/widget.ts";
import { setJupyterTransport } from "../../widgets/host/_transport.ts";
import type { Page } from "../_browser_deps.ts";
import {
  launchBrowser,
  openOffline,
  screenshot,
  stateOfHandles,
  toolTest,
  widgetPage,
} from "./_browser.ts";

const SPEC = new URL("../../widgets/views/explorer/spec.ts", import.meta.url);
const hasExplorer = await Deno.stat(new URL("./sample.ts", SPEC)).then(() => true, () => false);

setJupyterTransport(null);

interface Explorer {
  layers: string[];
  layerOf: Int32Array;
  unit: Int32Array;
  score: Float32Array;
  iou?: Float32Array;
}
interface Summary {
  rows: { passing: number; detectors: number }[];
  total: { neurons: number; passing: number; detectors: number };
}

async function spec() {
  const s = await import(SPEC.href) as {
    explorerSummary(st: unknown, t: number, iou: number, best: unknown): Summary;
  };
  const o = await import(new URL("../layer_overview/spec.ts", SPEC).href) as {
    bestConcepts(st: unknown): unknown;
  };
  const sample = await import(new URL("./sample.ts", SPEC).href) as {
    sampleState(units?: number, layers?: number): Explorer & Record<string, unknown>;
  };
  return { ...s, ...o, ...sample };
}

async function cells(page: Page, testid: string): Promise<number[]> {
  return (await page.locator(`[data-testid="${testid}"]`).allTextContents()).map(Number);
}

if (hasExplorer) {
  await toolTest(
    "explorer: sliders re-filter and re-count, a layer click selects, a bar click opens its card",
    [
      "chromium",
    ],
    async () => {
      const { explorerSummary, bestConcepts, sampleState } = await spec();
      const state = sampleState();
      const best = bestConcepts(state);
      const handle = await createWidget("explorer", state, { title: "explorer" });
      const { bundle, views } = stateOfHandles([handle]);
      const browser = await launchBrowser();
      try {
        const { page, blocked, errors } = await openOffline(browser, widgetPage(bundle, views));
        await page.waitForSelector('[data-testid="explorer-ranking"] svg', { timeout: 20_000 });
        await screenshot(page, "explorer-initial");
        const threshold = page.locator('[data-testid="explorer-threshold"]');
        const iou = page.locator('[data-testid="explorer-iou"]');
        const expectCounts = async (why: string) => {
          const t = Number(await threshold.inputValue());
          const u = Number(await iou.inputValue());
          const want = explorerSummary(state, t, u, best);
          assert.deepEqual(
            await cells(page, "explorer-passing"),
            want.rows.map((r) => r.passing),
            why,
          );
          assert.deepEqual(
            await cells(page, "explorer-detectors"),
            want.rows.map((r) => r.detectors),
            why,
          );
          const text = await page.locator('[data-testid="explorer-count"]').textContent();
          assert.ok(
            text?.startsWith(`${want.total.passing} of ${want.total.neurons} neurons`),
            `${why}: ${text}`,
          );
          return want.total;
        };
        await expectCounts("initial");
        await threshold.fill(await threshold.getAttribute("min") ?? "0");
        const all = await expectCounts("lowest NeuronIM threshold");
        assert.equal(all.passing, all.neurons);
        await threshold.fill(await threshold.getAttribute("max") ?? "1");
        const few = await expectCounts("highest NeuronIM threshold");
        assert.ok(few.passing < all.passing);
        await iou.fill("0");
        const many = await expectCounts("IoU threshold 0");
        await iou.fill("0.5");
        const strict = await expectCounts("IoU threshold 0.5");
        assert.ok(strict.detectors < many.detectors, "a stricter IoU counts fewer detectors");

        // Select layer 2 from the table: the ranking shows its neurons.
        await page.locator('[data-testid="explorer-row"][data-layer="2"]').dispatchEvent("click");
        const title = await page.locator('[data-testid="explorer-ranking-title"]').textContent();
        assert.ok(title?.includes(`neurons of ${state.layers[2]} by`), String(title));
        const bars = page.locator('[data-testid="explorer-ranking"] [data-testid="ranking-bar"]');
        const inLayer = Array.from(state.layerOf).filter((l) => l === 2).length;
        assert.equal(await bars.count(), inLayer);
        // Click the last bar (not the default, best neuron): the card shows that neuron.
        const index = Number(await bars.last().getAttribute("data-index"));
        assert.equal(state.layerOf[index], 2);
        await bars.last().dispatchEvent("click");
        const head = await page.locator('[data-testid="explorer-card"] [data-testid="card-head"]')
          .textContent();
        assert.equal(head, `${state.layers[2]} · unit ${state.unit[index]}`);
        await screenshot(page, "explorer-interacted");
        const xss = await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss);
        assert.equal(xss, undefined);
        assert.deepEqual(errors, []);
        assert.deepEqual(blocked, []);
        await page.close();
      } finally {
        await browser.close();
      }
    },
  );

  await toolTest("explorer with 512 neurons × 4 layers renders through anywidget (time reported)", [
    "chromium",
  ], async () => {
    const { sampleState } = await spec();
    const handle = await createWidget("explorer", sampleState(512, 4), { title: "512 × 4" });
    const { bundle, views } = stateOfHandles([handle]);
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openOffline(browser, widgetPage(bundle, views));
      // From the page's start (navigation) to the ranking drawn, measured by the browser.
      await page.waitForSelector('[data-testid="explorer-ranking"] svg', { timeout: 30_000 });
      const ms = await page.evaluate(() => performance.now());
      const moveMs = await page.locator('[data-testid="explorer-threshold"]').evaluate(
        (el: HTMLInputElement) => {
          const t0 = performance.now();
          el.value = el.min;
          el.dispatchEvent(new Event("input", { bubbles: true }));
          return performance.now() - t0;
        },
      );
      console.log(
        `explorer 512 neurons × 4 layers via html-manager + anywidget: ready ${ms.toFixed(0)} ms ` +
          `after navigation (front end + module load included), threshold move ${
            moveMs.toFixed(0)
          } ms`,
      );
      assert.deepEqual(errors, []);
      await screenshot(page, "explorer-2048");
      await page.close();
      // The same widget from an exportHtml page: module load + render only.
      const exported = await openOffline(browser, exportPage([handle], { title: "512 × 4" }));
      await exported.page.waitForSelector("body[data-neurolens-ready]", { timeout: 30_000 });
      const renderMs = Number(await exported.page.getAttribute("body", "data-neurolens-ms"));
      assert.equal(await exported.page.getAttribute("body", "data-neurolens-errors"), "0");
      console.log(
        `explorer 512 neurons × 4 layers from exportHtml: module load + render ${
          renderMs.toFixed(0)
        } ms`,
      );
      await exported.page.close();
    } finally {
      await browser.close();
    }
  });
}
