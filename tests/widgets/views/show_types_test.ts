// The show adapters restate engine result types structurally (fields read):
// this file only type-checks that the engine's real results fit them, so a
// change in an engine result that breaks a widget fails `deno check`.
import assert from "node:assert/strict";
import type { MapResult } from "../../../engine/maps/map.ts";
import type { RegionPerturbationResult } from "../../../engine/evaluate/region_perturbation.ts";
import type { DeletionInsertionResult } from "../../../engine/evaluate/deletion_insertion.ts";
import type { LayerNeuronStats } from "../../../engine/neurons/activation_stats.ts";
import type { ProbeSnapshot } from "../../../engine/probe/monitor.ts";
import type { NeuronIMResult } from "../../../engine/neurons/neuron_im.ts";
import type { DissectionResult } from "../../../engine/dissect/dissect.ts";
import type { PruningReport } from "../../../engine/prune/curves.ts";
import type { LayerTopActivating } from "../../../engine/neurons/top_k.ts";
import type { LayerHistograms } from "../../../engine/neurons/histogram.ts";
import type { ImageSet } from "../../../engine/data/types.ts";
import type {
  DeletionInsertionLike,
  DissectionLike,
  GalleryImages,
  ImagesLike,
  LayerHistogramsLike,
  MapResultLike,
  NeuronIMLike,
  NeuronStatsLike,
  ProbeSnapshotLike,
  PruningReportLike,
  RegionPerturbationLike,
  TopActivatingLike,
} from "../../../widgets/show/mod.ts";

const fits = [
  (x: MapResult): MapResultLike => x,
  (x: RegionPerturbationResult): RegionPerturbationLike => x,
  (x: DeletionInsertionResult): DeletionInsertionLike => x,
  (x: LayerNeuronStats): NeuronStatsLike => x,
  (x: ProbeSnapshot): ProbeSnapshotLike => x,
  (x: NeuronIMResult): NeuronIMLike => x,
  (x: DissectionResult): DissectionLike => x,
  (x: PruningReport): PruningReportLike => x,
  (x: LayerTopActivating): TopActivatingLike => x,
  (x: LayerHistograms): LayerHistogramsLike => x,
  (x: ImageSet): ImagesLike => x,
  (x: ImageSet): GalleryImages => x,
];

Deno.test("engine results fit the show adapters' input types (checked at compile time)", () => {
  assert.equal(fits.length, 12);
});
