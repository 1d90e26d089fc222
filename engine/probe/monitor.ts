/**
 * Monitoring of the hybrid CNN interpreter (seed 004, body not available;
 * **interpretation**, METHODS.md §7): layer probes, feature correlation and
 * filter importance on a fixed probe set at every training epoch, as time
 * series, either live through a training callback ({@link probeMonitor}) or
 * after the fact from saved checkpoints ({@link replayCheckpoints}).
 *
 * The probes train on `splits.train`; correlation and importance are
 * measured on `splits.test` (the fixed probe set).
 *
 * @module
 */
import type { EpochCallback } from "../train/train.ts";
import { loadNet } from "../net/io.ts";
import { type Net, wrapModel } from "../net/net.ts";
import { type FilterImportance, filterImportance } from "./filter_importance.ts";
import { featureCorrelation, type LayerCorrelation } from "./feature_correlation.ts";
import {
  layerProbes,
  type LayerProbesOptions,
  type LayerProbesResult,
  type ProbeSplits,
} from "./layer_probes.ts";

/** What is recorded at one epoch. */
export interface ProbeSnapshot {
  /** 1-based epoch. */
  epoch: number;
  /** Per-layer probe accuracies and per-image predictions. */
  probes: LayerProbesResult;
  /** Per-layer correlation (empty when disabled). */
  correlation: LayerCorrelation[];
  /** Per-layer filter importance (empty when disabled). */
  importance: FilterImportance[];
}

/** Options of {@link probeSnapshot}, {@link probeMonitor} and {@link replayCheckpoints}. */
export interface MonitorOptions extends LayerProbesOptions {
  /** Compute feature correlation. Default: true. */
  correlation?: boolean;
  /** Layers whose filter importance is measured. Default: the probed layers; `[]` turns it off. */
  importanceLayers?: readonly string[];
  /** Compute the L1/Taylor proxies of filter importance. Default: true. */
  proxies?: boolean;
  /** Images per pass for correlation and importance. Default: 64. */
  batchSize?: number;
}

/**
 * Probes, correlation and importance of one network state (METHODS.md §7).
 *
 * @param net the network at that state
 * @param splits probe training split and the fixed probe (test) set
 * @param options see {@link MonitorOptions}; `epoch` labels the snapshot (default 0)
 * @returns the snapshot
 */
export async function probeSnapshot(
  net: Net,
  splits: ProbeSplits,
  options: MonitorOptions & { epoch?: number } = {},
): Promise<ProbeSnapshot> {
  const probes = await layerProbes(net, splits, options);
  const layers = probes.layers.map((l) => l.layer);
  const batchSize = options.batchSize ?? 64;
  const correlation = options.correlation === false
    ? []
    : await featureCorrelation(net, splits.test, {
      layers,
      batchSize,
      pooling: options.pooling ?? "mean",
    });
  const importanceLayers = options.importanceLayers ?? layers;
  const importance = importanceLayers.length === 0 ? [] : await filterImportance(net, splits.test, {
    layers: importanceLayers,
    batchSize,
    proxies: options.proxies ?? true,
  });
  return { epoch: options.epoch ?? 0, probes, correlation, importance };
}

/**
 * A training callback that records a {@link ProbeSnapshot} after every epoch (METHODS.md §7).
 *
 * @param splits probe training split and the fixed probe set
 * @param options see {@link MonitorOptions}
 * @returns `onEpoch` for `trainModel` and the growing list of snapshots
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { probeMonitor } from "./monitor.ts";
 * import { trainModel } from "../train/train.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.dense({ inputShape: [2, 2, 1], units: 3, name: "d" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2, activation: "softmax" }),
 * ] });
 * const set = { name: "toy", images: Float32Array.from({ length: 16 }, (_, i) => i % 3),
 *   shape: [4, 2, 2, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1, 0, 1]), classNames: ["a", "b"] };
 * const monitor = probeMonitor({ train: set, test: set }, { layers: ["d"], epochs: 5 });
 * await trainModel(model, set, { epochs: 1, onEpoch: monitor.onEpoch });
 * if (!(monitor.snapshots.length === 1)) throw new Error("example failed");
 * model.dispose();
 * ```
 */
export function probeMonitor(
  splits: ProbeSplits,
  options: MonitorOptions = {},
): { onEpoch: EpochCallback; snapshots: ProbeSnapshot[] } {
  const snapshots: ProbeSnapshot[] = [];
  const onEpoch: EpochCallback = async (info) => {
    // wrapModel shares the weights being trained; nothing is copied or disposed.
    const net = wrapModel(info.model);
    snapshots.push(await probeSnapshot(net, splits, { ...options, epoch: info.epoch }));
  };
  return { onEpoch, snapshots };
}

/**
 * The same snapshots computed from saved checkpoints `<dir>/epoch-NN/model.json`, sorted by epoch.
 *
 * @param dir folder holding `epoch-NN` checkpoint folders (as written by `trainModel`)
 * @param splits probe training split and the fixed probe set
 * @param options see {@link MonitorOptions}; `epochs` here is the probe's
 *   training epochs; `only` (default: all) restricts the checkpoint epochs
 * @returns one snapshot per checkpoint, in epoch order
 * @throws {RangeError} when the folder has no checkpoints; {@link Error}
 *   naming the file when a checkpoint's model.json or weight file is missing
 */
export async function replayCheckpoints(
  dir: string,
  splits: ProbeSplits,
  options: MonitorOptions & { only?: readonly number[] } = {},
): Promise<ProbeSnapshot[]> {
  const found = await listCheckpoints(dir);
  const chosen = options.only ? found.filter((c) => options.only!.includes(c.epoch)) : found;
  if (chosen.length === 0) {
    throw new RangeError(
      `No checkpoints ${options.only ? `for epochs ${options.only.join(", ")} ` : ""}in ${dir}; ` +
        `expected folders named epoch-NN holding model.json`,
    );
  }
  // Check every file before the long work starts.
  for (const c of chosen) await checkCheckpointFiles(c.path);
  const out: ProbeSnapshot[] = [];
  for (const c of chosen) {
    const net = await loadNet(`${c.path}/model.json`);
    try {
      out.push(await probeSnapshot(net, splits, { ...options, epoch: c.epoch }));
    } finally {
      net.model.dispose();
    }
  }
  return out;
}

/**
 * Checkpoint folders of `dir`, sorted by epoch.
 *
 * @param dir the checkpoint folder
 * @returns epoch number and path of each `epoch-NN` sub-folder
 * @throws {Error} naming the folder when it cannot be read
 *
 * @example
 * ```ts
 * import { listCheckpoints } from "./monitor.ts";
 * const dir = new URL("../../models/scenes-cnn/checkpoints", import.meta.url).pathname;
 * const found = await listCheckpoints(dir);
 * if (!(found[0]!.epoch === 1 && found[0]!.path.endsWith("epoch-01"))) throw new Error("example failed");
 * ```
 */
export async function listCheckpoints(dir: string): Promise<{ epoch: number; path: string }[]> {
  const out: { epoch: number; path: string }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = /^epoch-(\d+)$/.exec(e.name);
      if (m && e.isDirectory) out.push({ epoch: Number(m[1]), path: `${dir}/${e.name}` });
    }
  } catch (e) {
    throw new Error(`Cannot read checkpoint folder ${dir}: ${(e as Error).message}`);
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

async function checkCheckpointFiles(path: string): Promise<void> {
  const jsonPath = `${path}/model.json`;
  let json: { weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new Error(
      `Checkpoint file ${jsonPath} is missing or unreadable: ${(e as Error).message}`,
    );
  }
  for (const p of (json.weightsManifest ?? []).flatMap((g) => g.paths)) {
    const file = `${path}/${p}`;
    try {
      await Deno.stat(file);
    } catch {
      throw new Error(`Checkpoint weights file ${file} is missing (listed in ${jsonPath})`);
    }
  }
}
