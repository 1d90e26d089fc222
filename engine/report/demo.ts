/**
 * The demo: the default MNIST model's test accuracy and every neuron of every
 * conv layer ranked by NeuronIM (how well its feature visualisation shows
 * what drives it; METHODS.md §5), with LayerIM per layer, the check that the
 * visualisations really maximise their neurons, and Taylor importance and
 * activation statistics for context.
 *
 * @module
 */
import { type BackendInfo, describeBackend } from "../backend.ts";
import { subset } from "../data/batching.ts";
import { evaluate, type Evaluation } from "../net/predict.ts";
import { disposeNet } from "../net/net.ts";
import { defaultData, loadDefaultNet } from "../train/default_models.ts";
import {
  formatNeuronsReport,
  type NeuronsReport,
  neuronsReport,
  type NeuronsResults,
} from "./neurons_report.ts";
import type { ProgressFn } from "./progress.ts";
import { fixed } from "./table.ts";

/** Everything the demo computed (written as JSON; pictures go to the HTML page). */
export interface DemoReport extends NeuronsReport {
  model: string;
  backend: string;
  adapter: string | null;
  test: Evaluation & { seconds: number };
}

/** The demo's report plus what the explorer page needs. */
export interface DemoResults extends Omit<NeuronsResults, "report"> {
  report: DemoReport;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Test images for the SHAP background, statistics, examples and histograms. Default: 2,000. */
  images?: number;
  /** Feature-visualisation steps. Default: 256 (METHODS.md §5). */
  steps?: number;
  /** Expected-Gradients samples per SHAP image. Default: 50. */
  samples?: number;
  /** Progress of the long steps. */
  onProgress?: (step: string) => ProgressFn;
}

/**
 * Runs the demo on `models/mnist-cnn` and the MNIST test set (the
 * maximisation check uses all 10,000 test images).
 *
 * @param backend the backend in use (for the report)
 * @param options see {@link DemoOptions}
 * @returns the report and what the explorer page needs
 */
export async function runDemo(
  backend: BackendInfo,
  options: DemoOptions = {},
): Promise<DemoResults> {
  const net = await loadDefaultNet("mnist-cnn");
  try {
    const test = await defaultData("mnist-cnn", "test");
    const t = performance.now();
    const evaluation = await evaluate(net, test);
    const testSeconds = (performance.now() - t) / 1000;
    const count = Math.min(options.images ?? 2000, test.shape[0]);
    const images = subset(test, Array.from({ length: count }, (_, i) => i));
    const results = await neuronsReport(net, images, {
      checkData: test,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.samples !== undefined ? { samples: options.samples } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return {
      ...results,
      report: {
        model: "models/mnist-cnn",
        backend: backend.name,
        adapter: backend.adapter ? backend.adapter.description : null,
        test: { ...evaluation, seconds: testSeconds },
        ...results.report,
      },
    };
  } finally {
    disposeNet(net);
  }
}

/**
 * The demo report as text: backend, accuracy, then the neuron ranking.
 *
 * @param report what {@link runDemo} returned
 * @param backend the backend in use
 * @param top how many neurons to list at the top. Default: 15.
 * @returns the text
 */
export function formatDemo(report: DemoReport, backend: BackendInfo, top = 15): string {
  return [
    `neurolens demo: ${report.model} on MNIST`,
    describeBackend(backend),
    "",
    `Test accuracy: ${fixed(100 * report.test.accuracy, 2)} % on ${report.test.count} images ` +
    `(loss ${fixed(report.test.loss, 4)}, ${fixed(report.test.seconds, 1)} s)`,
    formatNeuronsReport(report, top),
  ].join("\n");
}
