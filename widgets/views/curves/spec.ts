/**
 * Perturbation curves, pure part: AOPC (MoRF/LeRF, Samek et al. 2017) and
 * deletion/insertion (RISE) curves per method, faceted by kind, with their
 * scores (METHODS.md §4).
 *
 * @module
 */
import * as Plot from "../_shared/plot.ts";
import { checkArray, checkFinite, checkNumber, checkString } from "../_shared/check.ts";
import { formatNumber } from "../_shared/dom.ts";

/** One curve. */
export interface CurveSeries {
  /** Method (user text), e.g. "gradCam" or "gradCam @ conv3". */
  method: string;
  /** Kind (facet), e.g. "MoRF", "LeRF", "deletion", "insertion". */
  kind: string;
  /** The scores along the curve. */
  y: Float32Array;
  /** x positions (same length as y). Default: equally spaced over [0, 1]. */
  x?: Float32Array;
  /** The curve's score (AOPC, AUC), shown in the table. */
  score?: number;
}

/** State of the curves view (traits = these keys). */
export interface CurvesState {
  /** Title line (user text). */
  title: string;
  /** The curves. */
  curves: CurveSeries[];
  /** x axis label. Default: "fraction perturbed". */
  xLabel?: string;
  /** y axis label. Default: "score". */
  yLabel?: string;
  /** Name of the curves' score in the table. Default: "area". */
  scoreName?: string;
  /** Extra per-method scores for the table (e.g. comprehensive = insertion − deletion, ABPC). */
  scores?: { method: string; name: string; value: number }[];
}

/** The state keys the front end reads. */
export const CURVES_TRAITS = [
  "title",
  "curves",
  "xLabel",
  "yLabel",
  "scoreName",
  "scores",
] as const;

/** One point of a curve. */
export interface CurvePoint {
  method: string;
  kind: string;
  /** Curve index (the line's z). */
  curve: number;
  x: number;
  y: number;
}

/** The class of the line marks' group. */
export const LINE_CLASS = "nl-curves-lines";

/**
 * Checks a curves state, naming the bad field.
 *
 * @param state the candidate
 * @returns the state
 * @throws {TypeError}/{@link RangeError} for a bad field or mismatched lengths
 */
export function checkCurvesState(state: CurvesState): CurvesState {
  const v = "curves";
  checkString(v, "title", state.title);
  if (!Array.isArray(state.curves) || state.curves.length === 0) {
    throw new TypeError("curves: state.curves must be a non-empty array of { method, kind, y }");
  }
  state.curves.forEach((c, i) => {
    checkString(v, `curves[${i}].method`, c.method);
    checkString(v, `curves[${i}].kind`, c.kind);
    const y = checkArray(v, `curves[${i}].y`, c.y);
    if (y.length < 2) {
      throw new RangeError(
        `curves: state.curves[${i}].y has ${y.length} points; expected at least 2`,
      );
    }
    checkFinite(v, `curves[${i}].y`, y);
    if (c.x !== undefined) {
      checkFinite(v, `curves[${i}].x`, checkArray(v, `curves[${i}].x`, c.x, y.length));
    }
    if (c.score !== undefined) checkNumber(v, `curves[${i}].score`, c.score);
  });
  for (const [i, s] of (state.scores ?? []).entries()) {
    checkString(v, `scores[${i}].method`, s.method);
    checkString(v, `scores[${i}].name`, s.name);
    checkNumber(v, `scores[${i}].value`, s.value);
  }
  return state;
}

/** Every point of every curve, x defaulting to equal spacing over [0, 1]. */
export function curvePoints(state: CurvesState): CurvePoint[] {
  return state.curves.flatMap((c, curve) =>
    Array.from(c.y, (y, i) => ({
      method: c.method,
      kind: c.kind,
      curve,
      x: c.x ? c.x[i]! : i / (c.y.length - 1),
      y,
    }))
  );
}

/**
 * The score table: one row per method (first-seen order), one column per
 * curve kind (its score) and per extra score name.
 *
 * @param state a checked state
 * @returns `{ columns, rows: { method, values: (number | null)[] } }`
 * @example
 * ```ts
 * import { scoreTable } from "./spec.ts";
 * const t = scoreTable({ title: "", curves: [
 *   { method: "lrp", kind: "MoRF", y: Float32Array.from([1, 0]), score: 0.5 }] });
 * if (t.columns[0] !== "MoRF area" || t.rows[0]!.values[0] !== 0.5) throw new Error("example failed");
 * ```
 */
export function scoreTable(
  state: CurvesState,
): { columns: string[]; rows: { method: string; values: (number | null)[] }[] } {
  const name = state.scoreName ?? "area";
  const columns: string[] = [];
  const methods: string[] = [];
  const cell = new Map<string, number>();
  const add = (method: string, column: string, value: number) => {
    if (!methods.includes(method)) methods.push(method);
    if (!columns.includes(column)) columns.push(column);
    cell.set(JSON.stringify([method, column]), value);
  };
  for (const c of state.curves) {
    if (c.score !== undefined) add(c.method, `${c.kind} ${name}`, c.score);
  }
  for (const s of state.scores ?? []) add(s.method, s.name, s.value);
  return {
    columns,
    rows: methods.map((m) => ({
      method: m,
      values: columns.map((col) => cell.get(JSON.stringify([m, col])) ?? null),
    })),
  };
}

/** The facets (curve kinds) in first-seen order. */
export function kindsOf(state: CurvesState): string[] {
  return [...new Set(state.curves.map((c) => c.kind))];
}

/**
 * Plot options: one line per curve, coloured by method, one facet per kind.
 *
 * @param state a checked state
 * @param options `width` (default 640), `height` (default 260)
 * @returns options for `Plot.plot`
 */
export function curvesPlotOptions(
  state: CurvesState,
  options: { width?: number; height?: number } = {},
): Plot.PlotOptions {
  const points = curvePoints(state);
  return {
    width: options.width ?? 640,
    height: options.height ?? 260,
    marginLeft: 50,
    x: { label: state.xLabel ?? "fraction perturbed" },
    y: { label: state.yLabel ?? "score", grid: true },
    fx: { label: null, domain: kindsOf(state) },
    color: { legend: true, domain: [...new Set(state.curves.map((c) => c.method))] },
    marks: [
      Plot.line(points, {
        x: "x",
        y: "y",
        z: "curve",
        stroke: "method",
        fx: "kind",
        className: LINE_CLASS,
      }),
      Plot.tip(
        points,
        Plot.pointer({
          x: "x",
          y: "y",
          fx: "kind",
          title: (d: CurvePoint) =>
            `${d.method} · ${d.kind}\n${formatNumber(d.x)} → ${formatNumber(d.y)}`,
        }),
      ),
    ],
  };
}
