/**
 * Per-layer evaluation of CAM methods (METHODS.md §4 and §2, seed 003): the
 * maps of each method at each conv layer are judged by deletion/insertion
 * (Petsiuk et al. 2018) and/or AOPC (Samek et al. 2017), in one table.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { evaluateCamLayers } from "./per_layer.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const x = tf.randomUniform([1, 5, 5, 1], 0, 1, "float32", 1);
 * const rows = await evaluateCamLayers(net, x, { methods: ["gradCam"] });
 * if (!(rows.length === 1 && rows[0]!.layer === "c1" && rows[0]!.aopc === null)) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 *
 * @module
 */
import { camAllLayers } from "../cam/cam.ts";
import type { CamMethodName } from "../cam/registry.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import type { Net } from "../net/net.ts";
import { deletionInsertion } from "./deletion_insertion.ts";
import { regionPerturbation, type RegionPerturbationOptions } from "./region_perturbation.ts";

/** Options of {@link evaluateCamLayers}. */
export interface CamLayersOptions {
  /** CAM methods by name. Default: ["layerCam", "shallowRelevanceCam"]. */
  methods?: readonly CamMethodName[];
  /** Conv layers. Default: every conv layer. */
  layers?: readonly string[];
  /** "deletionInsertion" (default), "aopc", or "both". */
  metric?: "deletionInsertion" | "aopc" | "both";
  /** Deletion/insertion step in pixels. Default: H·W / 50. */
  step?: number;
  /** Options of the AOPC run (order, steps, regionSize, perturbation, seed). Default: {}. */
  aopc?: Omit<RegionPerturbationOptions, "batchSize">;
  /** Rows per forward pass, for the maps and the metrics. Default: 32. */
  batchSize?: number;
}

/** One row of the table: a method at a layer, averaged over images. */
export interface CamLayerRow {
  method: string;
  layer: string;
  /** Mean deletion AUC (lower is better); null when not computed. */
  deletion: number | null;
  /** Mean insertion AUC (higher is better); null when not computed. */
  insertion: number | null;
  /** 100 · (insertion − deletion), as seed 003 reports it; null when not computed. */
  comprehensive: number | null;
  /** Mean MoRF AOPC (higher is better); null when not computed. */
  aopc: number | null;
}

/**
 * Scores CAM methods at every conv layer (or the chosen ones): deletion and
 * insertion AUC and the comprehensive score ×100 (Petsiuk et al. 2018), and/or
 * MoRF AOPC (Samek et al. 2017, eq. 12), averaged over the images.
 *
 * @param net the network
 * @param images [N, H, W, C] in [0, 1] (not disposed)
 * @param options see {@link CamLayersOptions}
 * @returns one row per method × layer, methods outermost, layers in order
 * @throws the errors of `camAllLayers`, `deletionInsertion` and `regionPerturbation`;
 *   {@link TypeError} for an unknown metric
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { evaluateCamLayers } from "./per_layer.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const x = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1);
 * const rows = await evaluateCamLayers(net, x, { methods: ["layerCam"], metric: "aopc", aopc: { steps: 4 } });
 * if (!(rows[0]!.deletion === null && typeof rows[0]!.aopc === "number")) throw new Error("example failed");
 * x.dispose();
 * net.model.dispose();
 * ```
 */
export async function evaluateCamLayers(
  net: Net,
  images: ImagesInput,
  options: CamLayersOptions = {},
): Promise<CamLayerRow[]> {
  const metric = options.metric ?? "deletionInsertion";
  if (!["deletionInsertion", "aopc", "both"].includes(metric)) {
    throw new TypeError(`metric is "${metric}"; expected "deletionInsertion", "aopc" or "both"`);
  }
  const methods = options.methods ?? ["layerCam", "shallowRelevanceCam"];
  const batchSize = options.batchSize ?? 32;
  const x = await toImageTensor(net, images);
  try {
    const rows: CamLayerRow[] = [];
    for (const method of methods) {
      const all = await camAllLayers(net, x, {
        method,
        batchSize,
        ...(options.layers ? { layers: options.layers } : {}),
      });
      for (const maps of all) {
        const row: CamLayerRow = {
          method,
          layer: maps.layer ?? "",
          deletion: null,
          insertion: null,
          comprehensive: null,
          aopc: null,
        };
        if (metric !== "aopc") {
          const di = await deletionInsertion(net, x, maps, {
            batchSize,
            ...(options.step === undefined ? {} : { step: options.step }),
          });
          row.deletion = di.deletionAuc;
          row.insertion = di.insertionAuc;
          row.comprehensive = 100 * di.comprehensive;
        }
        if (metric !== "deletionInsertion") {
          row.aopc = (await regionPerturbation(net, x, maps, { ...options.aopc, batchSize })).aopc;
        }
        rows.push(row);
      }
    }
    return rows;
  } finally {
    x.dispose();
  }
}
