/**
 * A reader for the Broden layout (Bau et al. 2017, the probe data of
 * NetDissect), returning a {@linkcode ConceptSet} for network dissection.
 *
 * Layout under `dir`: `index.csv` with header
 * `image,split,ih,iw,sh,sw,color,object,material,part,scene,texture`, one row
 * per image; each category cell is empty or `;`-separated values: either mask
 * file names (relative to `images/`, PNG, label number = R + 256·G, 0 = none)
 * or, when every value is a number, image-level label numbers (Broden's scene
 * and texture), which become full-image masks. `label.csv`
 * (`number,name,category,…`; categories like `object(120);part(3)`),
 * `category.csv` (`name,…`) and `c_<category>.csv` (`code,number,…`) must exist;
 * every label number used must be in `label.csv`.
 *
 * What the ConceptSet holds:
 * - concepts: the rows of label.csv other than number 0, in file order
 *   (`id` = position); a concept's category is the one label.csv gives it with
 *   the largest count (the first on ties);
 * - images: decoded to RGB in [0, 1]; all images must have one size unless
 *   `size` is given, then each is resized to it (bilinear, half-pixel centres);
 * - label maps: one per category column; an image with several masks or
 *   image-level labels of one category gets extra layers `cat#1`, `cat#2`, …
 *   (possibly overlapping; dissection counts a pixel for every concept any
 *   layer marks). Masks (sh × sw) are resized to the image size by nearest
 *   neighbour (pixel centres). An image with no value in a category has −1
 *   everywhere there (the category is not annotated in it).
 * - labels: 0 for every image (`classNames` = ["broden"]); the split is in `splits`.
 *
 * @module
 */
import { decodeImage } from "./image_folder.ts";
import type { Concept, ConceptSet } from "./types.ts";

/** Options of {@linkcode broden}. */
export interface BrodenOptions {
  /** Only rows whose `split` equals this. Default: every row. */
  split?: string;
  /** At most this many images (the first rows). Default: all. */
  limit?: number;
  /** Resize every image to [height, width]. Default: the images' own (common) size. */
  size?: [number, number];
  /** Category columns to read. Default: every category column of index.csv. */
  categories?: readonly string[];
}

/** A Broden probe set: a ConceptSet plus each image's split. */
export interface BrodenSet extends ConceptSet {
  /** The `split` cell of each image. */
  splits: string[];
}

/** Decoded RGBA image, as `decodeImage` returns it. */
type Rgba = Awaited<ReturnType<typeof decodeImage>>;

const FIXED = ["image", "split", "ih", "iw", "sh", "sw"];

/**
 * Reads a Broden-layout folder (module doc).
 *
 * @param dir the folder holding index.csv, label.csv, category.csv, c_*.csv and images/
 * @param options see {@link BrodenOptions}
 * @returns a {@link BrodenSet}
 * @throws Error naming the file (and the index.csv line) for a missing file, a
 *   malformed row (wrong column count, a bad number), a label number not in
 *   label.csv, or a mask or image whose size does not match index.csv
 * @example
 * ```ts
 * import { scenes } from "./scenes.ts";
 * import { writeBroden } from "./broden_write.ts";
 * import { broden } from "./broden.ts";
 * const dir = await Deno.makeTempDir();
 * await writeBroden(dir, scenes({ count: 2, size: 8 }), { columns: { color: "color" } });
 * const set = await broden(dir);
 * await Deno.remove(dir, { recursive: true });
 * if (set.shape.join() !== "2,8,8,3" || !("color" in set.labelMaps)) throw new Error("bad read");
 * ```
 */
export async function broden(dir: string, options: BrodenOptions = {}): Promise<BrodenSet> {
  const indexFile = `${dir}/index.csv`;
  const labelFile = `${dir}/label.csv`;
  const categoryFile = `${dir}/category.csv`;
  const index = await readCsv(indexFile);
  const labelRows = await readCsv(labelFile);
  const categoryRows = await readCsv(categoryFile);

  // label.csv → concepts.
  const labelHeader = labelRows[0]!.cells;
  const col = (file: string, header: string[], name: string) => {
    const i = header.indexOf(name);
    if (i < 0) {
      throw new Error(`${file}:1: header has no column "${name}" (got ${header.join(",")})`);
    }
    return i;
  };
  const numberCol = col(labelFile, labelHeader, "number");
  const nameCol = col(labelFile, labelHeader, "name");
  const catCol = col(labelFile, labelHeader, "category");
  const concepts: Concept[] = [];
  const idOfNumber = new Map<number, number>();
  for (const row of labelRows.slice(1)) {
    checkWidth(labelFile, row, labelHeader.length);
    const number = parseCount(labelFile, row, "number", row.cells[numberCol]!);
    if (number === 0) continue;
    if (idOfNumber.has(number)) {
      throw new Error(`${labelFile}:${row.line}: label number ${number} appears twice`);
    }
    idOfNumber.set(number, concepts.length);
    concepts.push({
      id: concepts.length,
      name: row.cells[nameCol]!,
      category: primaryCategory(labelFile, row, row.cells[catCol]!),
    });
  }

  // category.csv and the c_*.csv files.
  const categoryHeader = categoryRows[0]!.cells;
  const catNameCol = col(categoryFile, categoryHeader, "name");
  const categoryNames = categoryRows.slice(1).map((r) => {
    checkWidth(categoryFile, r, categoryHeader.length);
    return r.cells[catNameCol]!;
  });
  for (const cat of categoryNames) {
    const file = `${dir}/c_${cat}.csv`;
    const rows = await readCsv(file);
    const numberAt = col(file, rows[0]!.cells, "number");
    for (const r of rows.slice(1)) {
      checkWidth(file, r, rows[0]!.cells.length);
      const number = parseCount(file, r, "number", r.cells[numberAt]!);
      if (!idOfNumber.has(number)) {
        throw new Error(`${file}:${r.line}: label number ${number} is not in label.csv`);
      }
    }
  }

  // index.csv.
  const header = index[0]!.cells;
  FIXED.forEach((name, i) => {
    if (header[i] !== name) {
      throw new Error(
        `${indexFile}:1: column ${i + 1} must be "${name}", got "${header[i] ?? ""}" (header: ${
          header.join(",")
        })`,
      );
    }
  });
  const allColumns = header.slice(FIXED.length);
  const wanted = options.categories ? [...options.categories] : allColumns;
  for (const c of wanted) {
    if (!allColumns.includes(c)) {
      throw new RangeError(
        `${indexFile}: no category column "${c}"; it has ${allColumns.join(", ")}`,
      );
    }
  }
  let rows = index.slice(1);
  rows.forEach((r) => checkWidth(indexFile, r, header.length));
  if (options.split !== undefined) rows = rows.filter((r) => r.cells[1] === options.split);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
    }
    rows = rows.slice(0, options.limit);
  }
  if (rows.length === 0) {
    throw new RangeError(
      `${indexFile}: no image rows${options.split ? ` in split "${options.split}"` : ""}`,
    );
  }

  const parsed = rows.map((r) => ({
    row: r,
    file: r.cells[0]!,
    split: r.cells[1]!,
    ih: parseCount(indexFile, r, "ih", r.cells[2]!, true),
    iw: parseCount(indexFile, r, "iw", r.cells[3]!, true),
    sh: parseCount(indexFile, r, "sh", r.cells[4]!, true),
    sw: parseCount(indexFile, r, "sw", r.cells[5]!, true),
  }));
  const [height, width] = options.size ??
    [parsed[0]!.ih, parsed[0]!.iw];
  if (!options.size) {
    for (const p of parsed) {
      if (p.ih !== height || p.iw !== width) {
        throw new RangeError(
          `${indexFile}:${p.row.line}: image is ${p.ih}×${p.iw}, the first is ${height}×${width}; pass size to resize`,
        );
      }
    }
  }

  const n = parsed.length, px = height * width;
  const images = new Float32Array(n * px * 3);
  const layers = new Map<string, Int16Array>();
  const layer = (cat: string, k: number) => {
    const key = k === 0 ? cat : `${cat}#${k}`;
    let m = layers.get(key);
    if (!m) {
      m = new Int16Array(n * px).fill(-1);
      layers.set(key, m);
    }
    return m;
  };
  for (const cat of wanted) layer(cat, 0);

  for (let i = 0; i < n; i++) {
    const p = parsed[i]!;
    const where = `${indexFile}:${p.row.line}`;
    const img = await decodeAt(`${dir}/images/${p.file}`, where);
    if (img.height !== p.ih || img.width !== p.iw) {
      throw new RangeError(
        `${dir}/images/${p.file} (${where}): image is ${img.height}×${img.width}, index.csv says ih×iw = ${p.ih}×${p.iw}`,
      );
    }
    resizeRgb(img, height, width, images.subarray(i * px * 3, (i + 1) * px * 3));
    for (const cat of wanted) {
      const cell = p.row.cells[header.indexOf(cat)]!;
      if (cell === "") continue;
      const values = cell.split(";").filter((v) => v !== "");
      const imageLevel = values.every((v) => /^\s*\d+\s*$/.test(v));
      for (let k = 0; k < values.length; k++) {
        const out = layer(cat, k).subarray(i * px, (i + 1) * px);
        if (imageLevel) {
          const number = Number(values[k]);
          const id = idOfNumber.get(number);
          if (id === undefined) {
            throw new RangeError(`${where}: column ${cat}: label ${number} is not in label.csv`);
          }
          out.fill(id);
          continue;
        }
        const maskFile = `${dir}/images/${values[k]!.trim()}`;
        const mask = await decodeAt(maskFile, where);
        if (mask.height !== p.sh || mask.width !== p.sw) {
          throw new RangeError(
            `${maskFile} (${where}): mask is ${mask.height}×${mask.width}, index.csv says sh×sw = ${p.sh}×${p.sw}`,
          );
        }
        decodeMask(mask, maskFile, where, idOfNumber, height, width, out);
      }
    }
  }
  const labelMaps: Record<string, Int16Array> = {};
  for (
    const [k, v] of [...layers.entries()].sort(([a], [b]) =>
      keyOrder(wanted, a) - keyOrder(wanted, b)
    )
  ) {
    labelMaps[k] = v;
  }
  return {
    name: `broden/${dir.split("/").filter(Boolean).at(-1) ?? dir}`,
    images,
    shape: [n, height, width, 3],
    labels: new Int32Array(n),
    classNames: ["broden"],
    concepts,
    labelMaps,
    splits: parsed.map((p) => p.split),
  };
}

interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  cells: string[];
}

/** Reads a CSV file (commas, optional double quotes; blank lines skipped). */
async function readCsv(file: string): Promise<CsvRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`${file}: missing or unreadable Broden file (${(e as Error).message})`, {
      cause: e,
    });
  }
  const rows: CsvRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    rows.push({ line: i + 1, cells: splitCsvLine(raw) });
  });
  if (rows.length === 0) throw new Error(`${file}:1: empty file, expected a header line`);
  return rows;
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cur);
      cur = "";
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

function checkWidth(file: string, row: CsvRow, width: number): void {
  if (row.cells.length !== width) {
    throw new RangeError(
      `${file}:${row.line}: expected ${width} columns (as in the header), got ${row.cells.length}`,
    );
  }
}

function parseCount(
  file: string,
  row: CsvRow,
  column: string,
  text: string,
  positive = false,
): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < (positive ? 1 : 0)) {
    throw new RangeError(
      `${file}:${row.line}: column ${column}: ${JSON.stringify(text)} is not a ${
        positive ? "positive" : "non-negative"
      } integer`,
    );
  }
  return v;
}

/** "object(120);part(3)" → "object"; a bare "color" → "color". */
function primaryCategory(file: string, row: CsvRow, field: string): string {
  let best = "", bestCount = -1;
  for (const part of field.split(";")) {
    const m = /^\s*([^()]+?)\s*(?:\((\d+)\))?\s*$/.exec(part);
    if (!m) {
      throw new RangeError(`${file}:${row.line}: bad category field ${JSON.stringify(field)}`);
    }
    const count = m[2] === undefined ? 0 : Number(m[2]);
    if (count > bestCount) {
      best = m[1]!;
      bestCount = count;
    }
  }
  if (best === "") throw new RangeError(`${file}:${row.line}: empty category field`);
  return best;
}

async function decodeAt(file: string, where: string): Promise<Rgba> {
  try {
    return await decodeImage(file);
  } catch (e) {
    throw new Error(`${(e as Error).message} (listed at ${where})`, { cause: e });
  }
}

/** Mask codes R + 256·G → concept ids, nearest-neighbour resized to height × width. */
function decodeMask(
  mask: Rgba,
  file: string,
  where: string,
  idOfNumber: Map<number, number>,
  height: number,
  width: number,
  out: Int16Array,
): void {
  const { width: mw, height: mh, data } = mask;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mh - 1, Math.floor(((y + 0.5) * mh) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mw - 1, Math.floor(((x + 0.5) * mw) / width));
      const o = 4 * (sy * mw + sx);
      const code = data[o]! + 256 * data[o + 1]!;
      if (code === 0) continue;
      const id = idOfNumber.get(code);
      if (id === undefined) {
        throw new RangeError(
          `${file} (${where}): code ${code} at pixel (${sx}, ${sy}) is not a label number of label.csv`,
        );
      }
      out[y * width + x] = id;
    }
  }
}

/** RGBA bytes → RGB in [0, 1], bilinear with half-pixel centres when the size changes. */
function resizeRgb(src: Rgba, outH: number, outW: number, out: Float32Array): void {
  const { width: inW, height: inH, data } = src;
  const sy = inH / outH, sx = inW / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), inH - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, inH - 1), dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), inW - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, inW - 1), dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = data[4 * (y0 * inW + x0) + c]!, b = data[4 * (y0 * inW + x1) + c]!;
        const d = data[4 * (y1 * inW + x0) + c]!, e = data[4 * (y1 * inW + x1) + c]!;
        const top = a * (1 - dx) + b * dx, bottom = d * (1 - dx) + e * dx;
        out[3 * (y * outW + x) + c] = (top * (1 - dy) + bottom * dy) / 255;
      }
    }
  }
}

function keyOrder(categories: string[], key: string): number {
  const [cat, k] = key.split("#");
  return categories.indexOf(cat!) * 1000 + Number(k ?? 0);
}
