/**
 * Adapters from training-time results to view states: probe monitor
 * snapshots → training monitor; a pruning report → pruning curves. Engine
 * types are restated structurally (fields read).
 *
 * @module
 */
import type { PruningSeries, PruningState } from "../views/pruning/spec.ts";
import type {
  MonitorCorrelation,
  MonitorImportance,
  TrainingMonitorState,
} from "../views/training_monitor/spec.ts";
import { f32, i32 } from "./_convert.ts";

/** A probe monitor snapshot (fields read). */
export interface ProbeSnapshotLike {
  epoch: number;
  probes: { layers: readonly { layer: string; trainAccuracy: number; testAccuracy: number }[] };
  correlation: readonly {
    layer: string;
    channels: number;
    matrix: ArrayLike<number>;
    order: ArrayLike<number>;
  }[];
  importance: readonly {
    layer: string;
    lossIncrease: ArrayLike<number>;
    accuracyDrop: ArrayLike<number>;
    l1: ArrayLike<number> | null;
    taylor: ArrayLike<number> | null;
  }[];
}

/**
 * A training monitor state from `probeMonitor`/`replayCheckpoints` snapshots.
 *
 * @param snapshots one per epoch (any order)
 * @param options `title` (default "Training monitor")
 * @returns the state: accuracies per epoch × layer (NaN where a layer was not probed), every correlation and importance
 * @throws {RangeError} for no snapshots
 * @example
 * ```ts
 * import { monitorState } from "./training.ts";
 * const snap = (epoch: number) => ({ epoch, correlation: [], importance: [],
 *   probes: { layers: [{ layer: "c1", trainAccuracy: 0.5, testAccuracy: 0.4 }] } });
 * const s = monitorState([snap(2), snap(1)]);
 * if (s.epochs.join() !== "1,2" || s.testAccuracy.length !== 2) throw new Error("example failed");
 * ```
 */
export function monitorState(
  snapshots: readonly ProbeSnapshotLike[],
  options: { title?: string } = {},
): TrainingMonitorState {
  if (snapshots.length === 0) throw new RangeError("monitorState: no snapshots");
  const sorted = [...snapshots].sort((a, b) => a.epoch - b.epoch);
  const layers = [...new Set(sorted.flatMap((s) => s.probes.layers.map((l) => l.layer)))];
  const E = sorted.length, L = layers.length;
  const test = new Float32Array(E * L).fill(NaN), train = new Float32Array(E * L).fill(NaN);
  sorted.forEach((s, e) =>
    s.probes.layers.forEach((p) => {
      const l = layers.indexOf(p.layer);
      test[e * L + l] = p.testAccuracy;
      train[e * L + l] = p.trainAccuracy;
    })
  );
  const correlations: MonitorCorrelation[] = sorted.flatMap((s) =>
    s.correlation.map((c) => ({
      epoch: s.epoch,
      layer: c.layer,
      channels: c.channels,
      matrix: f32(c.matrix),
      order: i32(c.order),
    }))
  );
  const importance: MonitorImportance[] = sorted.flatMap((s) =>
    s.importance.map((m) => {
      const out: MonitorImportance = {
        epoch: s.epoch,
        layer: m.layer,
        lossIncrease: f32(m.lossIncrease),
        accuracyDrop: f32(m.accuracyDrop),
      };
      if (m.l1) out.l1 = f32(m.l1);
      if (m.taylor) out.taylor = f32(m.taylor);
      return out;
    })
  );
  const state: TrainingMonitorState = {
    title: options.title ?? "Training monitor",
    layers,
    epochs: Int32Array.from(sorted, (s) => s.epoch),
    testAccuracy: test,
    trainAccuracy: train,
  };
  if (correlations.length) state.correlations = correlations;
  if (importance.length) state.importance = importance;
  return state;
}

/** A pruning report (fields read). */
export interface PruningReportLike {
  layers: readonly string[];
  ratios: readonly number[];
  baseline?: { accuracy: number; loss: number };
  curves: readonly {
    ranking: string;
    accuracy: readonly number[];
    loss: readonly number[];
    accuracyStd: readonly number[] | null;
    lossStd: readonly number[] | null;
  }[];
}

/**
 * A pruning state from a `pruningCurves` report.
 *
 * @param report the report
 * @param options `title` (default "Pruning <layers>")
 * @returns the state (random rankings with repeats get their std band)
 * @throws {RangeError} for a report without curves
 */
export function pruningState(
  report: PruningReportLike,
  options: { title?: string } = {},
): PruningState {
  if (report.curves.length === 0) throw new RangeError("pruningState: the report has no curves");
  const series: PruningSeries[] = report.curves.map((c) => {
    const s: PruningSeries = { ranking: c.ranking, accuracy: f32(c.accuracy), loss: f32(c.loss) };
    if (c.accuracyStd) s.accuracyStd = f32(c.accuracyStd);
    if (c.lossStd) s.lossStd = f32(c.lossStd);
    return s;
  });
  return {
    title: options.title ?? `Pruning ${report.layers.join(", ")}`,
    ratios: f32(report.ratios),
    series,
    pruned: report.layers.join(", "),
  };
}
