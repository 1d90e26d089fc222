import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { runNet } from "../../engine/net/executor.ts";
import { type Net, wrapModel } from "../../engine/net/net.ts";
import {
  cropReceptiveField,
  receptiveBox,
  receptiveField,
} from "../../engine/neurons/receptive_field.ts";
import { resnetLike, TEST_ARCHITECTURES } from "../_nets.ts";
import { convLayers } from "../../engine/net/net.ts";

await useBackend("wasm", { quiet: true });

/** A conv with all-ones kernels and no bias: every pixel of its field contributes. */
const ones = (name: string, extra: Record<string, unknown> = {}) =>
  tfl.layers.conv2d({
    name,
    filters: 1,
    kernelSize: 3,
    useBias: false,
    kernelInitializer: "ones",
    ...extra,
  });

function net(inputShape: [number, number, number], layers: tfl.layers.Layer[]): Net {
  const input = tfl.input({ shape: inputShape });
  let x = input;
  for (const l of layers) x = l.apply(x) as typeof input;
  return wrapModel(tfl.model({ inputs: input, outputs: x }));
}

/** Input pixels whose gradient to output (i, j) is non-zero: the true field inside the image. */
async function support(n: Net, layer: string, i: number, j: number) {
  const [h, w, c] = n.inputShape;
  const g = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => {
      const a = runNet(n, x, { capture: [layer], skipOutput: true }).captured[layer]!;
      return tf.sum(tf.slice(a, [0, i, j, 0], [1, 1, 1, -1]));
    })(tf.randomUniform([1, h, w, c], 0.5, 1, "float32", 3))
  );
  const v = await g.data();
  g.dispose();
  let top = Infinity, left = Infinity, bottom = -Infinity, right = -Infinity;
  v.forEach((g, p) => {
    if (g === 0) return;
    const y = Math.floor(p / (w * c)), x = Math.floor(p / c) % w;
    top = Math.min(top, y);
    left = Math.min(left, x);
    bottom = Math.max(bottom, y + 1);
    right = Math.max(right, x + 1);
  });
  return { top, left, bottom, right };
}

function clip(
  box: { top: number; left: number; bottom: number; right: number },
  h: number,
  w: number,
) {
  return {
    top: Math.max(box.top, 0),
    left: Math.max(box.left, 0),
    bottom: Math.min(box.bottom, h),
    right: Math.min(box.right, w),
  };
}

Deno.test("two 3×3 valid convs see 5×5 pixels at stride 1 (1 + 2 + 2)", () => {
  const n = net([8, 8, 1], [ones("a"), ones("b")]);
  const rf = receptiveField(n, "b");
  assert.deepEqual(rf, {
    layer: "b",
    size: [5, 5],
    stride: [1, 1],
    offset: [0, 0],
    outputSize: [4, 4],
  });
  assert.deepEqual(receptiveField(n, "a").size, [3, 3]);
  assert.deepEqual(receptiveBox(rf, [3, 1]), { top: 3, left: 1, bottom: 8, right: 6 });
  n.model.dispose();
});

Deno.test("conv 3×3, 2×2 stride-2 pool, conv 3×3: 8×8 at stride 2, matching the gradient support", async () => {
  // conv: size 3, stride 1; pool: 3 + (2 − 1)·1 = 4, stride 2; conv: 4 + (3 − 1)·2 = 8, stride 2.
  const n = net([12, 12, 1], [
    ones("a"),
    tfl.layers.averagePooling2d({ name: "p", poolSize: 2 }),
    ones("b"),
  ]);
  const rf = receptiveField(n, "b");
  assert.deepEqual(rf.size, [8, 8]);
  assert.deepEqual(rf.stride, [2, 2]);
  assert.deepEqual(rf.offset, [0, 0]);
  assert.deepEqual(receptiveField(n, "a").size, [3, 3]);
  for (const pos of [[0, 0], [1, 2], [2, 2]] as const) {
    assert.deepEqual(await support(n, "b", pos[0], pos[1]), receptiveBox(rf, pos));
  }
  n.model.dispose();
});

Deno.test("'same' padding and strides: offsets reach into the padding, as TensorFlow pads", async () => {
  // a: 3×3 stride 2 "same" on 9×9 → 5×5; total pad (5 − 1)·2 + 3 − 9 = 2, top/left 1:
  //    offset −1, size 3, stride 2.
  // b: 3×3 stride 1 "same" on 5×5; pad 1 (in units of a's stride 2): offset −1 − 2 = −3,
  //    size 3 + 2·2 = 7, stride 2.
  const n = net([9, 9, 1], [
    ones("a", { strides: 2, padding: "same" }),
    ones("b", { padding: "same" }),
  ]);
  assert.deepEqual(receptiveField(n, "a").offset, [-1, -1]);
  const rf = receptiveField(n, "b");
  assert.deepEqual(rf, {
    layer: "b",
    size: [7, 7],
    stride: [2, 2],
    offset: [-3, -3],
    outputSize: [5, 5],
  });
  for (const pos of [[0, 0], [2, 3], [4, 4]] as const) {
    assert.deepEqual(await support(n, "b", pos[0], pos[1]), clip(receptiveBox(rf, pos), 9, 9));
  }
  n.model.dispose();
});

Deno.test("dilation, zero padding and cropping", () => {
  // d: dilation 2 → effective kernel 2·(3 − 1) + 1 = 5; z pads 1 row on top, 2 columns left;
  // c: 3×3 valid after z: offset (−1, −2), size 5 + 2 = 7; k: crop 1 top → offset 0 rows.
  const n = net([12, 12, 1], [
    ones("d", { dilationRate: 2 }),
    tfl.layers.zeroPadding2d({ name: "z", padding: [[1, 0], [2, 0]] }),
    ones("c"),
    tfl.layers.cropping2D({ name: "k", cropping: [[1, 0], [0, 0]] }),
    ones("e", { kernelSize: [1, 1] }),
  ]);
  assert.deepEqual(receptiveField(n, "d").size, [5, 5]);
  assert.deepEqual(receptiveField(n, "c").offset, [-1, -2]);
  assert.deepEqual(receptiveField(n, "c").size, [7, 7]);
  assert.deepEqual(receptiveField(n, "e").offset, [0, -2]);
  n.model.dispose();
});

Deno.test("residual nets: the union over branches contains every influencing pixel", async () => {
  const model = resnetLike();
  const n = wrapModel(model);
  // stem 3 → res1: 3 + 2 + 2 = 7 (the skip branch sees less: union = 7) → res2: 11 → down: 13, stride 2.
  assert.deepEqual(receptiveField(n, "res1_conv2").size, [7, 7]);
  assert.deepEqual(receptiveField(n, "res2_conv2").size, [11, 11]);
  const rf = receptiveField(n, "down");
  assert.deepEqual(rf.size, [13, 13]);
  assert.deepEqual(rf.stride, [2, 2]);
  for (const [layer, pos] of [["res2_conv2", [5, 6]], ["down", [2, 3]]] as const) {
    const box = clip(receptiveBox(receptiveField(n, layer), pos), 12, 12);
    const found = await support(n, layer, pos[0], pos[1]);
    assert.ok(
      found.top >= box.top && found.left >= box.left && found.bottom <= box.bottom &&
        found.right <= box.right,
      `${layer}: ${JSON.stringify(found)} inside ${JSON.stringify(box)}`,
    );
  }
  model.dispose();
});

Deno.test("crops are cut around the box with zeros outside the image", () => {
  const set = {
    images: Float32Array.from({ length: 2 * 16 * 2 }, (_, i) => i),
    shape: [2, 4, 4, 2] as [number, number, number, number],
  };
  const rf = {
    layer: "c",
    size: [3, 3] as [number, number],
    stride: [1, 1] as [number, number],
    offset: [-1, -1] as [number, number],
    outputSize: [4, 4] as [number, number],
  };
  const crop = cropReceptiveField(set, 1, rf, [0, 0]);
  // Image 1 starts at 32; pixel (y, x) channel c = 32 + (4y + x)·2 + c.
  const px = (y: number, x: number) => [32 + (4 * y + x) * 2, 33 + (4 * y + x) * 2];
  assert.deepEqual([...crop], [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...px(0, 0),
    ...px(0, 1),
    0,
    0,
    ...px(1, 0),
    ...px(1, 1),
  ]);
  assert.throws(() => cropReceptiveField(set, 2, rf, [0, 0]), /Image index 2/);
  assert.throws(() => receptiveBox(rf, [4, 0]), /outside the \[4, 4\] output/);
});

Deno.test("receptive-field errors: dense layer, unknown layer, unsupported layer", () => {
  const n = net([8, 8, 1], [
    tfl.layers.upSampling2d({ name: "up" }),
    ones("a"),
    tfl.layers.flatten({ name: "f" }),
    tfl.layers.dense({ name: "fc", units: 2 }),
  ]);
  assert.throws(() => receptiveField(n, "fc"), TypeError);
  assert.throws(() => receptiveField(n, "nope"), RangeError);
  assert.throws(() => receptiveField(n, "a"), /through up \(UpSampling2D\)/);
  n.model.dispose();
});

Deno.test("receptive fields of the default models, worked by hand", async () => {
  const { loadDefaultNet } = await import("../../engine/train/default_models.ts");
  // mnist-cnn: "same" 3×3 convs, 2×2 pools. b1c1 3 (offset −1); b1c2 5 (−2); pool 6, stride 2;
  // b2c1 6 + 2·2 = 10 (−2 − 2 = −4); b2c2 14 (−6); pool 16, stride 4; b3c1 16 + 2·4 = 24 (−10).
  const mnist = await loadDefaultNet("mnist-cnn");
  const got = (n: Net, l: string) => {
    const rf = receptiveField(n, l);
    return [rf.size[0], rf.stride[0], rf.offset[0]];
  };
  assert.deepEqual(got(mnist, "block1_conv1"), [3, 1, -1]);
  assert.deepEqual(got(mnist, "block1_conv2"), [5, 1, -2]);
  assert.deepEqual(got(mnist, "block2_conv1"), [10, 2, -4]);
  assert.deepEqual(got(mnist, "block2_conv2"), [14, 2, -6]);
  assert.deepEqual(got(mnist, "block3_conv1"), [24, 4, -10]);
  mnist.model.dispose();
  // scenes-cnn: conv1 3 (−1); pool 4, s2; conv2 8 (−3); pool 10, s4; conv3 18 (−7);
  // pool 22, s8; conv4 22 + 2·8 = 38 (−15).
  const scenes = await loadDefaultNet("scenes-cnn");
  assert.deepEqual(got(scenes, "conv3"), [18, 4, -7]);
  assert.deepEqual(got(scenes, "conv4"), [38, 8, -15]);
  scenes.model.dispose();
});

Deno.test("every conv layer of every test architecture: the box holds every influencing pixel", async () => {
  for (const [name, build] of Object.entries(TEST_ARCHITECTURES)) {
    const model = build();
    const n = wrapModel(model);
    const [h, w] = n.inputShape;
    for (const layer of convLayers(n)) {
      const rf = receptiveField(n, layer.name);
      const pos: [number, number] = [
        Math.floor(rf.outputSize[0] / 2),
        Math.floor(rf.outputSize[1] / 2),
      ];
      const box = clip(receptiveBox(rf, pos), h, w);
      const found = await support(n, layer.name, pos[0], pos[1]);
      if (found.top === Infinity) continue; // a dead position: nothing to compare
      assert.ok(
        found.top >= box.top && found.left >= box.left && found.bottom <= box.bottom &&
          found.right <= box.right,
        `${name}/${layer.name}: ${JSON.stringify(found)} inside ${JSON.stringify(box)}`,
      );
    }
    model.dispose();
  }
});
