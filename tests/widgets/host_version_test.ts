import assert from "node:assert/strict";
import { join } from "node:path";
import {
  anywidgetVersion,
  DEFAULT_ANYWIDGET_VERSION,
  jupyterDataDirs,
} from "../../widgets/host/anywidget_version.ts";

Deno.test("jupyterDataDirs follows jupyter --paths: JUPYTER_DATA_DIR, JUPYTER_PATH, system folders", () => {
  assert.deepEqual(jupyterDataDirs({ env: { JUPYTER_DATA_DIR: "/d", JUPYTER_PATH: "/p1:/p2" } }), [
    "/d",
    "/p1",
    "/p2",
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
  ]);
  assert.equal(jupyterDataDirs({ env: { HOME: "/h" } })[0], "/h/.local/share/jupyter");
  assert.equal(jupyterDataDirs({ env: { HOME: "/h", XDG_DATA_HOME: "/x" } })[0], "/x/jupyter");
});

Deno.test("anywidgetVersion reads the installed labextension, first data folder wins, else the default", async () => {
  const a = await Deno.makeTempDir();
  const b = await Deno.makeTempDir();
  try {
    for (const [dir, version] of [[a, "0.9.13"], [b, "0.8.0"]] as const) {
      await Deno.mkdir(join(dir, "labextensions", "anywidget"), { recursive: true });
      await Deno.writeTextFile(
        join(dir, "labextensions", "anywidget", "package.json"),
        JSON.stringify({ name: "anywidget", version }),
      );
    }
    assert.equal(
      await anywidgetVersion({ env: { JUPYTER_DATA_DIR: a, JUPYTER_PATH: b } }),
      "0.9.13",
    );
    assert.equal(
      await anywidgetVersion({ env: { JUPYTER_DATA_DIR: "/nonexistent", JUPYTER_PATH: b } }),
      "0.8.0",
    );
    // A broken package.json is skipped, not fatal.
    await Deno.writeTextFile(join(a, "labextensions", "anywidget", "package.json"), "{not json");
    assert.equal(
      await anywidgetVersion({ env: { JUPYTER_DATA_DIR: a, JUPYTER_PATH: b } }),
      "0.8.0",
    );
    const none = await anywidgetVersion({ env: { JUPYTER_DATA_DIR: "/nonexistent" } });
    // The system folders may hold a real install; otherwise the default.
    const system = await Deno.stat("/usr/share/jupyter/labextensions/anywidget/package.json").then(
      () => true,
      () => false,
    ) || await Deno.stat("/usr/local/share/jupyter/labextensions/anywidget/package.json").then(
      () => true,
      () => false,
    );
    if (!system) assert.equal(none, DEFAULT_ANYWIDGET_VERSION);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
