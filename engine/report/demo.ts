/**
 * The demo: the default MNIST model's test accuracy and the neurons of every
 * conv layer ranked by Taylor importance, as a plain report object and as
 * readable text.
 *
 * @module
 */
import { type BackendInfo, describeBackend } from "../backend.ts";
import { type LayerNeuronStats, neuronStats } from "../neurons/activation_stats.ts";
import { evaluate, type Evaluation } from "../net/predict.ts";
import { convLayers, disposeNet } from "../net/net.ts";
import { defaultData, loadDefaultNet } from "../train/default_models.ts";
import type { ProgressFn } from "./progress.ts";
import { fixed, formatTable } from "./table.ts";

/** One ranked neuron. */
export interface RankedNeuron {
  layer: string;
  unit: number;
  /** Taylor importance divided by the L2 norm of its layer's importances. */
  score: number;
  taylor: number;
  meanActivation: number;
  activeFraction: number;
  maxActivation: number;
}

/** Everything the demo computed (also written as JSON). */
export interface DemoReport {
  model: string;
  backend: string;
  adapter: string | null;
  test: Evaluation & { seconds: number };
  statsImages: number;
  statsSeconds: number;
  metric: string;
  layers: {
    name: string;
    units: number;
    meanTaylor: number;
    meanActivation: number;
    deadUnits: number;
  }[];
  neurons: RankedNeuron[];
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Test images used for the neuron statistics. Default: 2,000. */
  images?: number;
  /** Progress of the long steps. */
  onProgress?: (step: string) => ProgressFn;
}

/**
 * Runs the demo on `models/mnist-cnn` and the MNIST test set.
 *
 * @param backend the backend in use (for the report)
 * @param options see {@link DemoOptions}
 * @returns the report
 */
export async function runDemo(
  backend: BackendInfo,
  options: DemoOptions = {},
): Promise<DemoReport> {
  const net = await loadDefaultNet("mnist-cnn");
  try {
    const test = await defaultData("mnist-cnn", "test");
    let t = performance.now();
    const evaluation = await evaluate(net, test);
    const testSeconds = (performance.now() - t) / 1000;

    const count = Math.min(options.images ?? 2000, test.shape[0]);
    const [, h, w, c] = test.shape;
    const subset = {
      ...test,
      name: `${test.name}[0:${count}]`,
      images: test.images.subarray(0, count * h * w * c),
      shape: [count, h, w, c] as [number, number, number, number],
      labels: test.labels.subarray(0, count),
    };
    t = performance.now();
    const progress = options.onProgress?.("neuron statistics");
    const stats = await neuronStats(net, subset, {
      layers: convLayers(net).map((l) => l.name),
      ...(progress ? { onProgress: progress } : {}),
    });
    const statsSeconds = (performance.now() - t) / 1000;
    return {
      model: "models/mnist-cnn",
      backend: backend.name,
      adapter: backend.adapter ? backend.adapter.description : null,
      test: { ...evaluation, seconds: testSeconds },
      statsImages: count,
      statsSeconds,
      metric: "Taylor importance |mean(A·∂L/∂A)| (Molchanov et al. 2017), L2-normalised per layer",
      layers: stats.map(summariseLayer),
      neurons: rankNeurons(stats),
    };
  } finally {
    disposeNet(net);
  }
}

/**
 * Ranks every unit of every layer by layer-normalised Taylor importance
 * (Molchanov et al. 2017, eq. 9), most important first.
 */
export function rankNeurons(stats: readonly LayerNeuronStats[]): RankedNeuron[] {
  const ranked: RankedNeuron[] = [];
  for (const s of stats) {
    const norm = Math.hypot(...s.taylor) || 1;
    for (let k = 0; k < s.units; k++) {
      ranked.push({
        layer: s.layer,
        unit: k,
        score: s.taylor[k]! / norm,
        taylor: s.taylor[k]!,
        meanActivation: s.mean[k]!,
        activeFraction: s.activeFraction[k]!,
        maxActivation: s.max[k]!,
      });
    }
  }
  return ranked.sort((a, b) =>
    b.score - a.score || a.layer.localeCompare(b.layer) || a.unit - b.unit
  );
}

function summariseLayer(s: LayerNeuronStats): DemoReport["layers"][number] {
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    name: s.layer,
    units: s.units,
    meanTaylor: mean(s.taylor),
    meanActivation: mean(s.mean),
    deadUnits: s.max.filter((m) => m <= 0).length,
  };
}

/**
 * The report as text: accuracy, a per-layer table, and the top and bottom
 * neurons.
 *
 * @param report what {@link runDemo} returned
 * @param top how many neurons to list at each end. Default: 15.
 */
export function formatDemo(report: DemoReport, backend: BackendInfo, top = 15): string {
  const pct = (v: number) => `${fixed(100 * v, 2)} %`;
  const neuronRows = (list: RankedNeuron[], offset: number) =>
    list.map((n, i) => [
      offset + i + 1,
      n.layer,
      n.unit,
      fixed(n.score, 3),
      n.taylor.toExponential(2),
      fixed(n.meanActivation, 3),
      pct(n.activeFraction),
    ]);
  const header = ["rank", "layer", "unit", "score", "Taylor", "mean act", "active"];
  const all = report.neurons;
  return [
    `neurolens demo: ${report.model} on MNIST`,
    describeBackend(backend),
    "",
    `Test accuracy: ${pct(report.test.accuracy)} on ${report.test.count} images ` +
    `(loss ${fixed(report.test.loss, 4)}, ${fixed(report.test.seconds, 1)} s)`,
    `Neuron statistics: ${report.statsImages} test images, forward + backward, ` +
    `${fixed(report.statsSeconds, 1)} s`,
    `Ranking metric: ${report.metric}`,
    "",
    formatTable(
      ["layer", "units", "mean Taylor", "mean act", "dead units"],
      report.layers.map((l) => [
        l.name,
        l.units,
        l.meanTaylor.toExponential(2),
        fixed(l.meanActivation, 3),
        l.deadUnits,
      ]),
    ),
    "",
    `Most important ${top} of ${all.length} neurons`,
    formatTable(header, neuronRows(all.slice(0, top), 0)),
    "",
    `Least important ${Math.min(5, all.length)}`,
    formatTable(header, neuronRows(all.slice(-5), all.length - Math.min(5, all.length))),
  ].join("\n");
}
