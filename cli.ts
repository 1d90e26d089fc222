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
import { formatDemo, runDemo } from "./engine/report/demo.ts";
import { formatNeuronsReport, neuronsReport } from "./engine/report/neurons_report.ts";
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
import { neuronStats, rankByTaylor } from "./engine/neurons/activation_stats.ts";
import { evaluate } from "./engine/net/predict.ts";
import { loadDataset } from "./engine/data/named.ts";
import { colorCorrelationSqrt } from "./engine/featureviz/color.ts";
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
import { layerIM, neuronIM } from "./engine/neurons/neuron_im.ts";
import { comparePruning, formatPruning, pruningCurves } from "./engine/prune/mod.ts";
import { show } from "./widgets/show/mod.ts";
import { exportHtml } from "./widgets/host/export.ts";
import type { WidgetHandle } from "./widgets/host/widget.ts";

const HELP = `neurolens — which neurons of a CNN matter, and what they do

Usage: deno run -A cli.ts COMMAND [flags]

Commands
  demo                 The default job: load models/mnist-cnn, report its MNIST test
                       accuracy, rank every neuron of every conv layer by NeuronIM (with
                       LayerIM per layer), write a JSON report and an explorer page.
  train [NAME|all]     Retrain default models (${DEFAULT_MODEL_NAMES.join(", ")}) into models/.
  rank                 Rank the neurons of a model on a data set (NeuronIM, or Taylor).
  maps                 Every map method on models/scenes-cnn and synthetic scenes: positive
                       mass inside the object mask, pointing game, speed.
  evaluate             Map faithfulness: AOPC of sensitivity, deconvolution, LRP-ε, LRP-αβ and
                       random on both default models (seed paper), and the per-layer
                       comprehensive score of the shallow-layer relevance CAM vs LayerCAM on
                       every conv layer of models/scenes-cnn.
  prune                The pruning experiment (NeuronIM low-first vs high-first, L1, mean
                       activation, Taylor, random × 10) on both default models (or --model):
                       accuracy and loss at 0–90 % of a layer's channels pruned.
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
                       default 2000; prune: test images, default 2000)
  --model NAME|PATH    mnist-cnn, scenes-cnn, or the model.json of a tfjs LayersModel (rank)
  --metric NAME        neuronim (default) or taylor (rank)
  --steps N            feature-visualisation steps (demo, rank). Default: 256
  --decorrelate HOW    colours of RGB visualisations (rank): imagenet (Lucid's matrix,
                       default), data (the same matrix from 2,000 of the model's training
                       images) or none
  --data NAME          mnist, fashion-mnist or scenes (rank with a model.json). Default: mnist
  --layers A,B         layers to rank (rank; default every conv layer) or to prune (prune;
                       default block2_conv2 of mnist-cnn, conv3 of scenes-cnn)
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
  metric: { type: "string", default: "neuronim" },
  steps: { type: "string" },
  decorrelate: { type: "string", default: "imagenet" },
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
      const results = await runDemo(backend, {
        images: images ?? 2000,
        ...(values.steps ? { steps: positiveInt(values.steps, "--steps") } : {}),
        onProgress: (step) => terminalProgress(step),
      });
      console.log(formatDemo(results.report, backend, top));
      await saveReport(values.out ?? "out/demo", "report", results.report, [
        await show.explorer(results.im, {
          title: "mnist-cnn: LayerIM per layer, NeuronIM per neuron (click a layer, then a bar)",
          top: results.profiles.top,
          histograms: results.profiles.histograms,
          data: results.images,
          display: false,
        }),
      ]);
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
      if (!values.model) {
        throw new UsageError(
          `rank needs --model: ${DEFAULT_MODEL_NAMES.join(", ")} or a path to model.json`,
        );
      }
      const metric = values.metric;
      if (metric !== "neuronim" && metric !== "taylor") {
        throw new UsageError(`--metric must be neuronim or taylor; got ${JSON.stringify(metric)}`);
      }
      const how = values.decorrelate;
      if (how !== "imagenet" && how !== "data" && how !== "none") {
        throw new UsageError(
          `--decorrelate must be imagenet, data or none; got ${JSON.stringify(how)}`,
        );
      }
      const backend = await useBackend(backendChoice);
      const builtIn = (DEFAULT_MODEL_NAMES as readonly string[]).includes(values.model);
      const net = builtIn
        ? await loadDefaultNet(values.model as DefaultModelName)
        : await loadNet(values.model);
      try {
        const data = builtIn
          ? await defaultData(values.model as DefaultModelName, "test", images ?? 2000)
          : await loadDataset(values.data, { split: "test", limit: images ?? 2000 });
        const layers = values.layers?.split(",").map((s) => s.trim()) ??
          convLayers(net).map((l) => l.name);
        const evaluation = await evaluate(net, data);
        console.log(
          `${net.name} on ${data.name} (${backend.name}): accuracy ${
            fixed(100 * evaluation.accuracy, 2)
          } % on ${data.shape[0]} images`,
        );
        const out = values.out ?? "out/rank";
        if (metric === "taylor") {
          const stats = await neuronStats(net, data, {
            layers,
            onProgress: terminalProgress("neuron statistics"),
          });
          const ranked = rankByTaylor(stats);
          console.log(formatTable(
            ["rank", "layer", "unit", "Taylor (layer-normalised)", "mean act"],
            ranked.slice(0, top).map((
              n,
              i,
            ) => [i + 1, n.layer, n.unit, fixed(n.score, 3), fixed(n.meanActivation, 3)]),
          ));
          await saveReport(out, "ranking", { evaluation, metric, ranked }, [
            await show.neuronStats(stats, { metric: "taylor", display: false }),
          ]);
        } else {
          const trainingColours = async () =>
            colorCorrelationSqrt(
              builtIn
                ? await defaultData(values.model as DefaultModelName, "train", 2000)
                : await loadDataset(values.data, { split: "train", limit: 2000 }),
            );
          const decorrelate = how === "none"
            ? false
            : how === "imagenet" || data.shape[3] !== 3
            ? true
            : await trainingColours();
          const results = await neuronsReport(net, data, {
            layers,
            decorrelate,
            ...(values.steps ? { steps: positiveInt(values.steps, "--steps") } : {}),
            onProgress: (step) => terminalProgress(step),
          });
          console.log(formatNeuronsReport(results.report, top));
          await saveReport(out, "ranking", { evaluation, ...results.report }, [
            await show.explorer(results.im, {
              title: `${net.name}: LayerIM per layer, NeuronIM per neuron`,
              top: results.profiles.top,
              histograms: results.profiles.histograms,
              data: results.images,
              display: false,
            }),
          ]);
        }
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
    case "prune": {
      const backend = await useBackend(backendChoice);
      const names = values.model ? [values.model] : [...DEFAULT_MODEL_NAMES];
      const widgets: WidgetHandle[] = [];
      const reports = [];
      for (const name of names) {
        if (!(DEFAULT_MODEL_NAMES as readonly string[]).includes(name)) {
          throw new UsageError(
            `prune runs on ${DEFAULT_MODEL_NAMES.join(" or ")}; got --model ${name}`,
          );
        }
        const model = name as DefaultModelName;
        const net = await loadDefaultNet(model);
        try {
          const started = performance.now();
          const layers = values.layers?.split(",").map((l) => l.trim()) ??
            [PRUNED_LAYER[model]];
          // Rankings are computed on training images, accuracy measured on test images.
          const rankingSet = await defaultData(model, "train", 2000);
          const test = await defaultData(model, "test", images ?? 2000);
          const im = await neuronIM(net, rankingSet, {
            layers,
            ...(values.steps
              ? { featureViz: { steps: positiveInt(values.steps, "--steps") } }
              : {}),
            onProgress: terminalProgress(`NeuronIM ${model}`),
          });
          const scores = Object.fromEntries(
            im.layers.map((l) => {
              const byUnit = new Float64Array(l.neurons.length);
              for (const n of l.neurons) byUnit[n.unit] = n.score;
              return [l.layer, byUnit];
            }),
          );
          const report = await pruningCurves(net, test, {
            layers,
            scores,
            rankingSet,
            repeats: 10,
            onProgress: terminalProgress(`pruning ${model}`),
          });
          console.log(
            `\nPruning ${model} (${layers.join(", ")}): ${test.shape[0]} test images, rankings ` +
              `from ${rankingSet.shape[0]} training images, ${backend.name}, ${
                fixed((performance.now() - started) / 1000, 0)
              } s`,
          );
          console.log(formatPruning(report));
          reports.push({
            model,
            layers,
            neuronIM: layerIM(im),
            report,
            comparison: comparePruning(report),
          });
          widgets.push(
            await show.pruning(report, {
              title: `${model}: pruning ${layers.join(", ")}`,
              display: false,
            }),
          );
        } finally {
          disposeNet(net);
        }
      }
      await saveReport(values.out ?? "out/prune", "prune_report", reports, widgets);
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
          `prune, dissect or help`,
      );
  }
}

/** The layer each default model's pruning experiment prunes unless --layers says otherwise. */
const PRUNED_LAYER: Record<DefaultModelName, string> = {
  "mnist-cnn": "block2_conv2",
  "scenes-cnn": "conv3",
};

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
  if (widgets.length > 0) {
    await exportHtml(`${out}/${name}.html`, widgets, {
      title: `neurolens — ${name.replace("_", " ")}`,
    });
  }
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
