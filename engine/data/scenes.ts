/**
 * Synthetic concept scenes with exact per-pixel concept masks (METHODS.md §8).
 *
 * Each scene is a textured background with one main object (its shape is the
 * image's class) and sometimes a smaller distractor object. Every pixel is
 * painted exactly once per layer, with no anti-aliasing, and the label maps are
 * written in the same loop as the paint, so the masks are exact:
 *
 * - **color**: the vocabulary colour actually painted at an object pixel. In a
 *   two-colour texture (stripes, dots, checks) the pixels of the second colour
 *   are labelled with that second colour, not with the object's main colour.
 *   Background pixels are -1: their colours are never vocabulary colours (see
 *   below).
 * - **shape**, **texture**: the object's shape and texture at every pixel the
 *   object covers (both colours of a texture), -1 on the background.
 * - **background**: the background kind at every pixel no object covers, -1
 *   on objects.
 *
 * Objects are painted in flat exact colours; only the background carries
 * noise. Every vocabulary colour has a channel at 0 or 255, while background
 * channels are clamped to [8, 247]: so a pixel has a vocabulary colour's exact
 * RGB if and only if an object painted it with that colour. All values are
 * multiples of 1/255, so a scene saved as 8-bit PNG round-trips exactly.
 *
 * Scene `i` depends only on `(seed, offset + i)`, so a large set can be
 * generated in shards (`offset`) with memory bounded by the shard.
 *
 * @module
 */
import { createRng, type Rng, subSeed } from "../random.ts";
import type { Concept, SceneCategory, SceneInfo, SceneObject, SceneSet } from "./types.ts";

/** The named colours of the vocabulary, with their exact 8-bit RGB. */
export const SCENE_COLORS: Readonly<Record<string, readonly [number, number, number]>> = Object
  .freeze({
    red: [255, 0, 0],
    green: [0, 200, 0],
    blue: [0, 0, 255],
    yellow: [255, 255, 0],
    cyan: [0, 255, 255],
    magenta: [255, 0, 255],
    orange: [255, 128, 0],
    purple: [128, 0, 255],
    white: [255, 255, 255],
    black: [0, 0, 0],
  });

/** Shapes, in class order by default. All fit in the unit circle, so `radius` bounds them. */
export const SCENE_SHAPES: readonly string[] = Object.freeze([
  "circle",
  "square",
  "triangle",
  "cross",
  "ring",
  "diamond",
  "star",
]);

/** Object textures: one colour (solid) or two colours in a pattern. */
export const SCENE_TEXTURES: readonly string[] = Object.freeze([
  "solid",
  "stripes",
  "dots",
  "checks",
]);

/** Background kinds, each with its own colours and pattern. */
export const SCENE_BACKGROUNDS: readonly string[] = Object.freeze([
  "plain",
  "sky",
  "grass",
  "sand",
  "water",
  "wall",
]);

const COLOR_NAMES = Object.keys(SCENE_COLORS);

/**
 * The whole vocabulary as concepts: colours, then shapes, textures and
 * backgrounds; `SCENE_CONCEPTS[id].id === id`. Ids do not depend on the
 * subsets a call to {@linkcode scenes} uses.
 */
export const SCENE_CONCEPTS: readonly Concept<SceneCategory>[] = Object.freeze(
  [
    ...COLOR_NAMES.map((name) => ({ name, category: "color" as const })),
    ...SCENE_SHAPES.map((name) => ({ name, category: "shape" as const })),
    ...SCENE_TEXTURES.map((name) => ({ name, category: "texture" as const })),
    ...SCENE_BACKGROUNDS.map((name) => ({ name, category: "background" as const })),
  ].map((c, id) => Object.freeze({ id, ...c })),
);

const COLOR_BASE = 0;
const SHAPE_BASE = COLOR_NAMES.length;
const TEXTURE_BASE = SHAPE_BASE + SCENE_SHAPES.length;
const BACKGROUND_BASE = TEXTURE_BASE + SCENE_TEXTURES.length;

/**
 * Looks up a concept of the scene vocabulary by name.
 *
 * @param name A concept name, e.g. "red", "circle", "stripes", "sky".
 * @returns The concept.
 * @throws TypeError listing the known names when `name` is not one.
 * @example
 * ```ts
 * import { sceneConcept } from "./scenes.ts";
 * if (sceneConcept("circle").category !== "shape") throw new Error("wrong category");
 * ```
 */
export function sceneConcept(name: string): Concept<SceneCategory> {
  const c = SCENE_CONCEPTS.find((c) => c.name === name);
  if (c === undefined) {
    throw new TypeError(
      `unknown scene concept ${JSON.stringify(name)}; known: ${
        SCENE_CONCEPTS.map((c) => c.name).join(", ")
      }`,
    );
  }
  return c;
}

/** Options of {@linkcode scenes}. */
export interface SceneOptions {
  /** Number of scenes. Required, a positive integer. */
  count: number;
  /** Side in pixels, or [height, width]. Default 64; at least 8. */
  size?: number | [number, number];
  /** Seed; the same seed (and offset) gives the same scenes. Default 0. */
  seed?: number;
  /** Index of the first scene, for generating a large set in shards. Default 0. */
  offset?: number;
  /** Shapes of main objects, in class order (labels index this list). Default: all {@linkcode SCENE_SHAPES}. */
  shapes?: string[];
  /** Colours objects are painted with. Default: all {@linkcode SCENE_COLORS}. */
  colors?: string[];
  /** Object textures. Default: all {@linkcode SCENE_TEXTURES}. */
  textures?: string[];
  /** Background kinds. Default: all {@linkcode SCENE_BACKGROUNDS}. */
  backgrounds?: string[];
  /** Probability that a scene has a distractor object (one of `shapes`, smaller, not overlapping the main object). Default 0.5. */
  distractor?: number;
  /** Standard deviation of the background's pixel noise, in [0, 1] units. Default 0.03. */
  noise?: number;
  /** Main object radius range as fractions of the shorter side. Default [0.2, 0.36]. */
  radius?: [number, number];
}

// Shape, texture and background codes used in the pixel loops (indices into the vocabulary).
const CIRCLE = 0, SQUARE = 1, TRIANGLE = 2, CROSS = 3, RING = 4, DIAMOND = 5, STAR = 6;
const SOLID = 0, STRIPES = 1, DOTS = 2, CHECKS = 3;
const PLAIN = 0, SKY = 1, GRASS = 2, SAND = 3, WATER = 4, WALL = 5;

/** Maximum rotation per shape (radians): squares, crosses and diamonds stay near upright so a square is never a diamond. */
const MAX_ANGLE = [0, Math.PI / 8, Math.PI, Math.PI / 8, 0, Math.PI / 8, Math.PI];

// Shape geometry in units of the radius.
const SQUARE_HALF = 0.7;
const CROSS_HALF_WIDTH = 0.28, CROSS_HALF_LENGTH = 0.95;
const RING_INNER_SQ = 0.55 * 0.55;
const DIAMOND_HALF_WIDTH = 0.62;
const TRIANGLE_INRADIUS = 0.5, SIN30 = 0.5, COS30 = Math.sqrt(3) / 2;
const STAR_INNER = 0.42, STAR_SECTOR = (2 * Math.PI) / 5;
// Star edge from the outer vertex A = (1, 0) to the inner vertex B, in a half sector's frame.
const STAR_BX = STAR_INNER * Math.cos(Math.PI / 5), STAR_BY = STAR_INNER * Math.sin(Math.PI / 5);

/** Background channels are clamped here, so they never equal a vocabulary colour (each has a 0 or 255 channel). */
const BG_MIN = 8, BG_MAX = 247;

/** Standard normal variates, indexed by the top 12 bits of a uint32: fast, deterministic pixel noise. */
const GAUSS = (() => {
  const rng = createRng(0x6e6f697365);
  return Float32Array.from({ length: 4096 }, () => rng.normal());
})();

/** k / 255 as float32, for k in 0 … 255. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Generates synthetic concept scenes with exact per-pixel masks (METHODS.md §8).
 *
 * See the module documentation for what each label map contains. Classes are
 * the main object's shape; `labels[i]` indexes `classNames` (= `options.shapes`),
 * while label maps hold ids into `concepts` (the full vocabulary).
 *
 * @param options See {@linkcode SceneOptions}; `count` is required.
 * @returns A {@linkcode SceneSet}: images [N, H, W, 3] in [0, 1], label maps
 *   [N, H, W] per category, the main objects' mask, and what each scene holds.
 * @throws RangeError for bad counts, sizes or probabilities; TypeError for an
 *   unknown vocabulary name (listing the known ones).
 * @example
 * ```ts
 * import { scenes } from "./scenes.ts";
 * const set = scenes({ count: 4, size: 32, seed: 1 });
 * const red = set.concepts.find((c) => c.name === "red")!.id;
 * // Every pixel labelled "red" is painted pure red (255, 0, 0).
 * set.labelMaps.color.forEach((c, p) => {
 *   if (c === red && set.images[3 * p] !== 1) throw new Error("mask does not match");
 * });
 * if (set.shape.join() !== "4,32,32,3" || set.labels.length !== 4) throw new Error("bad shape");
 * ```
 */
export function scenes(options: SceneOptions): SceneSet {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer, got ${count}`);
  }
  const sizeOpt = options.size ?? 64;
  const [height, width] = typeof sizeOpt === "number" ? [sizeOpt, sizeOpt] : sizeOpt;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 8 || width < 8) {
    throw new RangeError(
      `size must be an integer ≥ 8 or [height, width] of such, got ${JSON.stringify(sizeOpt)}`,
    );
  }
  const seed = options.seed ?? 0;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  }
  const shapes = pick("shapes", options.shapes, SCENE_SHAPES);
  const colors = pick("colors", options.colors, COLOR_NAMES);
  const textures = pick("textures", options.textures, SCENE_TEXTURES);
  const backgrounds = pick("backgrounds", options.backgrounds, SCENE_BACKGROUNDS);
  if (colors.length < 2 && textures.some((t) => t !== SOLID)) {
    throw new RangeError(
      `two-colour textures need at least 2 colours, got colors ${JSON.stringify(options.colors)}`,
    );
  }
  const pDistractor = options.distractor ?? 0.5;
  if (!(pDistractor >= 0 && pDistractor <= 1)) {
    throw new RangeError(`distractor must be a probability in [0, 1], got ${pDistractor}`);
  }
  const noise = options.noise ?? 0.03;
  if (!(noise >= 0 && noise <= 1)) {
    throw new RangeError(`noise must be in [0, 1], got ${noise}`);
  }
  const [rMin, rMax] = options.radius ?? [0.2, 0.36];
  if (!(rMin > 0 && rMin <= rMax && rMax <= 0.5)) {
    throw new RangeError(
      `radius must be [min, max] with 0 < min ≤ max ≤ 0.5, got ${JSON.stringify(options.radius)}`,
    );
  }

  const px = height * width;
  const images = new Float32Array(count * px * 3);
  const labels = new Int32Array(count);
  const colorMap = new Int16Array(count * px);
  const shapeMap = new Int16Array(count * px);
  const textureMap = new Int16Array(count * px);
  const backgroundMap = new Int16Array(count * px);
  const objectMask = new Uint8Array(count * px);
  const info: SceneInfo[] = [];
  const rgb = new Uint8Array(px * 3);
  const side = Math.min(height, width);
  const config: Config = {
    height,
    width,
    colors,
    textures,
    noise: noise * 255,
    scratch: new Float32Array(px * 3),
  };

  for (let i = 0; i < count; i++) {
    const rng = createRng(subSeed(seed, offset + i));
    const o = i * px;
    const maps: PixelMaps = {
      color: colorMap.subarray(o, o + px),
      shape: shapeMap.subarray(o, o + px),
      texture: textureMap.subarray(o, o + px),
      background: backgroundMap.subarray(o, o + px),
      object: objectMask.subarray(o, o + px),
    };
    const bg = backgrounds[rng.int(backgrounds.length)] as number;
    drawBackground(rgb, maps, bg, rng, config);

    const classIndex = rng.int(shapes.length);
    const r = side * (rMin + (rMax - rMin) * rng.next());
    const main = placeObject(shapes[classIndex] as number, r, rng, config);
    drawObject(rgb, maps, main, true, config);

    let distractor: ObjectSpec | null = null;
    if (rng.next() < pDistractor) {
      const rd = Math.max(3, side * (0.08 + 0.06 * rng.next()));
      const shape = shapes[rng.int(shapes.length)] as number;
      // Rejection sampling: a few tries to find a spot clear of the main object.
      for (let attempt = 0; attempt < 20 && distractor === null; attempt++) {
        const d = placeObject(shape, rd, rng, config);
        if (Math.hypot(d.cx - main.cx, d.cy - main.cy) >= r + rd + 1) distractor = d;
      }
      if (distractor !== null) drawObject(rgb, maps, distractor, false, config);
    }

    labels[i] = classIndex;
    info.push({
      background: SCENE_BACKGROUNDS[bg] as string,
      main: describe(main),
      distractor: distractor === null ? null : describe(distractor),
    });
    const out = images.subarray(i * px * 3, (i + 1) * px * 3);
    for (let k = 0; k < out.length; k++) out[k] = BYTE_TO_UNIT[rgb[k] as number] as number;
  }

  return {
    name: offset === 0 ? `scenes/seed${seed}` : `scenes/seed${seed}+${offset}`,
    images,
    shape: [count, height, width, 3],
    labels,
    classNames: shapes.map((s) => SCENE_SHAPES[s] as string),
    concepts: SCENE_CONCEPTS.map((c) => ({ ...c })),
    labelMaps: {
      color: colorMap,
      shape: shapeMap,
      texture: textureMap,
      background: backgroundMap,
    },
    objectMask,
    scenes: info,
  };
}

/** Per-scene views of the label maps. */
interface PixelMaps {
  color: Int16Array;
  shape: Int16Array;
  texture: Int16Array;
  background: Int16Array;
  object: Uint8Array;
}

interface Config {
  height: number;
  width: number;
  /** Indices into COLOR_NAMES that objects may use. */
  colors: number[];
  /** Indices into SCENE_TEXTURES that objects may use. */
  textures: number[];
  /** Background noise standard deviation, in 0 … 255 units. */
  noise: number;
  /** Noise-free background colours of the current scene, [H, W, 3]. */
  scratch: Float32Array;
}

interface ObjectSpec {
  shape: number;
  cx: number;
  cy: number;
  r: number;
  angle: number;
  color: number;
  color2: number;
  texture: number;
  /** Texture frame: rotation, period (pixels) and phases. */
  texAngle: number;
  period: number;
  phaseA: number;
  phaseB: number;
}

/** Validates a vocabulary subset and maps it to indices. */
function pick(what: string, names: string[] | undefined, vocabulary: readonly string[]): number[] {
  if (names === undefined) return vocabulary.map((_, i) => i);
  if (!Array.isArray(names) || names.length === 0) {
    throw new RangeError(`${what} must be a non-empty list, got ${JSON.stringify(names)}`);
  }
  const seen = new Set<string>();
  return names.map((n) => {
    const i = vocabulary.indexOf(n);
    if (i < 0) {
      throw new TypeError(
        `unknown ${what.replace(/s$/, "")} ${JSON.stringify(n)}; known: ${vocabulary.join(", ")}`,
      );
    }
    if (seen.has(n)) throw new TypeError(`${what} lists ${JSON.stringify(n)} twice`);
    seen.add(n);
    return i;
  });
}

function describe(o: ObjectSpec): SceneObject {
  return {
    shape: SCENE_SHAPES[o.shape] as string,
    color: COLOR_NAMES[o.color] as string,
    color2: o.texture === SOLID ? null : COLOR_NAMES[o.color2] as string,
    texture: SCENE_TEXTURES[o.texture] as string,
    cx: o.cx,
    cy: o.cy,
    radius: o.r,
    angle: o.angle,
  };
}

/** Chooses position, rotation, colours and texture of an object of radius r fully inside the image. */
function placeObject(shape: number, r: number, rng: Rng, cfg: Config): ObjectSpec {
  const cx = r + (cfg.width - 2 * r) * rng.next();
  const cy = r + (cfg.height - 2 * r) * rng.next();
  const angle = (2 * rng.next() - 1) * (MAX_ANGLE[shape] as number);
  const ci = rng.int(cfg.colors.length);
  // The second colour is any other allowed colour (solid objects draw it but never use it).
  let c2 = cfg.colors.length > 1 ? rng.int(cfg.colors.length - 1) : 0;
  if (cfg.colors.length > 1 && c2 >= ci) c2++;
  const texture = cfg.textures[rng.int(cfg.textures.length)] as number;
  const scale = Math.min(cfg.height, cfg.width) / 64;
  const period = Math.max(3, scale * (4.5 + 3.5 * rng.next()));
  return {
    shape,
    cx,
    cy,
    r,
    angle,
    color: cfg.colors[ci] as number,
    color2: cfg.colors[c2] as number,
    texture,
    texAngle: Math.PI * rng.next(),
    period,
    phaseA: period * rng.next(),
    phaseB: period * rng.next(),
  };
}

/** Paints one object and writes its labels; exact inside test at each pixel centre. */
function drawObject(
  rgb: Uint8Array,
  maps: PixelMaps,
  o: ObjectSpec,
  isMain: boolean,
  cfg: Config,
): void {
  const { width, height } = cfg;
  const x0 = Math.max(0, Math.floor(o.cx - o.r)), x1 = Math.min(width - 1, Math.ceil(o.cx + o.r));
  const y0 = Math.max(0, Math.floor(o.cy - o.r)), y1 = Math.min(height - 1, Math.ceil(o.cy + o.r));
  const cos = Math.cos(o.angle), sin = Math.sin(o.angle), inv = 1 / o.r;
  const tc = Math.cos(o.texAngle), ts = Math.sin(o.texAngle);
  const half = o.period / 2, dotR2 = (0.3 * o.period) ** 2;
  const rgb1 = SCENE_COLORS[COLOR_NAMES[o.color] as string] as readonly number[];
  const rgb2 = SCENE_COLORS[COLOR_NAMES[o.color2] as string] as readonly number[];
  const id1 = COLOR_BASE + o.color, id2 = COLOR_BASE + o.color2;
  const shapeId = SHAPE_BASE + o.shape, textureId = TEXTURE_BASE + o.texture;
  const shape = o.shape, texture = o.texture;
  const mark = isMain ? 1 : 0;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5 - o.cy;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - o.cx;
      const u = (px * cos + py * sin) * inv;
      const v = (-px * sin + py * cos) * inv;
      let inside: boolean;
      switch (shape) {
        case CIRCLE:
          inside = u * u + v * v <= 1;
          break;
        case SQUARE:
          inside = Math.abs(u) <= SQUARE_HALF && Math.abs(v) <= SQUARE_HALF;
          break;
        case TRIANGLE:
          // Equilateral, apex up (screen y grows downwards): three half-planes.
          inside = v <= TRIANGLE_INRADIUS &&
            -COS30 * u - SIN30 * v <= TRIANGLE_INRADIUS &&
            COS30 * u - SIN30 * v <= TRIANGLE_INRADIUS;
          break;
        case CROSS: {
          const au = Math.abs(u), av = Math.abs(v);
          inside = (au <= CROSS_HALF_WIDTH && av <= CROSS_HALF_LENGTH) ||
            (av <= CROSS_HALF_WIDTH && au <= CROSS_HALF_LENGTH);
          break;
        }
        case RING: {
          const d2 = u * u + v * v;
          inside = d2 <= 1 && d2 >= RING_INNER_SQ;
          break;
        }
        case DIAMOND:
          inside = Math.abs(u) / DIAMOND_HALF_WIDTH + Math.abs(v) <= 1;
          break;
        case STAR: {
          // Star: fold the angle into half a sector, then test against the edge A→B.
          const rho = Math.sqrt(u * u + v * v);
          if (rho > 1) {
            inside = false;
            break;
          }
          let t = Math.atan2(u, -v);
          if (t < 0) t += 2 * Math.PI;
          t %= STAR_SECTOR;
          if (t > STAR_SECTOR / 2) t = STAR_SECTOR - t;
          const qx = rho * Math.cos(t), qy = rho * Math.sin(t);
          // Inside when Q is on the origin's side of the line A→B (the cross product is ≥ 0).
          inside = (STAR_BX - 1) * qy - STAR_BY * (qx - 1) >= 0;
          break;
        }
        default:
          throw new RangeError(`unknown shape code ${shape}`);
      }
      if (!inside) continue;

      let second = false;
      if (texture !== SOLID) {
        const a = px * tc + py * ts + o.phaseA;
        const b = -px * ts + py * tc + o.phaseB;
        if (texture === STRIPES) {
          second = (Math.floor(a / half) & 1) === 1;
        } else if (texture === CHECKS) {
          second = ((Math.floor(a / half) + Math.floor(b / half)) & 1) === 1;
        } else if (texture === DOTS) {
          const da = a - o.period * Math.round(a / o.period);
          const db = b - o.period * Math.round(b / o.period);
          second = da * da + db * db <= dotR2;
        }
      }
      const col = second ? rgb2 : rgb1;
      const p = y * width + x;
      rgb[3 * p] = col[0] as number;
      rgb[3 * p + 1] = col[1] as number;
      rgb[3 * p + 2] = col[2] as number;
      maps.color[p] = second ? id2 : id1;
      maps.shape[p] = shapeId;
      maps.texture[p] = textureId;
      maps.background[p] = -1;
      maps.object[p] = mark;
    }
  }
}

/** Base colours of each background kind (jittered per scene). */
const BG_BASE: readonly (readonly [number, number, number])[] = [
  [130, 130, 130], // plain: replaced by a random muted colour
  [70, 120, 205], // sky: top of the gradient
  [70, 135, 55], // grass
  [205, 185, 135], // sand
  [40, 105, 150], // water
  [160, 75, 55], // wall: bricks
];

/**
 * Paints the background, sets its label everywhere and clears the object labels.
 *
 * Each kind first writes its noise-free colours into `cfg.scratch` in its own
 * tight loop (per-row and per-column tables instead of per-pixel trigonometry:
 * this is the hot loop of the generator), then one loop adds noise and clamps.
 */
function drawBackground(rgb: Uint8Array, maps: PixelMaps, kind: number, rng: Rng, cfg: Config) {
  const { width, height, noise } = cfg;
  const bg = cfg.scratch;
  maps.color.fill(-1);
  maps.shape.fill(-1);
  maps.texture.fill(-1);
  maps.background.fill(BACKGROUND_BASE + kind);
  maps.object.fill(0);
  const base = BG_BASE[kind] as readonly number[];
  let r0 = (base[0] as number) + 40 * rng.next() - 20;
  let g0 = (base[1] as number) + 40 * rng.next() - 20;
  let b0 = (base[2] as number) + 40 * rng.next() - 20;
  const scale = Math.min(height, width) / 64;
  const phase = 2 * Math.PI * rng.next();
  const period = scale * (6 + 4 * rng.next());

  switch (kind) {
    case PLAIN: {
      r0 = 60 + 140 * rng.next();
      g0 = 60 + 140 * rng.next();
      b0 = 60 + 140 * rng.next();
      for (let p = 0; p < 3 * width * height; p += 3) {
        bg[p] = r0;
        bg[p + 1] = g0;
        bg[p + 2] = b0;
      }
      break;
    }
    case SKY: {
      // Deep blue at the top fading to pale near the horizon.
      for (let y = 0; y < height; y++) {
        const t = y / (height - 1);
        const r = r0 + 105 * t, g = g0 + 85 * t, b = b0 + 30 * t;
        for (let p = 3 * y * width; p < 3 * (y + 1) * width; p += 3) {
          bg[p] = r;
          bg[p + 1] = g;
          bg[p + 2] = b;
        }
      }
      break;
    }
    case GRASS: {
      // Vertical blades: a random shade per column plus a wavy ripple,
      // sin(a·y + phase + x) expanded so the loop only multiplies.
      const a = (2 * Math.PI) / (0.7 * period);
      const col = new Float32Array(width), sx = new Float32Array(width);
      const cx = new Float32Array(width);
      for (let x = 0; x < width; x++) {
        col[x] = 40 * rng.next() - 20;
        sx[x] = Math.sin(x);
        cx[x] = Math.cos(x);
      }
      for (let y = 0; y < height; y++) {
        const sy = 12 * Math.sin(a * y + phase), cy = 12 * Math.cos(a * y + phase);
        for (let x = 0, p = 3 * y * width; x < width; x++, p += 3) {
          const s = (col[x] as number) + sy * (cx[x] as number) + cy * (sx[x] as number);
          bg[p] = r0 + 0.5 * s;
          bg[p + 1] = g0 + s;
          bg[p + 2] = b0 + 0.4 * s;
        }
      }
      break;
    }
    case SAND: {
      // Sparse darker grains (1 pixel in 16) on top of the fine noise.
      for (let p = 0; p < 3 * width * height; p += 3) {
        const grain = (rng.uint32() & 15) === 0 ? 1 : 0;
        bg[p] = r0 - 35 * grain;
        bg[p + 1] = g0 - 35 * grain;
        bg[p + 2] = b0 - 30 * grain;
      }
      break;
    }
    case WATER: {
      // Horizontal waves sin(a·y + θ(x)), θ(x) = 1.5·sin(b·x + phase), expanded.
      const a = (2 * Math.PI) / period, b = (2 * Math.PI) / (3 * period);
      const st = new Float32Array(width), ct = new Float32Array(width);
      for (let x = 0; x < width; x++) {
        const theta = 1.5 * Math.sin(b * x + phase);
        st[x] = Math.sin(theta);
        ct[x] = Math.cos(theta);
      }
      for (let y = 0; y < height; y++) {
        const sy = 22 * Math.sin(a * y), cy = 22 * Math.cos(a * y);
        for (let x = 0, p = 3 * y * width; x < width; x++, p += 3) {
          const s = sy * (ct[x] as number) + cy * (st[x] as number);
          bg[p] = r0 + 0.5 * s;
          bg[p + 1] = g0 + 0.8 * s;
          bg[p + 2] = b0 + s;
        }
      }
      break;
    }
    case WALL: {
      // Running-bond bricks with 1-pixel mortar lines, each brick its own shade.
      const brickH = Math.max(3, Math.round(scale * (6 + 3 * rng.next())));
      const brickW = 2 * brickH;
      const shift = Math.floor(brickW * rng.next());
      const shade = new Float32Array(64);
      for (let k = 0; k < 64; k++) shade[k] = 30 * rng.next() - 15;
      const perRow = Math.ceil(width / brickW) + 1;
      for (let y = 0; y < height; y++) {
        const row = Math.floor(y / brickH);
        const rowShift = shift + (row & 1 ? brickH : 0);
        const mortarRow = y % brickH === 0;
        for (let x = 0, p = 3 * y * width; x < width; x++, p += 3) {
          const xs = x + rowShift;
          if (mortarRow || xs % brickW === 0) {
            bg[p] = 195;
            bg[p + 1] = 190;
            bg[p + 2] = 180;
          } else {
            const s = shade[(row * perRow + Math.floor(xs / brickW)) & 63] as number;
            bg[p] = r0 + s;
            bg[p + 1] = g0 + 0.6 * s;
            bg[p + 2] = b0 + 0.5 * s;
          }
        }
      }
      break;
    }
    default:
      throw new RangeError(`unknown background code ${kind}`);
  }

  // One luminance noise value per pixel; + 0.5 then truncation by the Uint8Array
  // store rounds (Math.round is several times slower here).
  for (let p = 0; p < 3 * width * height; p += 3) {
    const n = noise * (GAUSS[rng.uint32() >>> 20] as number) + 0.5;
    let v = (bg[p] as number) + n;
    rgb[p] = v < BG_MIN ? BG_MIN : v > BG_MAX ? BG_MAX : v;
    v = (bg[p + 1] as number) + n;
    rgb[p + 1] = v < BG_MIN ? BG_MIN : v > BG_MAX ? BG_MAX : v;
    v = (bg[p + 2] as number) + n;
    rgb[p + 2] = v < BG_MIN ? BG_MIN : v > BG_MAX ? BG_MAX : v;
  }
}
