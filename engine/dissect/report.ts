/**
 * The network-dissection report (issue 6's must-show): the hand-built colour
 * detector's labels, then `models/scenes-cnn` dissected on synthetic concept
 * scenes (detectors per layer and category), the same after random rotations
 * Q^α of every conv layer, and the test accuracy with each full rotation folded
 * into the network (unchanged), and one test prediction explained by its top
 * labelled units.
 *
 * @module
 */
import { convLayers, type Net, wrapModel } from "../net/net.ts";
import { fixed, formatTable } from "../report/table.ts";
import { defaultData, loadDefaultNet } from "../train/default_models.ts";
import { colorDetectorModel, colorProbeOptions, DETECTOR_COLORS } from "./color_detector.ts";
import { dissect, type DissectionResult, formatDissection } from "./dissect.ts";
import { explainWithUnits } from "./explain.ts";
import { sceneSource } from "./probe.ts";
import { randomRotation, rotationPower } from "./rotation.ts";
import { type RotatedEvaluation, rotatedEvaluation, rotationAbsorber } from "./rotate_net.ts";

/** Options of {@link dissectionReport}. */
export interface DissectionReportOptions {
  /** Probe scenes (64×64, seed 0, offset 2,000,000: disjoint from the training and test splits). Default 2000. */
  probeCount?: number;
  /** Test images for the accuracy check. Default 2000 (the whole test split). */
  testCount?: number;
  /** Images per forward pass. Default 32. */
  batchSize?: number;
  /** Seed of the random rotations (layer i uses seed + i). Default 0. */
  rotationSeed?: number;
  /** Partial rotation powers dissected (1 = full rotation). Default [0.25, 0.5, 0.75, 1]. */
  alphas?: readonly number[];
  /** A net to report on instead of scenes-cnn (64×64×3 input). Default: scenes-cnn. */
  net?: Net;
  /** Called with a line of progress text. Default: none. */
  log?: (line: string) => void;
}

/** Everything the report computed, plus its text. */
export interface DissectionReport {
  text: string;
  colorDetector: DissectionResult;
  baseline: DissectionResult;
  rotated: { alpha: number; result: DissectionResult }[];
  accuracy: (RotatedEvaluation & { unitsOf: string })[];
}

/** Probe scenes for the report: disjoint from scenes-cnn's training (offset 0) and test (offset 1e6) splits. */
export const REPORT_PROBE_OFFSET = 2_000_000;

/**
 * Builds the dissection report (module doc). Slow: 2·(1 + alphas) passes over
 * the probe scenes plus the accuracy check; minutes on a CPU.
 *
 * @param options see {@link DissectionReportOptions}
 * @returns the report text and results
 * @example
 * ```ts ignore
 * import { dissectionReport } from "./report.ts";
 * console.log((await dissectionReport({ probeCount: 2000 })).text);
 * ```
 */
export async function dissectionReport(
  options: DissectionReportOptions = {},
): Promise<DissectionReport> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 32;
  const probeCount = options.probeCount ?? 2000;
  const alphas = [...(options.alphas ?? [0.25, 0.5, 0.75, 1])];
  const out: string[] = [];

  // 1. The hand-built colour detector.
  log("dissecting the hand-built colour detector");
  const detector = wrapModel(colorDetectorModel({ size: 64 }));
  let colorDetector: DissectionResult;
  try {
    colorDetector = await dissect(detector, sceneSource(colorProbeOptions(500, { seed: 1 })), {
      layers: ["colors"],
      batchSize,
    });
  } finally {
    detector.model.dispose();
  }
  const cd = colorDetector.layers[0]!;
  out.push(
    "Hand-built colour detector (layer colors), 500 small-object scenes:",
    formatTable(
      ["unit", "built for", "label", "IoU"],
      cd.labels.map((u, k) => [k, DETECTOR_COLORS[k]!, u.concept, fixed(u.iou, 3)]),
    ),
    `every unit labelled with its colour at IoU > 0.9: ${
      cd.labels.every((u, k) => u.concept === DETECTOR_COLORS[k] && u.iou > 0.9) ? "yes" : "NO"
    }`,
    "",
  );

  // 2. scenes-cnn, baseline.
  const net = options.net ?? await loadDefaultNet("scenes-cnn");
  try {
    const layers = convLayers(net).map((l) => l.name);
    const probe = sceneSource({ count: probeCount, seed: 0, offset: REPORT_PROBE_OFFSET });
    log(`dissecting ${net.name} on ${probeCount} probe scenes`);
    const t0 = performance.now();
    const baseline = await dissect(net, probe, { layers, batchSize });
    const seconds = (performance.now() - t0) / 1000;
    out.push(
      formatDissection(baseline, {
        title: `${net.name}: detectors (unique concepts) per layer and category`,
      }),
    );
    out.push(`(${fixed(seconds, 1)} s)`, "");

    // 3. Random rotations Q^α of every conv layer.
    const seed = options.rotationSeed ?? 0;
    const full = Object.fromEntries(
      layers.map((
        name,
        i,
      ) => [
        name,
        randomRotation(net.layers.find((l) => l.name === name)!.units, { seed: seed + i }),
      ]),
    );
    const rotated: DissectionReport["rotated"] = [];
    for (const alpha of alphas) {
      log(`dissecting with rotations Q^${alpha}`);
      const rotation = Object.fromEntries(
        layers.map((name) => [name, alpha === 1 ? full[name]! : rotationPower(full[name]!, alpha)]),
      );
      rotated.push({ alpha, result: await dissect(net, probe, { layers, batchSize, rotation }) });
    }
    const fullResult = rotated.find((r) => r.alpha === 1)?.result;
    if (fullResult) {
      out.push(
        formatDissection(fullResult, {
          title:
            `${net.name} after a full random rotation Q (uniform on SO(K)) of every conv layer`,
        }),
        "",
      );
    }
    out.push(
      "Detectors per layer as the rotation grows (Q^α; α = 0 is the network's own basis):",
      formatTable(
        ["layer", "α = 0", ...alphas.map((a) => `α = ${a}`)],
        layers.map((name, i) => [
          name,
          baseline.layers[i]!.summary.detectors,
          ...rotated.map((r) => r.result.layers[i]!.summary.detectors),
        ]),
      ),
      "",
    );

    // 4. Accuracy with each full rotation folded into the network.
    const testSet = await defaultData("scenes-cnn", "test", options.testCount ?? 2000);

    // 5. One prediction explained by labelled units of the last conv layer.
    const [h, w, c] = net.inputShape;
    const first = {
      images: testSet.images.subarray(0, h * w * c),
      shape: [1, h, w, c] as [number, number, number, number],
    };
    const [why] = await explainWithUnits(net, first, { dissection: baseline, top: 5 });
    out.push(
      `Test scene 0 (label ${testSet.classNames[testSet.labels[0]!]}) predicted ${
        net.classNames[why!.classIndex] ?? why!.classIndex
      } (logit ${fixed(why!.logit, 2)}); its top units w·mean(A) at ${layers.at(-1)}:`,
      formatTable(
        ["unit", "w·mean(A)", "label", "category", "IoU"],
        why!.units.map((
          u,
        ) => [
          u.unit,
          fixed(u.contribution, 3),
          u.concept ?? "-",
          u.category ?? "-",
          fixed(u.iou ?? 0, 3),
        ]),
      ),
      "",
    );
    const accuracy: DissectionReport["accuracy"] = [];
    for (const name of layers) {
      let at = name;
      if (!rotationAbsorber(net, name).absorber) {
        // Max pooling does not commute with a rotation: rotate the pooled units.
        const outs = net.graph.byName.get(name)!.outputs;
        const next = net.graph.steps.find((s) => s.inputs.some((i) => outs.includes(i)));
        if (next && rotationAbsorber(net, next.name).absorber) at = next.name;
        else continue;
      }
      log(`accuracy with the rotation of ${name} folded in at ${at}`);
      const r = await rotatedEvaluation(net, testSet, { layer: at, q: full[name]! }, {
        batchSize: 64,
      });
      accuracy.push({ ...r, unitsOf: name });
    }
    out.push(
      `Test accuracy (${testSet.labels.length} scenes) with each layer's full rotation applied and Qᵀ folded into the next linear layer:`,
      formatTable(
        ["units of", "rotated at", "Qᵀ folded into", "accuracy before", "after", "max |Δ logit|"],
        accuracy.map((a) => [
          a.unitsOf,
          a.layer,
          a.absorber,
          `${fixed(100 * a.before.accuracy, 2)} %`,
          `${fixed(100 * a.after.accuracy, 2)} %`,
          a.maxLogitDifference.toExponential(1),
        ]),
      ),
      "(max pooling does not commute with a rotation, so for a conv layer followed by max pooling the",
      " rotation is applied to the pooled output, whose channels are the same units)",
    );
    return { text: out.join("\n"), colorDetector, baseline, rotated, accuracy };
  } finally {
    if (!options.net) net.model.dispose();
  }
}
