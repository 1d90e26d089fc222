import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { neuronStats } from "../../engine/neurons/activation_stats.ts";
import {
  orderByScore,
  PRUNING_RANKINGS,
  pruningRanking,
  type RankingContext,
} from "../../engine/prune/rankings.ts";
import { pruningMask } from "../../engine/prune/masks.ts";
import { vggLike } from "../_nets.ts";
import { labelledSet } from "./_helpers.ts";

await useBackend("wasm", { quiet: true });

function context(
  net: ReturnType<typeof wrapModel>,
  layers: string[],
  extra: Partial<RankingContext> = {},
): RankingContext {
  return {
    net,
    layers,
    scores: undefined,
    seed: 0,
    stats: () => Promise.reject(new Error("stats not expected")),
    ...extra,
  };
}

Deno.test("l1 ranks filters by Σ|W| on a hand-weighted conv (smallest first)", async () => {
  // 2×2 kernels over 1 input channel, 3 filters (kernel [2, 2, 1, 3]):
  // filter 0: 1, −1, 0.5, −0.5 → 3; filter 1: 0.1 ×4 → 0.4; filter 2: −1, 0, 0, 0.5 → 1.5.
  const kernel = tf.tensor4d(
    [
      [1, 0.1, -1],
      [-1, 0.1, 0],
      [0.5, 0.1, 0],
      [-0.5, 0.1, 0.5],
    ].flat(),
    [2, 2, 1, 3],
  );
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({
      name: "c",
      inputShape: [3, 3, 1],
      filters: 3,
      kernelSize: 2,
      weights: [kernel, tf.tensor1d([5, -5, 0])], // biases do not count
    })],
  });
  const net = wrapModel(model);
  const before = tf.memory().numTensors;
  const [order] = await PRUNING_RANKINGS.l1.order(context(net, ["c"]));
  assert.deepEqual([...order!], [1, 2, 0]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([...pruningMask(order!, 0.34)], [1, 0, 1]); // round(0.34·3) = 1 pruned
  assert.deepEqual([...pruningMask(order!, 0.5)], [1, 0, 0]); // round(1.5) = 2
  tf.dispose(kernel);
  model.dispose();
});

Deno.test("NeuronIM rankings take the caller's scores; ties keep the smaller unit first", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const scores = { conv1: [0.5, 0.1, 0.5, 0.9] };
  const ctx = context(net, ["conv1"], { scores });
  assert.deepEqual([...(await PRUNING_RANKINGS.neuronImAscending.order(ctx))[0]!], [1, 0, 2, 3]);
  assert.deepEqual([...(await PRUNING_RANKINGS.neuronImDescending.order(ctx))[0]!], [3, 0, 2, 1]);
  await assert.rejects(
    PRUNING_RANKINGS.neuronImAscending.order(context(net, ["conv2"], { scores })),
    /needs options.scores\["conv2"\].*scores given for: conv1/,
  );
  await assert.rejects(
    PRUNING_RANKINGS.neuronImDescending.order(
      context(net, ["conv1"], { scores: { conv1: [1, 2] } }),
    ),
    /has 2 values; conv1 has 4 units/,
  );
  assert.throws(() => orderByScore([1, NaN], true), /Score NaN of unit 1/);
  model.dispose();
});

Deno.test("meanActivation and taylor follow neuronStats; random is a seeded permutation", async () => {
  const model = vggLike();
  const net = wrapModel(model);
  const set = await labelledSet(6, [12, 12, 1], 1);
  const stats = await neuronStats(net, set, { layers: ["conv1", "conv2"] });
  const ctx = context(net, ["conv1", "conv2"], { stats: () => Promise.resolve(stats) });
  const mean = await PRUNING_RANKINGS.meanActivation.order(ctx);
  const taylor = await PRUNING_RANKINGS.taylor.order(ctx);
  stats.forEach((s, i) => {
    assert.deepEqual([...mean[i]!], [...orderByScore(s.mean, true)]);
    assert.deepEqual([...taylor[i]!], [...orderByScore(s.taylor, true)]);
  });
  const a = await PRUNING_RANKINGS.random.order(context(net, ["conv2"], { seed: 7 }));
  const b = await PRUNING_RANKINGS.random.order(context(net, ["conv2"], { seed: 7 }));
  const c = await PRUNING_RANKINGS.random.order(context(net, ["conv2"], { seed: 8 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual([...a[0]!].sort(), [0, 1, 2, 3, 4, 5]);
  const rev = await PRUNING_RANKINGS.randomReversed.order(context(net, ["conv2"], { seed: 7 }));
  assert.deepEqual([...rev[0]!], [...a[0]!].reverse());
  model.dispose();
});

Deno.test("unknown ranking names throw a TypeError listing the known ones", () => {
  assert.throws(
    () => pruningRanking("magnitude"),
    (e: Error) =>
      e instanceof TypeError && /"magnitude"/.test(e.message) &&
      Object.keys(PRUNING_RANKINGS).every((k) => e.message.includes(k)),
  );
  assert.throws(() => pruningRanking("toString"), TypeError);
  assert.equal(pruningRanking("random").random, true);
});
