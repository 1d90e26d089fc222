/**
 * `deno task bench`: speed of the foundation on every available backend.
 *
 * For both default models: forward, forward + backward (input gradient) and
 * training-step images/s, effective GFLOP/s, and that as a fraction of a
 * conv/matmul peak measured by the same backend in the same run. Each backend
 * runs in its own process because tfjs picks a backend once per process.
 *
 * Then the map methods (on the first backend listed): images/s per method on
 * both default models and each method's cost as a ratio to the model
 * evaluations it fundamentally needs (bench/_maps.ts says which).
 *
 * Then map evaluation (AOPC, deletion/insertion) and exact filter importance,
 * each as a ratio to the forward passes it fundamentally needs.
 *
 * Then feature visualisation: one optimisation step for a full layer's
 * neurons as a ratio to one batched forward + backward up to that layer, and
 * neurons per minute at the default 256 steps.
 *
 * Then network dissection of every conv layer of scenes-cnn: time as a ratio
 * to its two forward passes, and peak memory at 2,000 and 8,000 probe images.
 *
 * Usage: deno task bench [--backends wasm,webgpu,cpu]
 *        [--scenarios foundation,maps,evaluate,probe,featureviz,dissect]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendMeasure } from "./_measure.ts";
import type { MapMeasure } from "./_maps.ts";
import type { EvaluateMeasure } from "./_evaluate.ts";
import type { ProbeMeasure } from "./_probe.ts";
import type { DissectMeasure } from "./_dissect.ts";
import type { FeatureVizMeasure } from "./_featureviz.ts";
import { fixed, formatTable } from "../engine/report/table.ts";
import { scenes } from "../engine/data/scenes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string", default: "wasm,webgpu,cpu" },
    scenarios: { type: "string", default: "foundation,maps,evaluate,probe,featureviz,dissect" },
  },
});
const scenarios = new Set(values.scenarios.split(","));
const backends = values.backends.split(",");

/** Runs a bench script in its own process; returns its last stdout line as JSON. */
async function runScript<T>(
  script: string,
  args: string[],
  flags: string[] = [],
): Promise<T | null> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, new URL(script, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (!out.success || !/^[[{]/.test(text)) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    console.error(`bench: ${script} ${args.join(" ")} failed: ${err}`);
    return null;
  }
  return JSON.parse(text) as T;
}
// Image counts scale down on the slow backends so the whole bench stays short.
const SCALE: Record<string, number> = { wasm: 1, webgpu: 0.25, cpu: 0.25 };

const results: BackendMeasure[] = [];
for (const backend of scenarios.has("foundation") ? backends : []) {
  const started = performance.now();
  console.error(`bench: measuring ${backend} …`);
  const r = await runScript<BackendMeasure>("./_measure.ts", [
    backend,
    String(SCALE[backend] ?? 0.25),
  ]);
  if (!r) continue;
  results.push(r);
  console.error(`bench: ${backend} done in ${fixed((performance.now() - started) / 1000, 0)} s`);
}

console.log("neurolens bench — foundation (executor, gradients, training)\n");
{
  const t = performance.now();
  scenes({ count: 10_000, seed: 0 });
  const s = (performance.now() - t) / 1000;
  console.log(
    `data: 10,000 synthetic scenes of 64×64 with masks in ${fixed(s, 1)} s (${
      fixed(10_000 / s, 0)
    }/s)\n`,
  );
}
for (const r of results) {
  console.log(
    `${r.backend}${r.adapter ? ` (adapter: ${r.adapter})` : ""}: peak ${
      fixed(r.peakGflops, 1)
    } GFLOP/s ` +
      `(${r.peakKind}), peak memory ${fixed(r.peakMemoryBytes / 2 ** 20, 0)} MiB`,
  );
}
console.log("");
const rows = results.flatMap((r) =>
  r.models.map((m) => {
    const g = (rate: number, passes: number) => (rate * passes * m.flopsPerImage) / 1e9;
    const pct = (gf: number) => `${fixed((100 * gf) / r.peakGflops, 0)} %`;
    return [
      r.backend,
      m.model,
      fixed(m.flopsPerImage / 1e6, 1),
      fixed(m.forward, 0),
      fixed(m.forwardBackward, 0),
      fixed(m.trainStep, 0),
      `${fixed(g(m.forward, 1), 1)} (${pct(g(m.forward, 1))})`,
      `${fixed(g(m.forwardBackward, 2), 1)} (${pct(g(m.forwardBackward, 2))})`,
      `${fixed(g(m.trainStep, 3), 1)} (${pct(g(m.trainStep, 3))})`,
      fixed(m.forward / m.forwardBackward, 2),
      fixed(m.forward / m.trainStep, 2),
    ];
  })
);
console.log(formatTable([
  "backend",
  "model",
  "MFLOP/img",
  "fwd img/s",
  "fwd+bwd img/s",
  "train img/s",
  "fwd GFLOP/s (of peak)",
  "fwd+bwd GFLOP/s",
  "train GFLOP/s",
  "fwd+bwd ÷ fwd time",
  "train ÷ fwd time",
], rows));
console.log(
  "\nTargets (WASM): fwd+bwd ≤ 3× the forward time, training step ≤ 4×. GFLOP/s count " +
    "1× the forward FLOPs for inference, 2× for forward + input gradient, 3× for a training step.",
);
const wasm = results.find((r) => r.backend === "wasm")?.models.find((m) => m.model === "mnist-cnn");
if (wasm) {
  console.log(
    `For scale (figures from the project's issue and RECIPES.md, not measured here): PyTorch on ` +
      `the same 2 cores runs an MNIST CNN of about 44 MFLOP/image at 1,000–2,000 images/s forward ` +
      `(≈ 44–88 GFLOP/s) and 650–800 forward+backward (≈ 57–70 GFLOP/s). neurolens's mnist-cnn is ` +
      `${fixed(wasm.flopsPerImage / 1e6, 1)} MFLOP/image, so compare GFLOP/s, not images/s: ` +
      `${fixed((wasm.forward * wasm.flopsPerImage) / 1e9, 1)} forward ` +
      `(${fixed((wasm.forward * wasm.flopsPerImage) / 1e9 / 66, 2)}× PyTorch's midpoint) and ` +
      `${fixed((2 * wasm.forwardBackward * wasm.flopsPerImage) / 1e9, 1)} forward+backward ` +
      `(${fixed((2 * wasm.forwardBackward * wasm.flopsPerImage) / 1e9 / 63, 2)}×).`,
  );
}

if (scenarios.has("maps")) {
  const backend = backends[0]!;
  console.error(`bench: map methods on ${backend} …`);
  const maps = await runScript<MapMeasure[]>("./_maps.ts", [backend, "32"]);
  if (maps) {
    console.log(
      `\nMap methods on ${backend}, 32 test images per model, CAMs at the last conv layer`,
    );
    console.log(formatTable(
      ["model", "method", "images/s", "needs per image", "time ÷ needed evaluations"],
      maps.map((m) => [
        m.model,
        m.method,
        fixed(m.imagesPerSecond, 1),
        `${m.needs.count} × ${m.needs.kind}`,
        fixed(m.ratio, 2),
      ]),
    ));
    console.log("Target: every ratio ≤ 1.5.");
  }
}

if (scenarios.has("evaluate")) {
  const backend = backends[0]!;
  console.error(`bench: map evaluation on ${backend} …`);
  const rows = await runScript<EvaluateMeasure[]>("./_evaluate.ts", [backend, "8", "2"]);
  if (rows) {
    console.log(`\nMap evaluation on ${backend} (Grad-CAM maps at the last conv layer, 8 images)`);
    console.log(formatTable(
      ["model", "metric", "s / image", "needs per image", "time ÷ needed evaluations"],
      rows.map((r) => [
        r.model,
        r.metric === "aopc" ? "AOPC, L = 100" : "deletion + insertion",
        fixed(r.secondsPerImage, 3),
        `${r.needs.count} × ${r.needs.kind}`,
        fixed(r.ratio, 2),
      ]),
    ));
    console.log("Target: every ratio ≤ 1.3.");
  }
}

if (scenarios.has("probe")) {
  const backend = backends[0]!;
  console.error(`bench: filter importance on ${backend} …`);
  const rows = await runScript<ProbeMeasure[]>("./_probe.ts", [backend, "32", "3"]);
  if (rows) {
    console.log(`\nExact filter importance on ${backend} (32 images, every channel of each layer)`);
    console.log(formatTable(
      ["model", "layer", "channels", "seconds", "ablations/s", "time ÷ (channels + 1) forwards"],
      rows.map((r) => [
        r.model,
        r.layer,
        r.channels,
        fixed(r.seconds, 3),
        fixed(r.ablationsPerSecond, 0),
        fixed(r.ratio, 2),
      ]),
    ));
    console.log("Target: every ratio ≤ 1.3.");
  }
}

if (scenarios.has("featureviz")) {
  const backend = backends[0]!;
  console.error(`bench: feature visualisation on ${backend} …`);
  const rows = await runScript<FeatureVizMeasure[]>("./_featureviz.ts", [backend, "16", "3"]);
  if (rows) {
    console.log(
      `\nFeature visualisation on ${backend} (a full layer per model, batch = its units)`,
    );
    console.log(formatTable(
      ["model", "layer", "units", "s/step", "fwd+bwd s", "step ÷ fwd+bwd", "neurons/min @256"],
      rows.map((r) => [
        r.model,
        r.layer,
        r.units,
        fixed(r.stepSeconds, 3),
        fixed(r.forwardBackwardSeconds, 3),
        fixed(r.ratio, 2),
        fixed(r.neuronsPerMinute, 0),
      ]),
    ));
    console.log("Target: step ÷ forward+backward ≤ 1.3.");
  }
}

if (scenarios.has("dissect")) {
  const backend = backends[0]!;
  console.error(`bench: network dissection on ${backend} …`);
  // A garbage collection before each memory sample keeps the peaks comparable.
  const r = await runScript<DissectMeasure>("./_dissect.ts", [backend, "2000", "3"], [
    "--v8-flags=--expose-gc",
  ]);
  if (r) {
    const mib = (b: number | null) => b === null ? "n/a" : `${fixed(b / 2 ** 20, 0)} MiB`;
    console.log(
      `\nNetwork dissection on ${backend}: every conv layer of ${r.model} (${r.layers.join(", ")})`,
    );
    console.log(
      `${r.images} probe scenes in ${fixed(r.dissectSeconds, 1)} s (${
        fixed(r.imagesPerSecond, 0)
      } images/s); one forward pass ${fixed(r.forwardSeconds, 1)} s; ` +
        `time ÷ its 2 forward passes: ${fixed(r.ratio, 2)} (target ≤ 2)`,
    );
    const st = r.stages;
    console.log(
      `per batch of ${r.batchSize} (medians over ${st.batches}): forward ${
        fixed(st.forward, 1)
      } ms, ` +
        `quantile sketch ${fixed(st.sketch, 1)} ms, IoU tally ${fixed(st.tally, 1)} ms ` +
        `(ratio from these stages ${fixed(st.ratio, 2)})`,
    );
    console.log(formatTable(
      ["probe images", "seconds", "tf bytes", "RSS", "JS heap", "WASM heap"],
      [r.small, r.large].map((m) => [
        m.images,
        fixed(m.seconds, 1),
        mib(m.tfBytes),
        mib(m.rssBytes),
        mib(m.jsHeapBytes),
        mib(m.wasmHeapBytes),
      ]),
    ));
    const ratios = r.memoryRatio;
    console.log(
      `Memory at ${r.large.images} ÷ at ${r.small.images} images: RSS ${
        fixed(ratios.rssBytes, 3)
      }, JS heap ${fixed(ratios.jsHeapBytes, 3)}, tf ${fixed(ratios.tfBytes, 3)}` +
        `${ratios.wasmHeapBytes === null ? "" : `, WASM heap ${fixed(ratios.wasmHeapBytes, 3)}`}` +
        ` (target ≤ 1.1)`,
    );
  }
}
