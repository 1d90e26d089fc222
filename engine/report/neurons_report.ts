/**
 * Ranking the neurons of a model: NeuronIM for every neuron of the chosen
 * conv layers and LayerIM per layer (METHODS.md §5), the check that each
 * feature visualisation really maximises its neuron (activation on it above
 * the neuron's 99th-percentile activation over a data set), and per-neuron
 * Taylor importance, activation statistics, top-activating images and
 * histograms for context. Used by the demo and by `cli.ts rank`.
 *
 * @module
 */
import { type MaximisationCheck, maximisationCheck } from "../featureviz/check.ts";
import type { ColorMatrix } from "../featureviz/color.ts";
import { type LayerNeuronStats, neuronStats } from "../neurons/activation_stats.ts";
import {
  featureVizOf,
  layerIM,
  type LayerIMRow,
  neuronIM,
  type NeuronIMResult,
} from "../neurons/neuron_im.ts";
import { type NeuronProfiles, neuronProfiles } from "../neurons/top_k.ts";
import type { ImageSet } from "../data/types.ts";
import { convLayers, type Net } from "../net/net.ts";
import type { ProgressFn } from "./progress.ts";
import { fixed, formatTable } from "./table.ts";

/** One ranked neuron. */
export interface RankedNeuron {
  layer: string;
  unit: number;
  /** The ranking score: NeuronIM. */
  score: number;
  /** The neuron's activation on its own feature visualisation. */
  vizActivation: number;
  /** Its 99th-percentile activation over the check's data set. */
  datasetP99: number;
  /** Taylor importance |mean(A·∂L/∂A)| (Molchanov et al. 2017). */
  taylor: number;
  meanActivation: number;
  activeFraction: number;
  maxActivation: number;
}

/** One layer's summary. */
export interface NeuronsLayerRow extends LayerIMRow {
  units: number;
  meanTaylor: number;
  /** Units never active on the statistics images. */
  deadUnits: number;
  /** Fraction of units whose visualisation beats their 99th-percentile activation. */
  maximised: number;
}

/** The plain report (no pictures; written as JSON). */
export interface NeuronsReport {
  net: string;
  data: string;
  metric: string;
  neuronIM: {
    seconds: number;
    steps: number;
    samples: number;
    backgroundSize: number;
    /** The visualisations' colour decorrelation: true (Lucid's ImageNet matrix), false, or the matrix used. */
    decorrelate: boolean | ColorMatrix;
  };
  maximisation: { images: number; percentile: number; fraction: number; fractionLive: number };
  statsImages: number;
  statsSeconds: number;
  layers: NeuronsLayerRow[];
  neurons: RankedNeuron[];
}

/** The report plus what the explorer page needs. */
export interface NeuronsResults {
  report: NeuronsReport;
  /** The full NeuronIM result (visualisations and SHAP images). */
  im: NeuronIMResult;
  /** Top-activating images and histograms of every neuron, over `images`. */
  profiles: NeuronProfiles;
  /** The images `profiles` indexes. */
  images: ImageSet;
}

/** Options of {@link neuronsReport}. */
export interface NeuronsReportOptions {
  /** Conv layers to rank. Default: every conv layer. */
  layers?: readonly string[];
  /** Feature-visualisation steps. Default: 256 (METHODS.md §5). */
  steps?: number;
  /**
   * Colour decorrelation of the visualisations of RGB models (featureViz's
   * `decorrelate`): Lucid's ImageNet matrix (`true`, default), none, or a
   * matrix such as `colorCorrelationSqrt(trainingImages)`.
   */
  decorrelate?: boolean | ColorMatrix;
  /** Expected-Gradients samples per SHAP image. Default: 50. */
  samples?: number;
  /** Seed of the visualisations and SHAP samples. Default: 0. */
  seed?: number;
  /** Images for the 99th-percentile check. Default: `data`. */
  checkData?: ImageSet;
  /** Progress of the long steps. */
  onProgress?: (step: string) => ProgressFn;
}

/**
 * NeuronIM ranking of a model's neurons, with the maximisation check and
 * activation statistics (see the module doc).
 *
 * @param net the network
 * @param data labelled images: SHAP background (50 drawn with the seed),
 *   statistics, top-activating images and histograms
 * @param options see {@link NeuronsReportOptions}
 * @returns the report and the results behind it
 * @throws the errors of {@link neuronIM}, {@link maximisationCheck} and {@link neuronStats}
 */
export async function neuronsReport(
  net: Net,
  data: ImageSet,
  options: NeuronsReportOptions = {},
): Promise<NeuronsResults> {
  const layers = [...(options.layers ?? convLayers(net).map((l) => l.name))];
  const steps = options.steps ?? 256;
  const samples = options.samples ?? 50;
  const seed = options.seed ?? 0;
  const progress = (step: string) => {
    const p = options.onProgress?.(step);
    return p ? { onProgress: p } : {};
  };

  let t = performance.now();
  const im = await neuronIM(net, data, {
    layers,
    n: samples,
    seed,
    featureViz: {
      steps,
      ...(options.decorrelate !== undefined ? { decorrelate: options.decorrelate } : {}),
    },
    ...progress("NeuronIM"),
  });
  const imSeconds = (performance.now() - t) / 1000;

  const check = await maximisationCheck(net, layers, options.checkData ?? data, {
    visualizations: layers.map((l) => featureVizOf(im, l)),
    ...progress("maximisation check"),
  });

  t = performance.now();
  const stats = await neuronStats(net, data, { layers, ...progress("neuron statistics") });
  const profiles = await neuronProfiles(net, data, { layers, k: 8 });
  const statsSeconds = (performance.now() - t) / 1000;

  return {
    report: {
      net: net.name,
      data: data.name,
      metric: "NeuronIM: SSIM of each neuron's feature visualisation and its SHAP image " +
        "(METHODS.md §5)",
      neuronIM: {
        seconds: imSeconds,
        steps,
        samples,
        backgroundSize: im.inputs.backgroundIndices.length,
        // Colour mixing applies to RGB inputs only.
        decorrelate: data.shape[3] === 3 ? options.decorrelate ?? true : false,
      },
      maximisation: {
        images: check.images,
        percentile: check.percentile,
        fraction: check.fraction,
        fractionLive: check.fractionLive,
      },
      statsImages: data.shape[0],
      statsSeconds,
      layers: layerIM(im).map((row, i) => ({
        ...row,
        units: stats[i]!.units,
        meanTaylor: mean(stats[i]!.taylor),
        deadUnits: stats[i]!.max.filter((m) => m <= 0).length,
        maximised: check.layers[i]!.fraction,
      })),
      neurons: rankNeurons(im, stats, check),
    },
    im,
    profiles,
    images: data,
  };
}

/**
 * Every neuron of a NeuronIM result, best NeuronIM first (ties: layer, then
 * unit), with its statistics and maximisation check for context.
 *
 * @param im a NeuronIM result
 * @param stats {@link neuronStats} of the same layers (any order)
 * @param check the {@link maximisationCheck} of the same layers
 * @returns the ranked neurons
 * @throws {RangeError} when a layer of `im` has no statistics or check
 */
export function rankNeurons(
  im: NeuronIMResult,
  stats: readonly LayerNeuronStats[],
  check: MaximisationCheck,
): RankedNeuron[] {
  const ranked: RankedNeuron[] = [];
  for (const layer of im.layers) {
    const s = stats.find((x) => x.layer === layer.layer);
    const c = check.layers.find((x) => x.layer === layer.layer);
    if (!s || !c) {
      throw new RangeError(`No statistics or maximisation check for layer ${layer.layer}`);
    }
    for (const n of layer.neurons) {
      const at = c.units.indexOf(n.unit);
      ranked.push({
        layer: layer.layer,
        unit: n.unit,
        score: n.score,
        vizActivation: n.activation,
        datasetP99: at >= 0 ? c.datasetPercentile[at]! : NaN,
        taylor: s.taylor[n.unit]!,
        meanActivation: s.mean[n.unit]!,
        activeFraction: s.activeFraction[n.unit]!,
        maxActivation: s.max[n.unit]!,
      });
    }
  }
  return ranked.sort((a, b) =>
    b.score - a.score || a.layer.localeCompare(b.layer) || a.unit - b.unit
  );
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length > 0 ? s / a.length : 0;
}

/**
 * The report as text: LayerIM and the maximisation check per layer, then
 * the top and bottom neurons by NeuronIM.
 *
 * @param report what {@link neuronsReport} returned
 * @param top how many neurons to list at the top. Default: 15.
 * @returns the text
 */
export function formatNeuronsReport(report: NeuronsReport, top = 15): string {
  const pct = (v: number) => `${fixed(100 * v, 1)} %`;
  const neuronRows = (list: RankedNeuron[], offset: number) =>
    list.map((n, i) => [
      offset + i + 1,
      n.layer,
      n.unit,
      fixed(n.score, 3),
      `${fixed(n.vizActivation, 2)} / ${fixed(n.datasetP99, 2)}`,
      n.taylor.toExponential(2),
      fixed(n.meanActivation, 3),
      pct(n.activeFraction),
    ]);
  const header = [
    "rank",
    "layer",
    "unit",
    "NeuronIM",
    "act on viz / p99",
    "Taylor",
    "mean act",
    "active",
  ];
  const all = report.neurons;
  const bottom = Math.min(5, all.length);
  const m = report.maximisation;
  return [
    `NeuronIM of ${all.length} neurons: ${report.neuronIM.steps} feature-visualisation steps, ` +
    `${report.neuronIM.samples} SHAP samples over ${report.neuronIM.backgroundSize} background ` +
    `images, ${fixed(report.neuronIM.seconds, 1)} s`,
    `Visualisations that beat the neuron's ${m.percentile}th-percentile activation on ` +
    `${m.images} images: ${pct(m.fraction)} of all neurons, ${pct(m.fractionLive)} of those ` +
    `active on the data`,
    `Statistics, top-activating images and histograms: ${report.statsImages} images, ` +
    `${fixed(report.statsSeconds, 1)} s`,
    `Ranking metric: ${report.metric}`,
    "",
    formatTable(
      ["layer", "units", "LayerIM", "median", "q25–q75", "maximised", "mean Taylor", "dead"],
      report.layers.map((l) => [
        l.layer,
        l.units,
        fixed(l.mean, 3),
        fixed(l.median, 3),
        `${fixed(l.q25, 3)}–${fixed(l.q75, 3)}`,
        pct(l.maximised),
        l.meanTaylor.toExponential(2),
        l.deadUnits,
      ]),
    ),
    "",
    `Most interpretable ${Math.min(top, all.length)} of ${all.length} neurons`,
    formatTable(header, neuronRows(all.slice(0, top), 0)),
    "",
    `Least interpretable ${bottom}`,
    formatTable(header, neuronRows(all.slice(-bottom), all.length - bottom)),
  ].join("\n");
}
