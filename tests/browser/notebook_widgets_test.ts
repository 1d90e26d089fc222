/**
 * The executed notebooks' widgets rendered in Chromium through the real
 * `@jupyter-widgets/html-manager` and anywidget front end, offline: marks
 * drawn, nothing fetched from outside, interactions work, screenshots saved.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import {
  launchBrowser,
  openOffline,
  screenshot,
  toolTest,
  widgetPage,
  type WidgetStateBundle,
} from "./_browser.ts";
import { RANKING_COLORS } from "../../widgets/views/ranking/spec.ts";
import { displayedViews, executeNotebook, listNotebooks } from "../notebooks/_execute.ts";

await toolTest("notebook widgets render offline in Chromium through html-manager + anywidget", [
  "jupyter",
  "chromium",
], async (t) => {
  const out = await Deno.makeTempDir({ prefix: "nb-browser-" });
  const browser = await launchBrowser();
  try {
    for (const path of await listNotebooks()) {
      const name = basename(path, ".ipynb");
      const nb = await executeNotebook(path, out);
      const views = displayedViews(nb);
      if (views.length === 0) continue;
      const bundle = (nb.metadata.widgets as Record<string, unknown>)[
        "application/vnd.jupyter.widget-state+json"
      ] as WidgetStateBundle;
      await t.step(name, async () => {
        const { page, blocked, errors } = await openOffline(browser, widgetPage(bundle, views));
        try {
          // Every displayed view draws an SVG (Plot) inside its cell.
          await page.waitForFunction(
            (n) => document.querySelectorAll(".nl-cell svg").length >= n,
            views.length,
            { timeout: 20_000 },
          );
          console.log(`screenshot: ${await screenshot(page, `notebook-${name}`)}`);
          if (name === "quickstart") {
            await quickstartInteractions(page, bundle, views[0]!.modelId);
            console.log(`screenshot: ${await screenshot(page, `notebook-${name}-interacted`)}`);
          }
          assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), [], "no errors in the page");
          assert.deepEqual(blocked, [], "no request left the machine");
        } finally {
          await page.close();
        }
      });
    }
  } finally {
    await browser.close();
    await Deno.remove(out, { recursive: true });
  }
});

/** Ranking: one bar per neuron; the threshold slider re-counts; a click selects. */
async function quickstartInteractions(
  page: import("../_browser_deps.ts").Page,
  bundle: WidgetStateBundle,
  modelId: string,
): Promise<void> {
  const model = bundle.state[modelId]!;
  const layerOf = model.buffers?.find((b) => b.path[0] === "layerOf");
  const neurons = layerOf ? atob(layerOf.data).length / 4 : 0;
  assert.equal(neurons, 16 + 16 + 32 + 32 + 64);
  // The first ranking view on the page is this widget's (the explorer further
  // down draws ranking bars too).
  const view = page.locator('[data-testid="ranking-view"]').first();
  const bars = view.locator('[data-testid="ranking-bar"]');
  assert.equal(await bars.count(), neurons, "one bar per neuron");
  const slider = view.locator('[data-testid="ranking-threshold"]');
  const count = view.locator('[data-testid="ranking-count"]');
  const parse = async () => {
    const m = /^(\d+) of (\d+)/.exec((await count.textContent()) ?? "");
    assert.ok(m, "the count reads 'k of n neurons'");
    return { k: Number(m[1]), n: Number(m[2]) };
  };
  // The passing bars are drawn in the view's "pass" colour: count them.
  const passColour = RANKING_COLORS.pass;
  const passingBars = async () =>
    (await bars.evaluateAll((els) => els.map((e) => e.getAttribute("fill"))))
      .filter((f) => f === passColour).length;
  const min = Number(await slider.getAttribute("min"));
  const max = Number(await slider.getAttribute("max"));
  await slider.fill(String(min));
  const low = await parse();
  assert.deepEqual(low, { k: neurons, n: neurons }, "at the lowest threshold every neuron passes");
  assert.equal(await passingBars(), neurons);
  await slider.fill(String(max));
  const high = await parse();
  assert.ok(high.k >= 1 && high.k < neurons, `at the highest threshold few pass (${high.k})`);
  assert.equal(await passingBars(), high.k, "the bars recoloured match the count");
  // One layer only: its 64 units, counted against the same threshold.
  await view.locator('[data-testid="ranking-layer"]').selectOption({ label: "block3_conv1" });
  assert.equal(await bars.count(), 64);
  assert.equal((await parse()).n, 64);
  await view.locator('[data-testid="ranking-layer"]').selectOption("all");
  assert.equal(await bars.count(), neurons);
  await bars.first().click();
  const selected = await view.locator('[data-testid="ranking-selected"]').textContent();
  assert.match(selected ?? "", /^selected: /);
}
