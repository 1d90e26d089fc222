/**
 * A continuous colour legend drawn with rect marks (Plot's own ramp legend
 * paints on a canvas, which Deno's server-side DOM lacks).
 *
 * @module
 */
import * as Plot from "./plot.ts";
import { h } from "./dom.ts";

/**
 * Plot options for a horizontal colour ramp with an axis.
 *
 * @param options `scheme` (default "turbo"), `domain` (default [0, 1]),
 *   `label` (default ""), `width` (default 240), `steps` (default 64),
 *   `reverse` the scheme (default false; match the plot's colour scale)
 * @returns options for `Plot.plot`
 */
export function legendOptions(
  options: {
    scheme?: string;
    domain?: [number, number];
    label?: string;
    width?: number;
    steps?: number;
    reverse?: boolean;
  } = {},
): Plot.PlotOptions {
  const [lo, hi] = options.domain ?? [0, 1];
  const steps = options.steps ?? 64;
  const rows = Array.from({ length: steps }, (_, i) => ({
    x1: lo + (hi - lo) * i / steps,
    x2: lo + (hi - lo) * (i + 1) / steps,
    v: lo + (hi - lo) * (i + 0.5) / steps,
  }));
  return {
    width: options.width ?? 240,
    height: 44,
    marginTop: 4,
    marginLeft: 12,
    marginRight: 12,
    marginBottom: 28,
    x: { domain: [lo, hi], label: options.label ?? "", ticks: 5 },
    y: { axis: null, domain: [0, 1] },
    color: {
      type: "linear",
      scheme: (options.scheme ?? "turbo") as Plot.ColorScheme,
      domain: [lo, hi],
      reverse: options.reverse ?? false,
    },
    marks: [Plot.rect(rows, { x1: "x1", x2: "x2", y1: 0, y2: 1, fill: "v" })],
  };
}

/** The legend as an element with `data-testid="<testid>"`. */
export function colorLegend(
  doc: Document,
  testid: string,
  options: Parameters<typeof legendOptions>[0] = {},
): HTMLElement {
  const box = h(doc, "div", { "data-testid": testid, style: "display:inline-block" });
  box.append(Plot.plot({ ...legendOptions(options), document: doc }));
  return box;
}
