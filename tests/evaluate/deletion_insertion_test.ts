import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { deletionInsertion, trapezoidAuc } from "../../engine/evaluate/deletion_insertion.ts";
import { close, linear4x4, maps4x4 } from "./_models.ts";

await useBackend("wasm", { quiet: true });

const RISING = Array.from({ length: 16 }, (_, p) => p + 1);
const LOGIT = { kind: "class", space: "logit" } as const;

Deno.test("trapezoid AUC, normalised by the number of intervals", () => {
  assert.equal(trapezoidAuc([1, 1]), 1);
  assert.equal(trapezoidAuc([0, 1]), 0.5);
  close([trapezoidAuc([1, 0.5, 0.25, 0])], [(0.5 + 0.5 + 0.25 + 0) / 3], "auc");
  assert.throws(() => trapezoidAuc([1]), RangeError);
});

Deno.test("deletion and insertion by hand: 4×4, y = Σ (p+1) x_p, 4 pixels per step", async () => {
  const net = linear4x4();
  const x = tf.ones([1, 4, 4, 1]);
  try {
    const before = tf.memory().numTensors;
    // σ = 1e6 makes the 3×3 Gaussian uniform (1/9 each); zero padding gives a
    // blurred ones-image of 4/9 at corners, 6/9 on edges, 1 inside.
    const r = await deletionInsertion(net, x, maps4x4(RISING), {
      step: 4,
      target: LOGIT,
      blurSize: 3,
      blurSigma: 1e6,
    });
    assert.equal(tf.memory().numTensors, before, "no tensor leaks");
    assert.deepEqual(Array.from(r.pixels), [0, 4, 8, 12, 16]);
    // Delete 16+15+14+13, then 12+…+9, …
    close(r.deletion, [136, 78, 36, 10, 0], "deletion");
    close([r.deletionAuc], [(68 + 78 + 36 + 10 + 0) / 4], "deletion AUC"); // 48
    // Insertion starts at Σ w_p b_p = 34·4/9 + 68·6/9 + 34 = 850/9 and restores
    // pixels 15, 14, 13, 12 (+232/9), 11…8 (+63/9), 7…4 (+39/9), 3…0 (+40/9).
    close(r.insertion, [850, 1082, 1145, 1184, 1224].map((v) => v / 9), "insertion");
    const ins = (425 + 1082 + 1145 + 1184 + 612) / 36;
    close([r.insertionAuc], [ins], "insertion AUC");
    close([r.comprehensive], [ins - 48], "comprehensive");
    assert.deepEqual(Array.from(r.classes), [0]);
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("default score: softmax probability of the original top-1 class; default 51 points", async () => {
  const net = linear4x4(new Array(16).fill(0.25));
  const x = tf.ones([2, 4, 4, 1]);
  try {
    const r = await deletionInsertion(net, x, maps4x4(RISING, 2), { step: 8, blurSize: 1 });
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    // Deleting 8 pixels of weight 0.25 at a time: logits 4, 2, 0 vs class 1's 0.
    close(r.deletion, [4, 2, 0, 4, 2, 0].map(sig), "deletion probabilities");
    // A 1×1 blur is the identity: insertion stays at the original.
    close(r.insertion, new Array(6).fill(sig(4)), "insertion");
    const d = await deletionInsertion(net, x, maps4x4(RISING, 2));
    assert.deepEqual(d.shape, [2, 51]); // step = 16/50 pixels
    assert.equal(d.pixels[50], 16);
    assert.equal(d.deletion[50], 0.5); // all deleted: logits 0, 0
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("batched = unbatched; a good map beats its reverse", async () => {
  const net = linear4x4();
  const x = tf.randomUniform([3, 4, 4, 1], 0, 1, "float32", 5);
  const maps = maps4x4(RISING, 3);
  try {
    const a = await deletionInsertion(net, x, maps, { step: 2, batchSize: 1, target: LOGIT });
    const b = await deletionInsertion(net, x, maps, { step: 2, batchSize: 64, target: LOGIT });
    assert.deepEqual(a.deletion, b.deletion);
    assert.deepEqual(a.insertion, b.insertion);
    const reverse = maps4x4(RISING.map((v) => -v), 3);
    const c = await deletionInsertion(net, x, reverse, { step: 2, target: LOGIT });
    assert.ok(a.deletionAuc < c.deletionAuc && a.insertionAuc > c.insertionAuc);
    assert.ok(a.comprehensive > c.comprehensive);
  } finally {
    x.dispose();
    net.model.dispose();
  }
});

Deno.test("bad inputs: shape mismatch, NaN maps, bad step", async () => {
  const net = linear4x4();
  const x = tf.ones([1, 4, 4, 1]);
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(
      () => deletionInsertion(net, x, maps4x4(RISING, 2)),
      (e: Error) => e instanceof RangeError && /\[2, 4, 4\]/.test(e.message),
    );
    const nan = maps4x4(RISING);
    nan.values[0] = Infinity;
    await assert.rejects(() => deletionInsertion(net, x, nan), TypeError);
    await assert.rejects(() => deletionInsertion(net, x, maps4x4(RISING), { step: 0 }), RangeError);
    const twoChannels = tf.ones([1, 4, 4, 2]);
    await assert.rejects(() => deletionInsertion(net, twoChannels, maps4x4(RISING)), RangeError);
    twoChannels.dispose();
    assert.equal(tf.memory().numTensors, before, "no leaks on errors");
  } finally {
    x.dispose();
    net.model.dispose();
  }
});
