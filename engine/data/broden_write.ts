/**
 * Writes a {@linkcode ConceptSet} in the Broden layout (Bau et al. 2017, the
 * data set of NetDissect), so that the Broden reader can be tested on data made
 * by this project (tests/fixtures/broden_tiny) and users can export probe sets.
 *
 * Files written under `dir`:
 * - `index.csv`: `image,split,ih,iw,sh,sw,color,object,material,part,scene,texture`;
 *   pixel-level cells list mask files (relative to `images/`), image-level cells
 *   list label numbers, both `;`-separated; empty when absent;
 * - `label.csv` (`number,name,category,frequency,coverage,syns`; number = concept
 *   id + 1, 0 means "no label"), `category.csv` (`name,first,last,count,frequency`),
 *   `c_<category>.csv` (`code,number,name,frequency,coverage`);
 * - `images/<set>/<i>.png` (8-bit RGB; PNG, not JPEG, so pixels round-trip
 *   exactly) and `images/<set>/<i>_<column>.png` masks whose label number is
 *   R + 256·G.
 *
 * @module
 */
import { PNG } from "../deps.ts";
import type { ConceptSet } from "./types.ts";

/** The Broden index columns after the six fixed ones. */
export const BRODEN_COLUMNS = ["color", "object", "material", "part", "scene", "texture"] as const;

/** One of {@link BRODEN_COLUMNS}. */
export type BrodenColumn = typeof BRODEN_COLUMNS[number];

/** Options of {@link writeBroden}. */
export interface WriteBrodenOptions {
  /**
   * Which Broden column each of the set's categories goes to. Default: a
   * category goes to the column of the same name (others are left out). For
   * the synthetic scenes use `{ color: "color", shape: "object", texture:
   * "texture", background: "scene" }`.
   */
  columns?: Readonly<Record<string, BrodenColumn>>;
  /** Columns written as image-level label numbers (every concept present in the image). Default `["scene", "texture"]`, as in Broden. */
  imageLevel?: readonly BrodenColumn[];
  /** The `split` cell of every row. Default "train". */
  split?: string;
}

/**
 * Writes a concept set in the Broden layout (module doc).
 *
 * @param dir output folder (created; existing files are overwritten)
 * @param set the images and label maps
 * @param options see {@link WriteBrodenOptions}
 * @returns the number of images written
 * @example
 * ```ts
 * import { scenes } from "./scenes.ts";
 * import { writeBroden } from "./broden_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeBroden(dir, scenes({ count: 2, size: 8 }), { columns: { color: "color" } });
 * const index = await Deno.readTextFile(`${dir}/index.csv`);
 * await Deno.remove(dir, { recursive: true });
 * if (index.split("\n")[0] !== "image,split,ih,iw,sh,sw,color,object,material,part,scene,texture") throw new Error("bad header");
 * ```
 */
export async function writeBroden(
  dir: string,
  set: ConceptSet,
  options: WriteBrodenOptions = {},
): Promise<number> {
  const [n, h, w] = set.shape;
  const columns: Record<string, BrodenColumn> = options.columns
    ? { ...options.columns }
    : Object.fromEntries(
      Object.keys(set.labelMaps).filter((k) => (BRODEN_COLUMNS as readonly string[]).includes(k))
        .map((k) => [k, k as BrodenColumn]),
    );
  const imageLevel = new Set(options.imageLevel ?? ["scene", "texture"]);
  const split = options.split ?? "train";
  const folder = set.name.replace(/[^A-Za-z0-9_-]+/g, "_");
  await Deno.mkdir(`${dir}/images/${folder}`, { recursive: true });

  const px = h * w;
  const used = Object.entries(columns).filter(([cat]) => cat in set.labelMaps);
  // Per concept: images containing it and pixels (for label.csv's frequency/coverage).
  const frequency = new Float64Array(set.concepts.length);
  const rows: string[] = ["image,split,ih,iw,sh,sw," + BRODEN_COLUMNS.join(",")];
  for (let i = 0; i < n; i++) {
    const file = `${folder}/${i}.png`;
    await Deno.writeFile(`${dir}/images/${file}`, encodePng(set, i));
    const cells: Record<string, string> = {};
    for (const [cat, col] of used) {
      const map = (set.labelMaps as Record<string, Int16Array>)[cat]!.subarray(
        i * px,
        (i + 1) * px,
      );
      const ids = [...new Set(map.filter((v) => v >= 0))].sort((a, b) => a - b);
      ids.forEach((id) => frequency[id]!++);
      if (ids.length === 0) continue;
      if (imageLevel.has(col)) {
        cells[col] = ids.map((id) => id + 1).join(";");
      } else {
        const mask = `${folder}/${i}_${col}.png`;
        await Deno.writeFile(`${dir}/images/${mask}`, encodeMask(map, h, w));
        cells[col] = mask;
      }
    }
    rows.push([file, split, h, w, h, w, ...BRODEN_COLUMNS.map((c) => cells[c] ?? "")].join(","));
  }
  await Deno.writeTextFile(`${dir}/index.csv`, rows.join("\n") + "\n");

  // Concepts written: those of the categories mapped; their category is the column.
  const columnOf = (cat: string) => columns[cat];
  const labels = ["number,name,category,frequency,coverage,syns"];
  const perColumn = new Map<
    BrodenColumn,
    { code: number; number: number; name: string; frequency: number }[]
  >();
  for (const c of set.concepts) {
    const col = columnOf(c.category);
    if (col === undefined) continue;
    const list = perColumn.get(col) ?? [];
    perColumn.set(col, list);
    list.push({
      code: list.length + 1,
      number: c.id + 1,
      name: c.name,
      frequency: frequency[c.id]!,
    });
    labels.push(`${c.id + 1},${c.name},${col}(${frequency[c.id]}),${frequency[c.id]},0,`);
  }
  await Deno.writeTextFile(`${dir}/label.csv`, labels.join("\n") + "\n");
  const cats = ["name,first,last,count,frequency"];
  for (const col of BRODEN_COLUMNS) {
    const list = perColumn.get(col);
    if (!list) continue;
    const numbers = list.map((l) => l.number);
    cats.push(`${col},${Math.min(...numbers)},${Math.max(...numbers)},${list.length},${n}`);
    await Deno.writeTextFile(
      `${dir}/c_${col}.csv`,
      [
        "code,number,name,frequency,coverage",
        ...list.map((l) => `${l.code},${l.number},${l.name},${l.frequency},0`),
      ]
        .join("\n") + "\n",
    );
  }
  await Deno.writeTextFile(`${dir}/category.csv`, cats.join("\n") + "\n");
  return n;
}

function encodePng(set: ConceptSet, i: number): Uint8Array {
  const [, h, w, c] = set.shape;
  const png = new PNG({ width: w, height: h });
  const src = set.images.subarray(i * h * w * c, (i + 1) * h * w * c);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) {
      png.data[4 * p + ch] = Math.round(
        255 * Math.min(1, Math.max(0, src[p * c + (c === 3 ? ch : 0)]!)),
      );
    }
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}

/** Label number (id + 1, 0 = none) as R + 256·G. */
function encodeMask(map: Int16Array, h: number, w: number): Uint8Array {
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < h * w; p++) {
    const code = map[p]! + 1;
    png.data[4 * p] = code & 255;
    png.data[4 * p + 1] = code >> 8;
    png.data[4 * p + 2] = 0;
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
