/**
 * The evaluation report: the seed paper's AOPC comparison (Samek et al.
 * 2017: sensitivity, deconvolution, LRP-ε, LRP-αβ, random) on a default
 * model, and the shallow-layer comparison (per-layer comprehensive score of
 * the shallow-layer relevance CAM against LayerCAM on every conv layer).
 *
 * @module
 */
import { deconvolution, saliency } from "../attribution/mod.ts";
import { lrp } from "../lrp/mod.ts";
import type { MapResult } from "../maps/map.ts";
import type { ImageSet } from "../data/types.ts";
import type { Net } from "../net/net.ts";
import { type CamLayerRow, evaluateCamLayers } from "../evaluate/per_layer.ts";
import { regionPerturbation } from "../evaluate/region_perturbation.ts";
import { fixed, formatTable } from "./table.ts";

/** AOPC of one method (MoRF, uniform noise, L steps). */
export interface AopcRow {
  method: string;
  aopc: number;
}

/** Options of {@link aopcComparison}. */
export interface AopcComparisonOptions {
  /** Perturbation steps L. Default: 100. */
  steps?: number;
  /** Called before each method. */
  onMethod?: (name: string) => void;
}

/**
 * AOPC (MoRF, uniform noise) of sensitivity (saliency), deconvolution,
 * LRP-ε (ε = 0.01, Samek et al.'s value) and LRP-αβ (α = 2, β = 1 on conv
 * layers, ε on dense), and of a random region order, on the same images.
 *
 * @param net the network
 * @param set the images
 * @param options see {@link AopcComparisonOptions}
 * @returns rows sorted by AOPC, highest (most faithful) first
 */
export async function aopcComparison(
  net: Net,
  set: ImageSet,
  options: AopcComparisonOptions = {},
): Promise<AopcRow[]> {
  const steps = options.steps ?? 100;
  const methods: [string, () => Promise<MapResult>][] = [
    ["sensitivity", () => saliency(net, set)],
    ["deconvolution", () => deconvolution(net, set)],
    ["LRP-ε (ε = 0.01)", () => lrp(net, set, { composite: "epsilon", epsilon: 0.01 })],
    ["LRP-αβ (α = 2, β = 1)", () => lrp(net, set, { composite: "epsilonAlphaBeta" })],
  ];
  const rows: AopcRow[] = [];
  let last: MapResult | null = null;
  for (const [name, run] of methods) {
    options.onMethod?.(name);
    last = await run();
    const r = await regionPerturbation(net, set, last, { steps, order: "morf" });
    rows.push({ method: name, aopc: r.aopc });
  }
  options.onMethod?.("random");
  const random = await regionPerturbation(net, set, last!, { steps, order: "random" });
  rows.push({ method: "random order", aopc: random.aopc });
  return rows.sort((a, b) => b.aopc - a.aopc);
}

/**
 * Per-layer deletion/insertion of LayerCAM and the shallow-layer relevance
 * CAM on every conv layer.
 */
export function shallowLayerComparison(net: Net, set: ImageSet): Promise<CamLayerRow[]> {
  return evaluateCamLayers(net, set, {
    methods: ["layerCam", "shallowRelevanceCam"],
    metric: "deletionInsertion",
  });
}

/** The AOPC rows as text. */
export function formatAopc(title: string, rows: readonly AopcRow[]): string {
  return [
    title,
    formatTable(["method", "AOPC (MoRF)"], rows.map((r) => [r.method, fixed(r.aopc, 4)])),
  ].join("\n");
}

/** The per-layer rows as text. */
export function formatCamLayers(title: string, rows: readonly CamLayerRow[]): string {
  return [
    title,
    formatTable(
      ["layer", "method", "deletion AUC", "insertion AUC", "comprehensive ×100"],
      rows.map((r) => [
        r.layer,
        r.method,
        fixed(r.deletion ?? NaN, 4),
        fixed(r.insertion ?? NaN, 4),
        fixed(r.comprehensive ?? NaN, 2),
      ]),
    ),
  ].join("\n");
}
