/**
 * neurolens on the command line.
 *
 *   deno run -A cli.ts demo              rank the neurons of the default MNIST model
 *   deno run -A cli.ts train [NAME|all]  retrain the default models into models/
 *   deno run -A cli.ts rank --model DIR  rank the neurons of any model on a data set
 *
 * `deno run -A cli.ts --help` prints the flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BackendChoice, parseBackendChoice, useBackend } from "./engine/backend.ts";
import { formatDemo, rankNeurons, runDemo } from "./engine/report/demo.ts";
import { terminalProgress } from "./engine/report/progress.ts";
import { fixed, formatTable } from "./engine/report/table.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  type DefaultModelName,
  loadDefaultNet,
  trainDefaultModel,
} from "./engine/train/default_models.ts";
import { loadNet } from "./engine/net/io.ts";
import { convLayers, disposeNet } from "./engine/net/net.ts";
import { neuronStats } from "./engine/neurons/activation_stats.ts";
import { evaluate } from "./engine/net/predict.ts";
import { loadDataset } from "./engine/data/named.ts";
import { formatMapsReport, mapsReport } from "./engine/report/maps_report.ts";
import {
  aopcComparison,
  formatAopc,
  formatCamLayers,
  shallowLayerComparison,
} from "./engine/report/evaluate_report.ts";
import { replayCheckpoints } from "./engine/probe/monitor.ts";
import { formatProbeAccuracyTable, probeAccuracyTable } from "./engine/probe/report.ts";
import { filterImportance } from "./engine/probe/filter_importance.ts";
import { dissectionReport } from "./engine/dissect/report.ts";
import { show } from "./widgets/show/mod.ts";
import { exportHtml } from "./widgets/host/export.ts";
import type { WidgetHandle } from "./widgets/host/widget.ts";

const HELP = `neurolens — which neurons of a CNN matter, and what they do

Usage: deno run -A cli.ts COMMAND [flags]

Commands
  demo                 The default job: load models/mnist-cnn, report its MNIST test
                       accuracy, rank the neurons of every conv layer, write a report.
  train [NAME|all]     Retrain default models (${DEFAULT_MODEL_NAMES.join(", ")}) into models/.
  rank                 Rank the neurons of a model on a data set.
  maps                 Every map method on models/scenes-cnn and synthetic scenes: positive
                       mass inside the object mask, pointing game, speed.
  evaluate             Map faithfulness: AOPC of sensitivity, deconvolution, LRP-ε, LRP-αβ and
                       random on both default models (seed paper), and the per-layer
                       comprehensive score of the shallow-layer relevance CAM vs LayerCAM on
                       every conv layer of models/scenes-cnn.
  dissect              Network dissection of models/scenes-cnn on synthetic probe scenes:
                       detectors per layer and concept category, the same after random
                       rotations (accuracy unchanged), and the hand-built colour detector.
  probe                Layer-wise probe accuracy at every saved epoch of models/scenes-cnn,
                       and filter importance (exact, L1, Taylor) of every conv layer of
                       models/mnist-cnn.
  help                 This text.

Flags
  --backend NAME       auto (default), webgpu, wasm or cpu
  --out DIR            where reports go (demo, rank). Default: out/<command>
  --images N           images used (demo, rank: neuron statistics, default 2000;
                       maps: test scenes, default 100; evaluate: AOPC images per model,
                       default 100, and 5× that for the per-layer comparison;
                       probe: images per split, default 500; dissect: probe scenes,
                       default 2000)
  --model PATH         model.json of a tfjs LayersModel (rank)
  --data NAME          mnist, fashion-mnist or scenes (rank). Default: mnist
  --layers A,B         layers to rank (rank). Default: every conv layer
  --epochs N           override the recipe's epochs (train)
  --top N              neurons listed at the top of the ranking. Default: 15
  -h, --help           This text.
`;

const OPTIONS = {
  backend: { type: "string", default: "auto" },
  out: { type: "string" },
  images: { type: "string" },
  model: { type: "string" },
  data: { type: "string", default: "mnist" },
  layers: { type: "string" },
  epochs: { type: "string" },
  top: { type: "string", default: "15" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** A usage error: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nRun with --help for the flags.`);
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? "help";
  if (values.help || command === "help") {
    console.log(HELP);
    return;
  }
  const backendChoice = parseBackendChoice(values.backend) as BackendChoice;
  const images = values.images === undefined ? undefined : positiveInt(values.images, "--images");
  const top = positiveInt(values.top, "--top");
  switch (command) {
    case "demo": {
      const backend = await useBackend(backendChoice, { quiet: true });
      const started = performance.now();
      const report = await runDemo(backend, {
        images: images ?? 2000,
        onProgress: (step) => terminalProgress(step),
      });
      console.log(formatDemo(report, backend, top));
      const out = values.out ?? "out/demo";
      await Deno.mkdir(out, { recursive: true });
      await Deno.writeTextFile(`${out}/report.json`, JSON.stringify(report, null, 1));
      console.log(`\nReport written to ${out}/report.json`);
      console.log(`Total time ${fixed((performance.now() - started) / 1000, 1)} s`);
      return;
    }
    case "train": {
      const which = positionals[1] ?? "all";
      const names = which === "all" ? [...DEFAULT_MODEL_NAMES] : [which];
      for (const name of names) {
        if (!(DEFAULT_MODEL_NAMES as readonly string[]).includes(name)) {
          throw new UsageError(
            `Unknown model "${name}"; expected all or one of ${DEFAULT_MODEL_NAMES.join(", ")}`,
          );
        }
      }
      const backend = await useBackend(backendChoice);
      console.log(`Training on ${backend.name}`);
      for (const name of names as DefaultModelName[]) {
        const started = performance.now();
        const history = await trainDefaultModel(name, {
          ...(values.epochs ? { epochs: positiveInt(values.epochs, "--epochs") } : {}),
          onStep: terminalProgress(`train ${name}`),
          onEpoch: (e) =>
            console.log(
              `${name} epoch ${e.epoch}: loss ${fixed(e.trainLoss, 4)}, train acc ${
                fixed(100 * e.trainAccuracy, 2)
              } %, test acc ${fixed(100 * (e.valAccuracy ?? NaN), 2)} %, ${fixed(e.seconds, 1)} s`,
            ),
        });
        const last = history[history.length - 1]!;
        console.log(
          `${name}: test accuracy ${
            fixed(100 * (last.valAccuracy ?? NaN), 2)
          } % after ${history.length} ` +
            `epochs, ${fixed((performance.now() - started) / 1000, 0)} s in total`,
        );
      }
      return;
    }
    case "rank": {
      if (!values.model) throw new UsageError("rank needs --model PATH/TO/model.json");
      const backend = await useBackend(backendChoice);
      const net = await loadNet(values.model);
      try {
        const data = await loadDataset(values.data, { split: "test", limit: images ?? 2000 });
        const layers = values.layers?.split(",").map((s) => s.trim()) ??
          convLayers(net).map((l) => l.name);
        const evaluation = await evaluate(net, data);
        const stats = await neuronStats(net, data, {
          layers,
          onProgress: terminalProgress("neuron statistics"),
        });
        const ranked = rankNeurons(stats);
        console.log(
          `${net.name} on ${data.name} (${backend.name}): accuracy ${
            fixed(100 * evaluation.accuracy, 2)
          } %`,
        );
        console.log(formatTable(
          ["rank", "layer", "unit", "score", "mean act"],
          ranked.slice(0, top).map((
            n,
            i,
          ) => [i + 1, n.layer, n.unit, fixed(n.score, 3), fixed(n.meanActivation, 3)]),
        ));
        const out = values.out ?? "out/rank";
        await Deno.mkdir(out, { recursive: true });
        await Deno.writeTextFile(
          `${out}/ranking.json`,
          JSON.stringify({ evaluation, ranked }, null, 1),
        );
        console.log(`Ranking written to ${out}/ranking.json`);
      } finally {
        disposeNet(net);
      }
      return;
    }
    case "maps": {
      const backend = await useBackend(backendChoice);
      const net = await loadDefaultNet("scenes-cnn");
      try {
        const report = await mapsReport(net, {
          images: images ?? 100,
          onMethod: (name, i, total) => console.error(`maps: ${i + 1}/${total} ${name}`),
        });
        console.log(`Backend: ${backend.name}`);
        console.log(formatMapsReport(report));
        const out = values.out ?? "out/maps";
        await Deno.mkdir(out, { recursive: true });
        await Deno.writeTextFile(`${out}/maps_report.json`, JSON.stringify(report, null, 1));
        console.log(`Report written to ${out}/maps_report.json`);
      } finally {
        disposeNet(net);
      }
      return;
    }
    case "evaluate": {
      const backend = await useBackend(backendChoice);
      const count = images ?? 100;
      const out = values.out ?? "out/evaluate";
      await Deno.mkdir(out, { recursive: true });
      const report: Record<string, unknown> = { backend: backend.name };
      for (const name of DEFAULT_MODEL_NAMES) {
        const net = await loadDefaultNet(name);
        try {
          const set = await defaultData(name, "test", count);
          const t = performance.now();
          const rows = await aopcComparison(net, set, {
            onMethod: (m) => console.error(`evaluate: ${name} ${m}`),
          });
          report[`aopc/${name}`] = rows;
          console.log(formatAopc(
            `\nAOPC on ${count} test images of ${name}, L = 100, uniform noise ` +
              `(${fixed((performance.now() - t) / 1000, 0)} s, ${backend.name})`,
            rows,
          ));
        } finally {
          disposeNet(net);
        }
      }
      const net = await loadDefaultNet("scenes-cnn");
      try {
        const set = await defaultData("scenes-cnn", "test", 5 * count);
        const t = performance.now();
        console.error(`evaluate: per-layer comparison on ${5 * count} scenes`);
        const rows = await shallowLayerComparison(net, set);
        report["layers/scenes-cnn"] = rows;
        console.log(formatCamLayers(
          `\nDeletion / insertion per layer on ${5 * count} test scenes of scenes-cnn ` +
            `(${fixed((performance.now() - t) / 1000, 0)} s)`,
          rows,
        ));
      } finally {
        disposeNet(net);
      }
      await Deno.writeTextFile(`${out}/evaluate_report.json`, JSON.stringify(report, null, 1));
      console.log(`\nReport written to ${out}/evaluate_report.json`);
      return;
    }
    case "probe": {
      const backend = await useBackend(backendChoice);
      const count = images ?? 500;
      const train = await defaultData("scenes-cnn", "train", count);
      const test = await defaultData("scenes-cnn", "test", count);
      const dir = new URL("./models/scenes-cnn/checkpoints", import.meta.url).pathname;
      const t = performance.now();
      const snapshots = await replayCheckpoints(dir, { train, test }, {
        correlation: false,
        importanceLayers: [],
      });
      const table = probeAccuracyTable(snapshots);
      console.log(
        `Probe test accuracy per layer and epoch, scenes-cnn checkpoints, ${count} train / ` +
          `${count} test scenes (${fixed((performance.now() - t) / 1000, 0)} s, ${backend.name})`,
      );
      console.log(formatProbeAccuracyTable(table));
      const net = await loadDefaultNet("mnist-cnn");
      try {
        const set = await defaultData("mnist-cnn", "test", Math.min(count, 10_000));
        const importance = await filterImportance(net, set);
        console.log(`\nFilter importance on ${set.shape[0]} MNIST test images (mnist-cnn)`);
        console.log(formatTable(
          ["layer", "channels", "base acc", "max acc drop", "Spearman L1", "Spearman Taylor"],
          importance.map((f) => [
            f.layer,
            f.accuracyDrop.length,
            `${fixed(100 * f.baseAccuracy, 2)} %`,
            `${fixed(100 * Math.max(...f.accuracyDrop), 2)} %`,
            f.spearmanL1 === null ? "n/a" : fixed(f.spearmanL1, 3),
            f.spearmanTaylor === null ? "n/a" : fixed(f.spearmanTaylor, 3),
          ]),
        ));
        const out = values.out ?? "out/probe";
        await Deno.mkdir(out, { recursive: true });
        const plain = (_: string, v: unknown) =>
          ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v;
        await Deno.writeTextFile(
          `${out}/probe_report.json`,
          JSON.stringify({ table, importance }, plain, 1),
        );
        console.log(`\nReport written to ${out}/probe_report.json`);
      } finally {
        disposeNet(net);
      }
      return;
    }
    case "dissect": {
      const backend = await useBackend(backendChoice);
      const t = performance.now();
      const report = await dissectionReport({
        probeCount: images ?? 2000,
        log: (line) => console.error(line),
      });
      console.log(
        `Network dissection (${fixed((performance.now() - t) / 1000, 0)} s, ${backend.name})\n`,
      );
      console.log(report.text);
      const out = values.out ?? "out/dissect";
      const { text: _text, ...results } = report;
      await saveReport(out, "dissect_report", results, [
        await show.dissection(report.baseline, {
          title: "models/scenes-cnn: detectors per layer",
          display: false,
        }),
        await show.dissection(report.rotated.at(-1)!.result, {
          title: `models/scenes-cnn after a random rotation (α = ${report.rotated.at(-1)!.alpha})`,
          display: false,
        }),
      ]);
      return;
    }
    default:
      throw new UsageError(
        `Unknown command "${command}"; expected demo, train, rank, maps, evaluate, probe, ` +
          `dissect or help`,
      );
  }
}

/**
 * Writes a command's results as JSON (typed arrays as plain arrays) and, when
 * widgets are given, as one self-contained HTML page next to it.
 */
async function saveReport(
  out: string,
  name: string,
  results: unknown,
  widgets: readonly WidgetHandle[] = [],
): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  const plain = (_: string, v: unknown) =>
    ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v;
  await Deno.writeTextFile(`${out}/${name}.json`, JSON.stringify(results, plain, 1));
  if (widgets.length > 0) await exportHtml(`${out}/${name}.html`, widgets, { title: name });
  console.log(`\nReport written to ${out}/${name}.json${widgets.length ? " and .html" : ""}`);
}

function positiveInt(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return n;
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    const err = e as Error;
    const usage = err instanceof UsageError || err instanceof TypeError ||
      err instanceof RangeError;
    console.error(`neurolens: ${usage ? err.message : err.stack ?? err.message}`);
    Deno.exit(usage ? 2 : 1);
  }
}
