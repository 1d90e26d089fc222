/**
 * The maps report: every registered map method on `models/scenes-cnn` and
 * synthetic scenes, scored by how much of its positive mass falls inside the
 * ground-truth object mask and by the pointing game, with its speed. A number
 * users can compare across methods, not a pass/fail.
 *
 * @module
 */
import { attribute, ATTRIBUTION_METHODS, type AttributionName } from "../attribution/mod.ts";
import { cam } from "../cam/cam.ts";
import { CAM_METHODS, type CamMethodName } from "../cam/registry.ts";
import { scenes } from "../data/scenes.ts";
import { localisation } from "../evaluate/localisation.ts";
import { COMPOSITES, lrp } from "../lrp/mod.ts";
import type { MapResult } from "../maps/map.ts";
import { convLayers, type Net } from "../net/net.ts";
import { SCENES_SPLITS } from "../train/default_models.ts";
import { fixed, formatTable } from "./table.ts";

/** One method's scores. */
export interface MapsReportRow {
  family: "attribution" | "cam" | "lrp";
  method: string;
  layer: string | null;
  /** Mean positive map mass inside the object mask. */
  massInside: number;
  /** Fraction of images whose map maximum lies on the object. */
  pointing: number;
  /** Images explained per second (this machine, this backend). */
  imagesPerSecond: number;
}

/** The whole report. */
export interface MapsReport {
  model: string;
  images: number;
  /** Mean fraction of pixels on the object: what a uniform map scores. */
  chance: number;
  rows: MapsReportRow[];
}

/** A map method as the report runs it. */
export interface ReportedMethod {
  family: MapsReportRow["family"];
  name: string;
  layer: string | null;
  run(net: Net, images: { images: Float32Array; shape: number[] }): Promise<MapResult>;
}

/** Options of {@link mapsReport}. */
export interface MapsReportOptions {
  /** Test scenes explained. Default: 100. */
  images?: number;
  /** CAM layer. Default: the last conv layer. */
  layer?: string;
  /** Extra methods appended to the registered ones. */
  extra?: readonly ReportedMethod[];
  /** Called before each method with its name. */
  onMethod?: (name: string, index: number, total: number) => void;
}

/**
 * Runs every attribution method, every CAM (at one layer) and every LRP
 * composite on test scenes
 * and scores them against the object masks.
 *
 * @param net a scenes classifier (e.g. `models/scenes-cnn`)
 * @param options see {@link MapsReportOptions}
 */
export async function mapsReport(net: Net, options: MapsReportOptions = {}): Promise<MapsReport> {
  const count = options.images ?? 100;
  const split = SCENES_SPLITS.test;
  const [h, w] = net.inputShape;
  const set = scenes({ count, seed: split.seed, offset: split.offset, size: [h, w] });
  const background = scenes({ count: 50, seed: SCENES_SPLITS.train.seed, size: [h, w] });
  const layer = options.layer ?? convLayers(net).at(-1)!.name;
  const methods: ReportedMethod[] = [
    ...(Object.keys(ATTRIBUTION_METHODS) as AttributionName[]).map((name): ReportedMethod => ({
      family: "attribution",
      name,
      layer: null,
      run: (n, images) => attribute(n, images, { method: name, background }),
    })),
    {
      // Black and white are object colours in the scenes, so a black patch is
      // itself a concept; a grey patch is the neutral occluder here.
      family: "attribution",
      name: "occlusion (grey patch)",
      layer: null,
      run: (n, images) => attribute(n, images, { method: "occlusion", baseline: 0.5 }),
    },
    ...(Object.keys(CAM_METHODS) as CamMethodName[]).map((name): ReportedMethod => ({
      family: "cam",
      name,
      layer,
      run: (n, images) => cam(n, images, { method: name, layer }),
    })),
    ...(Object.keys(COMPOSITES) as (keyof typeof COMPOSITES)[]).map((
      composite,
    ): ReportedMethod => ({
      family: "lrp",
      name: `lrp-${composite}`,
      layer: null,
      run: (n, images) => lrp(n, images, { composite }),
    })),
    ...(options.extra ?? []),
  ];
  const rows: MapsReportRow[] = [];
  let chance = 0;
  for (const [i, m] of methods.entries()) {
    options.onMethod?.(m.name, i, methods.length);
    const started = performance.now();
    const maps = await m.run(net, set);
    const seconds = (performance.now() - started) / 1000;
    const loc = await localisation(maps, set.objectMask, [h, w]);
    chance = loc.chance;
    rows.push({
      family: m.family,
      method: m.name,
      layer: m.layer,
      massInside: loc.meanMass,
      pointing: loc.pointing,
      imagesPerSecond: count / seconds,
    });
  }
  return { model: net.name, images: count, chance, rows };
}

/** The report as a text table. */
export function formatMapsReport(report: MapsReport): string {
  return [
    `Maps on ${report.images} test scenes, ${report.model}: positive map mass inside the object ` +
    `mask and pointing game (chance: ${
      fixed(100 * report.chance, 1)
    } % of pixels are on the object)`,
    formatTable(
      ["family", "method", "layer", "mass inside", "pointing", "images/s"],
      report.rows.map((r) => [
        r.family,
        r.method,
        r.layer ?? "input",
        `${fixed(100 * r.massInside, 1)} %`,
        `${fixed(100 * r.pointing, 1)} %`,
        fixed(r.imagesPerSecond, 1),
      ]),
    ),
  ].join("\n");
}
