/**
 * Report of the training monitor: per epoch and per layer, the probe
 * accuracy (METHODS.md §7, layer-specific predictions as a time series).
 *
 * @module
 */
import { fixed, formatTable } from "../report/table.ts";
import type { ProbeSnapshot } from "./monitor.ts";

/** Probe accuracies as a plain epoch × layer table. */
export interface ProbeAccuracyTable {
  /** Layers (columns), in probe order. */
  layers: string[];
  /** Epochs (rows), ascending. */
  epochs: number[];
  /** trainAccuracy[e][l] for epoch row e and layer column l. */
  trainAccuracy: number[][];
  /** testAccuracy[e][l]. */
  testAccuracy: number[][];
}

/**
 * Collects the per-epoch, per-layer probe accuracies of monitor snapshots.
 *
 * @param snapshots from `probeMonitor` or `replayCheckpoints`
 * @returns the table (epochs sorted; a layer missing at an epoch gives NaN there)
 * @throws {RangeError} for no snapshots
 *
 * @example
 * ```ts
 * import { formatProbeAccuracyTable, probeAccuracyTable } from "./report.ts";
 * import type { ProbeSnapshot } from "./monitor.ts";
 * const layer = (name: string, acc: number) => ({ layer: name, trainAccuracy: acc, testAccuracy: acc });
 * const snap = (epoch: number) => ({ epoch, correlation: [], importance: [],
 *   probes: { layers: [layer("c1", 0.5), layer("c2", 0.75)] } }) as unknown as ProbeSnapshot;
 * const t = probeAccuracyTable([snap(2), snap(1)]);
 * if (!(t.epochs.join() === "1,2" && formatProbeAccuracyTable(t).includes("75.0"))) throw new Error("example failed");
 * ```
 */
export function probeAccuracyTable(snapshots: readonly ProbeSnapshot[]): ProbeAccuracyTable {
  if (snapshots.length === 0) throw new RangeError("No monitor snapshots to report");
  const sorted = [...snapshots].sort((a, b) => a.epoch - b.epoch);
  const layers = [...new Set(sorted.flatMap((s) => s.probes.layers.map((l) => l.layer)))];
  const pick = (s: ProbeSnapshot, key: "trainAccuracy" | "testAccuracy") =>
    layers.map((name) => s.probes.layers.find((l) => l.layer === name)?.[key] ?? NaN);
  return {
    layers,
    epochs: sorted.map((s) => s.epoch),
    trainAccuracy: sorted.map((s) => pick(s, "trainAccuracy")),
    testAccuracy: sorted.map((s) => pick(s, "testAccuracy")),
  };
}

/**
 * The table as text: one row per epoch, test accuracy (%) per layer, and
 * the training accuracy in brackets when `train` is set.
 *
 * @param table from {@link probeAccuracyTable}
 * @param options `train`: also show training accuracy (default false)
 * @returns aligned text
 */
export function formatProbeAccuracyTable(
  table: ProbeAccuracyTable,
  options: { train?: boolean } = {},
): string {
  const pct = (v: number) => Number.isFinite(v) ? fixed(100 * v, 1) : "–";
  const rows = table.epochs.map((epoch, e) => [
    epoch,
    ...table.layers.map((_, l) => {
      const test = pct(table.testAccuracy[e]![l]!);
      return options.train ? `${test} (${pct(table.trainAccuracy[e]![l]!)})` : test;
    }),
  ]);
  return formatTable(["epoch", ...table.layers], rows);
}
