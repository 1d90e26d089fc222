import assert from "node:assert/strict";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("cli --help lists the commands and flags", async () => {
  const r = await cli("--help");
  assert.equal(r.code, 0);
  for (const word of ["demo", "train", "rank", "--backend", "--model"]) {
    assert.match(r.stdout, new RegExp(word));
  }
});

Deno.test("cli: bad flags, commands and values are usage errors (exit 2), not stack traces", async () => {
  const bogus = await cli("demo", "--bogus");
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /Unknown option '--bogus'/);
  assert.doesNotMatch(bogus.stderr, /at .*\.ts:\d+/);
  const command = await cli("dance");
  assert.equal(command.code, 2);
  assert.match(
    command.stderr,
    /Unknown command "dance"; expected demo, train, rank, maps, evaluate, probe, prune, dissect or help/,
  );
  const backend = await cli("demo", "--backend", "tpu");
  assert.equal(backend.code, 2);
  assert.match(backend.stderr, /Unknown backend "tpu": expected one of auto, webgpu, wasm, cpu/);
  const images = await cli("demo", "--images", "0");
  assert.equal(images.code, 2);
  assert.match(images.stderr, /--images must be a positive integer; got "0"/);
  const model = await cli("train", "resnet-1000");
  assert.equal(model.code, 2);
  assert.match(model.stderr, /Unknown model "resnet-1000"/);
});

Deno.test("cli rank: a missing model file is a clear error naming it", async () => {
  const r = await cli("rank", "--backend", "cpu", "--model", "no/such/model.json");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot read .*no\/such\/model\.json/);
  const missing = await cli("rank");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /rank needs --model: mnist-cnn, scenes-cnn or a path/);
  const metric = await cli("rank", "--model", "mnist-cnn", "--metric", "vibes");
  assert.equal(metric.code, 2);
  assert.match(metric.stderr, /--metric must be neuronim or taylor; got "vibes"/);
  const colours = await cli("rank", "--model", "scenes-cnn", "--decorrelate", "sepia");
  assert.equal(colours.code, 2);
  assert.match(colours.stderr, /--decorrelate must be imagenet, data or none; got "sepia"/);
  const prune = await cli("prune", "--model", "resnet-1000");
  assert.equal(prune.code, 2);
  assert.match(prune.stderr, /prune runs on mnist-cnn or scenes-cnn; got --model resnet-1000/);
});

Deno.test("cli rank: NeuronIM of one layer end to end, text, JSON and an explorer page", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await cli(
      "rank",
      ...["--backend", "wasm", "--model", "mnist-cnn", "--layers", "block1_conv1"],
      ...["--steps", "4", "--images", "64", "--top", "3", "--out", out],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NeuronIM of 16 neurons: 4 feature-visualisation steps/);
    assert.match(r.stdout, /block1_conv1 +16 +0\.\d{3}/);
    const report = JSON.parse(await Deno.readTextFile(`${out}/ranking.json`));
    assert.equal(report.neurons.length, 16);
    assert.ok(report.neurons.every((n: { score: number }) => Number.isFinite(n.score)));
    const html = await Deno.readTextFile(`${out}/ranking.html`);
    assert.match(html, /neurolens\.explorer|explorer/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli rank --decorrelate data: scenes-cnn visualised with its training scenes' colours", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await cli(
      "rank",
      ...[
        "--backend",
        "wasm",
        "--model",
        "scenes-cnn",
        "--layers",
        "conv1",
        "--decorrelate",
        "data",
      ],
      ...["--steps", "4", "--images", "64", "--top", "3", "--out", out],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NeuronIM of 16 neurons: 4 feature-visualisation steps/);
    const report = JSON.parse(await Deno.readTextFile(`${out}/ranking.json`));
    assert.equal(report.neurons.length, 16);
    // The matrix computed from the scenes, not Lucid's (its first column is ≈ 0.26, 0.27, 0.27).
    const m = report.neuronIM.decorrelate as number[][];
    assert.equal(m.length, 3);
    assert.ok(m.every((row) => row.length === 3 && row.every(Number.isFinite)));
    assert.ok(Math.abs(m[0]![0]! - 0.26) > 0.01, JSON.stringify(m));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
