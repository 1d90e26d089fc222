import assert from "node:assert/strict";
import { createWidget } from "../../widgets/host/widget.ts";
import { type JupyterTransport, setJupyterTransport } from "../../widgets/host/_transport.ts";
import { DEFAULT_ANYWIDGET_VERSION } from "../../widgets/host/anywidget_version.ts";

const FIXTURE = new URL("./fixtures/bars/mod.ts", import.meta.url);

interface Sent {
  kind: "broadcast" | "display";
  type?: string;
  content: Record<string, unknown>;
  extra?: { metadata?: Record<string, unknown>; buffers?: Uint8Array[] };
  options?: Record<string, unknown>;
}

function recorder(): { transport: JupyterTransport; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    transport: {
      broadcast(type, content, extra) {
        sent.push({ kind: "broadcast", type, content, ...(extra ? { extra } : {}) });
        return Promise.resolve();
      },
      display(bundle, options) {
        sent.push({ kind: "display", content: bundle, ...(options ? { options } : {}) });
        return Promise.resolve();
      },
    },
  };
}

Deno.test("createWidget opens an anywidget comm with _esm, traits and binary buffers, then displays it", async () => {
  const { transport, sent } = recorder();
  setJupyterTransport(transport);
  try {
    const values = new Float32Array([1, 2.5, 4]);
    const w = await createWidget("bars", { label: "conv1", values }, {
      module: FIXTURE,
      title: "Bars <b>",
    });
    assert.equal(sent.length, 2);
    const [open, disp] = sent as [Sent, Sent];
    assert.equal(open.type, "comm_open");
    assert.equal(open.content.comm_id, w.id);
    assert.equal(open.content.target_name, "jupyter.widget");
    assert.deepEqual(open.extra?.metadata, { version: "2.1.0" });
    const data = open.content.data as { state: Record<string, unknown>; buffer_paths: unknown };
    assert.equal(data.state._model_module, "anywidget");
    assert.equal(data.state._model_name, "AnyModel");
    assert.equal(data.state._view_name, "AnyView");
    // No labextension is installed on the test machines.
    assert.match(String(data.state._model_module_version), /^\d+\.\d+\.\d+/);
    assert.equal(typeof data.state._esm, "string");
    assert.equal(data.state._anywidget_id, "neurolens.bars");
    assert.match(data.state._esm as string, /export\s*\{|export default/);
    assert.equal(data.state.label, "conv1");
    assert.deepEqual(data.state.values, { $typed: "float32", data: null });
    assert.deepEqual(data.buffer_paths, [["values", "data"]]);
    const buf = open.extra?.buffers?.[0];
    assert.ok(buf);
    assert.deepEqual(Array.from(new Float32Array(buf.slice().buffer)), [1, 2.5, 4]);
    assert.equal(disp.kind, "display");
    assert.deepEqual(disp.content["application/vnd.jupyter.widget-view+json"], {
      version_major: 2,
      version_minor: 1,
      model_id: w.id,
    });
    assert.equal(disp.options?.raw, true);
    assert.match(String(disp.content["text/plain"]), /Bars <b>/);
    // The fallback is the fixture's own render drawn server-side: an SVG, user text escaped.
    const html = String(disp.content["text/html"]);
    assert.match(html, /<svg/);
    assert.match(html, /data-testid="bars-label">conv1</);

    w.update({ label: "<img src=x onerror=alert(1)>", values: new Float32Array([7]) });
    await w.sent();
    const upd = sent[2];
    assert.equal(upd?.type, "comm_msg");
    assert.equal(upd?.content.comm_id, w.id);
    const u = upd?.content.data as { method: string; state: Record<string, unknown> };
    assert.equal(u.method, "update");
    assert.equal(u.state.label, "<img src=x onerror=alert(1)>");
    assert.deepEqual((upd?.content.data as { buffer_paths: unknown }).buffer_paths, [[
      "values",
      "data",
    ]]);
    assert.equal(upd?.extra?.buffers?.[0]?.byteLength, 4);
    assert.equal(w.state.label, "<img src=x onerror=alert(1)>");
    assert.ok(!w.fallbackHtml().includes("<img"), "user text must stay text in the fallback");
  } finally {
    setJupyterTransport(undefined);
  }
});

Deno.test("createWidget outside Jupyter sends nothing, explains on stderr, and returns a working handle", async () => {
  setJupyterTransport(null);
  try {
    const w = await createWidget("bars", { label: "x", values: [1, 2] }, { module: FIXTURE });
    assert.equal(w.view, "bars");
    w.update({ label: "y" });
    await w.sent();
    assert.equal(w.state.label, "y");
    assert.match(w.fallbackHtml(), /<svg/);
  } finally {
    setJupyterTransport(undefined);
  }
});

Deno.test("createWidget rejects reserved traits, bad values and unknown views with clear errors", async () => {
  setJupyterTransport(null);
  try {
    await assert.rejects(
      createWidget("bars", { _esm: "x" }, { module: FIXTURE }),
      (e: Error) => e instanceof TypeError && /"_esm" is reserved/.test(e.message),
    );
    await assert.rejects(
      createWidget("bars", { values: [NaN] }, { module: FIXTURE }),
      (e: Error) => e instanceof TypeError && /values\.0 is NaN/.test(e.message),
    );
    await assert.rejects(
      createWidget("no_such_view", {}),
      (e: Error) =>
        e instanceof TypeError && /Unknown view "no_such_view".*known views/.test(e.message),
    );
    await assert.rejects(
      createWidget("../x", {}),
      (e: Error) => e instanceof TypeError && /not a folder name/.test(e.message),
    );
  } finally {
    setJupyterTransport(undefined);
  }
});

Deno.test("the default anywidget version is the one the browser tests serve", () => {
  assert.equal(DEFAULT_ANYWIDGET_VERSION, "0.9.21");
});

Deno.test("createWidget with display: false opens the model without showing it", async () => {
  const { transport, sent } = recorder();
  setJupyterTransport(transport);
  try {
    await createWidget("bars", { label: "x", values: [1] }, { module: FIXTURE, display: false });
    assert.deepEqual(sent.map((s) => s.type ?? s.kind), ["comm_open"]);
  } finally {
    setJupyterTransport(undefined);
  }
});
