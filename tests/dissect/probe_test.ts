import assert from "node:assert/strict";
import { scenes } from "../../engine/data/scenes.ts";
import {
  asSource,
  categoryOfKey,
  checkLabelMaps,
  sceneSource,
} from "../../engine/dissect/probe.ts";

Deno.test("scene shards reproduce the whole set exactly; set views do not copy", async () => {
  const whole = scenes({ count: 6, size: 16, seed: 4 });
  const src = sceneSource({ count: 6, size: 16, seed: 4 });
  assert.equal(src.count, 6);
  const part = await src.load(2, 5);
  assert.deepEqual(part.images, whole.images.subarray(2 * 768, 5 * 768));
  assert.deepEqual(part.labelMaps.color, whole.labelMaps.color.subarray(2 * 256, 5 * 256));
  const view = await asSource(whole).load(1, 3);
  assert.equal(view.images.buffer, whole.images.buffer);
  assert.deepEqual(view.shape, [2, 16, 16, 3]);
  assert.equal(categoryOfKey("texture#3"), "texture");
  assert.throws(
    () => asSource({ ...whole, labelMaps: { ...whole.labelMaps, color: new Int16Array(3) } }),
    /label map "color"/,
  );
});

Deno.test("checking label maps can count each concept's pixels in the same pass", () => {
  const set = scenes({ count: 3, size: 16, seed: 2 });
  const counts = new Float64Array(set.concepts.length);
  checkLabelMaps(set, { counts });
  checkLabelMaps(set, { counts }); // accumulates
  const want = new Float64Array(set.concepts.length);
  for (const map of Object.values(set.labelMaps) as Int16Array[]) {
    for (const id of map) if (id >= 0) want[id]! += 2;
  }
  assert.deepEqual(counts, want);
  assert.throws(() => checkLabelMaps(set, { counts: new Float64Array(1) }), /one per concept/);
});
