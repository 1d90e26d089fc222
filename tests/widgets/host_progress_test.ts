import assert from "node:assert/strict";
import { progressDisplay } from "../../widgets/host/progress.ts";
import { setJupyterTransport } from "../../widgets/host/_transport.ts";

Deno.test("progressDisplay in Jupyter displays once under a display id, then updates that output in place", async () => {
  const shown: { bundle: Record<string, unknown>; options: Record<string, unknown> }[] = [];
  setJupyterTransport({
    broadcast: () => Promise.resolve(),
    display(bundle, options = {}) {
      shown.push({ bundle, options });
      return Promise.resolve();
    },
  });
  try {
    const tick = progressDisplay("stats <b>", { intervalMs: 0 });
    tick(1, 4);
    tick(2, 4);
    tick(4, 4);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(shown.length, 3);
    const id = shown[0]?.options.display_id;
    assert.equal(typeof id, "string");
    assert.equal(shown[0]?.options.update, undefined);
    for (const s of shown.slice(1)) {
      assert.equal(s.options.display_id, id);
      assert.equal(s.options.update, true);
    }
    assert.match(String(shown[2]?.bundle["text/plain"]), /stats <b>: 4\/4 \(100 %\)/);
    const html = String(shown[2]?.bundle["text/html"]);
    assert.match(html, /<progress max="100" value="100.0"/);
    assert.ok(html.includes("stats &lt;b&gt;"), "the label is text");
  } finally {
    setJupyterTransport(undefined);
  }
});

Deno.test("progressDisplay throttles Jupyter updates but always shows the last one", async () => {
  const shown: unknown[] = [];
  setJupyterTransport({
    broadcast: () => Promise.resolve(),
    display(bundle) {
      shown.push(bundle);
      return Promise.resolve();
    },
  });
  try {
    const tick = progressDisplay("x", { intervalMs: 60_000 });
    for (let i = 1; i <= 100; i++) tick(i, 100);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(shown.length, 2);
  } finally {
    setJupyterTransport(undefined);
  }
});

Deno.test("progressDisplay outside Jupyter is the stderr line reporter and never throws", () => {
  setJupyterTransport(null);
  try {
    const tick = progressDisplay("x", { quiet: true });
    tick(0, 0);
    tick(3, 3);
  } finally {
    setJupyterTransport(undefined);
  }
});
