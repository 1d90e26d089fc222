import assert from "node:assert/strict";
import {
  SCENE_BACKGROUNDS,
  SCENE_COLORS,
  SCENE_CONCEPTS,
  SCENE_SHAPES,
  SCENE_TEXTURES,
  sceneConcept,
  scenes,
} from "../../engine/data/scenes.ts";
import type { SceneSet } from "../../engine/data/types.ts";

const id = (name: string) => sceneConcept(name).id;

/** Concept id of the vocabulary colour with exactly this float RGB, or -1. */
function colorIdOf(r: number, g: number, b: number): number {
  for (const [name, rgb] of Object.entries(SCENE_COLORS)) {
    if (
      r === Math.fround(rgb[0] / 255) && g === Math.fround(rgb[1] / 255) &&
      b === Math.fround(rgb[2] / 255)
    ) return id(name);
  }
  return -1;
}

/** Checks every mask invariant of every pixel of every scene. */
function checkMasks(set: SceneSet): void {
  const [n, h, w] = set.shape;
  const { color, shape, texture, background } = set.labelMaps;
  for (let i = 0; i < n; i++) {
    const info = set.scenes[i]!;
    assert.equal(set.classNames[set.labels[i]!], info.main.shape);
    const bgId = id(info.background);
    const main = info.main;
    const mainColors = new Set([id(main.color), main.color2 === null ? -2 : id(main.color2)]);
    const parts = info.distractor === null ? [main] : [main, info.distractor];
    const partColors = new Set(parts.flatMap((o) => [o.color, o.color2].filter((c) => c !== null)));
    for (let p = i * h * w; p < (i + 1) * h * w; p++) {
      const [r, g, b] = [set.images[3 * p]!, set.images[3 * p + 1]!, set.images[3 * p + 2]!];
      const c = color[p]!;
      const painted = colorIdOf(r, g, b);
      // A pixel has a vocabulary colour's exact RGB if and only if it is labelled with it.
      assert.equal(c, painted, `scene ${i} pixel ${p - i * h * w}: label ${c}, RGB ${[r, g, b]}`);
      const onObject = c >= 0;
      assert.equal(shape[p]! >= 0, onObject);
      assert.equal(texture[p]! >= 0, onObject);
      assert.equal(background[p], onObject ? -1 : bgId);
      if (onObject) assert.ok(partColors.has(SCENE_CONCEPTS[c]!.name));
      if (set.objectMask[p] === 1) {
        assert.equal(shape[p], id(main.shape));
        assert.equal(texture[p], id(main.texture));
        assert.ok(mainColors.has(c));
        if (main.texture === "solid") assert.equal(c, id(main.color));
      } else if (onObject) {
        assert.ok(info.distractor !== null, `scene ${i}: object pixel outside the main object`);
        assert.equal(shape[p], id(info.distractor.shape));
      }
    }
  }
}

Deno.test("scenes: vocabulary concepts are unique, indexed, categorised", () => {
  const names = SCENE_CONCEPTS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  SCENE_CONCEPTS.forEach((c, i) => assert.equal(c.id, i));
  const count = (cat: string) => SCENE_CONCEPTS.filter((c) => c.category === cat).length;
  assert.ok(count("color") >= 8);
  assert.ok(count("shape") >= 4);
  assert.ok(count("texture") >= 3);
  assert.ok(count("background") >= 3);
  assert.equal(count("shape"), SCENE_SHAPES.length);
  assert.throws(() => sceneConcept("plaid"), /unknown scene concept "plaid"; known: red/);
  // Every vocabulary colour has a channel at 0 or 255 (backgrounds never do).
  for (const rgb of Object.values(SCENE_COLORS)) assert.ok(rgb.some((v) => v === 0 || v === 255));
});

Deno.test("scenes: the same seed gives the same scenes, another seed others", () => {
  const a = scenes({ count: 20, seed: 7 });
  const b = scenes({ count: 20, seed: 7 });
  const c = scenes({ count: 20, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.images, c.images);
  assert.notDeepEqual(a.labelMaps.color, c.labelMaps.color);
  // Scene i depends only on (seed, offset + i): shards equal the whole.
  const shard = scenes({ count: 8, seed: 7, offset: 12 });
  const px = 64 * 64;
  assert.deepEqual(shard.images, a.images.slice(12 * px * 3));
  assert.deepEqual(shard.labelMaps.shape, a.labelMaps.shape.slice(12 * px));
  assert.deepEqual(shard.objectMask, a.objectMask.slice(12 * px));
  assert.deepEqual(shard.scenes, a.scenes.slice(12));
});

Deno.test("scenes: masks match the painted pixels exactly", () => {
  const set = scenes({ count: 400, seed: 1 });
  assert.deepEqual(set.shape, [400, 64, 64, 3]);
  checkMasks(set);
  // Other sizes, non-square, and subsets of the vocabulary.
  checkMasks(scenes({ count: 100, size: 32, seed: 2 }));
  checkMasks(scenes({ count: 100, size: [48, 80], seed: 3, distractor: 1 }));
  checkMasks(scenes({ count: 50, size: 128, seed: 4, noise: 0.2 }));

  // The check is not vacuous: one wrong label, or one repainted pixel, fails it.
  const few = scenes({ count: 3, seed: 1 });
  const p = few.labelMaps.color.findIndex((c) => c >= 0);
  const wrongLabel = structuredClone(few);
  wrongLabel.labelMaps.color[p] = (few.labelMaps.color[p]! + 1) % 10;
  assert.throws(() => checkMasks(wrongLabel), /label/);
  const repainted = structuredClone(few);
  repainted.images[3 * p] = 0.5;
  assert.throws(() => checkMasks(repainted), /RGB/);
  // Every value is a multiple of 1/255, so an 8-bit PNG of a scene is exact.
  for (const v of few.images) assert.equal(v, Math.fround(Math.round(v * 255) / 255));
});

Deno.test("scenes: objectMask is exactly the main object's shape label without distractors", () => {
  const set = scenes({ count: 300, seed: 5, distractor: 0 });
  const main = set.labelMaps.shape;
  for (let p = 0; p < set.objectMask.length; p++) {
    assert.equal(set.objectMask[p], main[p]! >= 0 ? 1 : 0);
  }
  assert.ok(set.scenes.every((s) => s.distractor === null));
});

Deno.test("scenes: each shape covers about its analytic area, inside its circle", () => {
  // Areas in units of r² (the shapes' definitions in scenes.ts, checked independently).
  const sin36 = Math.sin(Math.PI / 5);
  const area: Record<string, number> = {
    circle: Math.PI,
    square: 1.4 * 1.4,
    triangle: (3 * Math.sqrt(3)) / 4,
    cross: 2 * (0.56 * 1.9) - 0.56 * 0.56,
    ring: Math.PI * (1 - 0.55 * 0.55),
    diamond: 2 * 0.62,
    star: 10 * 0.5 * 0.42 * sin36,
  };
  const set = scenes({ count: 300, size: 128, seed: 6, distractor: 0 });
  const [n, h, w] = set.shape;
  for (let i = 0; i < n; i++) {
    const { shape, cx, cy, radius } = set.scenes[i]!.main;
    let count = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (set.objectMask[i * h * w + y * w + x] !== 1) continue;
        count++;
        assert.ok(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= radius + 1e-9);
      }
    }
    const expected = area[shape]! * radius * radius;
    assert.ok(
      Math.abs(count - expected) < 0.06 * expected,
      `${shape} r=${radius.toFixed(1)}: ${count} pixels, expected ≈ ${expected.toFixed(0)}`,
    );
  }
});

Deno.test("scenes: every class, colour, texture and background occurs in 2,000 scenes", () => {
  const set = scenes({ count: 2000, seed: 0 });
  const seen = (map: Int16Array) => new Set(map);
  const colors = seen(set.labelMaps.color), textures = seen(set.labelMaps.texture);
  const shapes = seen(set.labelMaps.shape), backgrounds = seen(set.labelMaps.background);
  for (const c of Object.keys(SCENE_COLORS)) assert.ok(colors.has(id(c)), c);
  for (const t of SCENE_TEXTURES) assert.ok(textures.has(id(t)), t);
  for (const s of SCENE_SHAPES) assert.ok(shapes.has(id(s)), s);
  for (const b of SCENE_BACKGROUNDS) assert.ok(backgrounds.has(id(b)), b);
  const perClass = new Array(set.classNames.length).fill(0);
  for (const l of set.labels) perClass[l]++;
  // Uniform classes: 2000 / 7 ≈ 286 each.
  for (const k of perClass) assert.ok(k > 200, `class counts ${perClass}`);
  assert.ok(set.scenes.some((s) => s.distractor !== null));
  assert.ok(set.scenes.some((s) => s.distractor === null));
});

Deno.test("scenes: subsets of the vocabulary and option errors", () => {
  const set = scenes({
    count: 50,
    shapes: ["square", "circle"],
    colors: ["red", "blue"],
    textures: ["solid", "stripes"],
    backgrounds: ["sky"],
  });
  assert.deepEqual(set.classNames, ["square", "circle"]);
  assert.ok(set.labels.every((l) => l === 0 || l === 1));
  assert.ok(set.labelMaps.color.every((c) => c === -1 || c === id("red") || c === id("blue")));
  assert.ok(set.labelMaps.background.every((c) => c === -1 || c === id("sky")));
  assert.equal(set.concepts.length, SCENE_CONCEPTS.length); // ids stay those of the vocabulary
  checkMasks(set);

  assert.throws(() => scenes({ count: 0 }), RangeError);
  assert.throws(() => scenes({ count: 1, size: 4 }), /size must be/);
  assert.throws(
    () => scenes({ count: 1, shapes: ["hexagon"] }),
    (e: Error) =>
      e instanceof TypeError && e.message.includes('"hexagon"') && e.message.includes("circle"),
  );
  assert.throws(() => scenes({ count: 1, colors: ["red"] }), /at least 2 colours/);
  assert.ok(scenes({ count: 1, colors: ["red"], textures: ["solid"] }).labels.length === 1);
  assert.throws(() => scenes({ count: 1, distractor: 2 }), /probability/);
  assert.throws(() => scenes({ count: 1, shapes: ["star", "star"] }), /twice/);
});
