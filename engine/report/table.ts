/**
 * Plain-text tables for terminal reports: right-aligned numbers, left-aligned
 * text, one header row.
 *
 * @example
 * ```ts
 * import { formatTable } from "./table.ts";
 * const text = formatTable(["layer", "units"], [["conv1", 16], ["conv2", 32]]);
 * if (!(text.split("\n").length === 4)) throw new Error("example failed");
 * ```
 *
 * @module
 */

/** A cell: text is left-aligned; numbers (also as strings) right-aligned. */
export type Cell = string | number;

/**
 * Formats rows under a header, columns padded to their widest cell.
 *
 * @param header column titles
 * @param rows the cells, one array per row
 * @returns the table, with a rule under the header
 */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const isNumber = (c: Cell | undefined) =>
    typeof c === "number" || (typeof c === "string" && /^[-+]?[\d.,]+(e[-+]?\d+)?\s?%?$/.test(c));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => isNumber(r[i])));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...text.map(line)].join("\n");
}

/** A number with a fixed number of decimals (for table cells). */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}
