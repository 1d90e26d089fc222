/**
 * `deno task bench`: speed of the foundation on every available backend.
 *
 * For both default models: forward, forward + backward (input gradient) and
 * training-step images/s, effective GFLOP/s, and that as a fraction of a
 * conv/matmul peak measured by the same backend in the same run. Each backend
 * runs in its own process because tfjs picks a backend once per process.
 *
 * Usage: deno task bench [--backends wasm,webgpu,cpu]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendMeasure } from "./_measure.ts";
import { fixed, formatTable } from "../engine/report/table.ts";
import { scenes } from "../engine/data/scenes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { backends: { type: "string", default: "wasm,webgpu,cpu" } },
});
// Image counts scale down on the slow backends so the whole bench stays short.
const SCALE: Record<string, number> = { wasm: 1, webgpu: 0.25, cpu: 0.25 };

const results: BackendMeasure[] = [];
for (const backend of values.backends.split(",")) {
  const started = performance.now();
  console.error(`bench: measuring ${backend} …`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_measure.ts", import.meta.url).pathname,
      backend,
      String(SCALE[backend] ?? 0.25),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (!out.success || !text.startsWith("{")) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    console.error(`bench: ${backend} unavailable or failed: ${err}`);
    continue;
  }
  results.push(JSON.parse(text));
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
    `For scale: PyTorch on the same 2 cores runs a CNN of mnist-cnn's shape at about 1,000–2,000 ` +
      `images/s forward and 650–800 forward+backward (figures from the project's issue, not measured ` +
      `here). neurolens on WASM: ${fixed(wasm.forward, 0)} forward (${
        fixed(wasm.forward / 1500, 2)
      }× ` +
      `the midpoint), ${fixed(wasm.forwardBackward, 0)} forward+backward (${
        fixed(wasm.forwardBackward / 725, 2)
      }×).`,
  );
}
