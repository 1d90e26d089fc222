import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf, tfl } from "../../engine/deps.ts";
import { canonize, disposeCanonical } from "../../engine/lrp/canonize.ts";
import { linearForward, type LinearOp } from "../../engine/lrp/linear.ts";
import { runNet } from "../../engine/net/executor.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { mobilenetLike, resnetLike } from "../_nets.ts";
import { assertClose, read } from "./_helpers.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

function bn(name: string, seed: number, inputShape?: number[]) {
  const u = (lo: number, hi: number, s: number) =>
    tfl.initializers.randomUniform({ minval: lo, maxval: hi, seed: seed * 10 + s });
  return tfl.layers.batchNormalization({
    name,
    gammaInitializer: u(0.5, 1.5, 1),
    betaInitializer: u(-0.5, 0.5, 2),
    movingMeanInitializer: u(-0.5, 0.5, 3),
    movingVarianceInitializer: u(0.5, 1.5, 4),
    ...(inputShape ? { inputShape } : {}),
  });
}

/** Every linear kind followed by a BatchNorm, plus BatchNorms that cannot be folded. */
function bnZoo() {
  const k = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  return tfl.sequential({
    name: "bn_zoo",
    layers: [
      bn("bn_input", 1, [9, 9, 2]), // reads the pixels: nothing to fold into
      tfl.layers.conv2d({ name: "conv", filters: 3, kernelSize: 3, kernelInitializer: k(1) }),
      bn("bn_conv", 2),
      tfl.layers.depthwiseConv2d({
        name: "dw",
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: "same",
        depthwiseInitializer: k(2),
      }),
      bn("bn_dw", 3),
      tfl.layers.separableConv2d({
        name: "sep",
        filters: 4,
        kernelSize: 3,
        padding: "same",
        depthwiseInitializer: k(3),
        pointwiseInitializer: k(4),
        activation: "relu",
      }),
      bn("bn_after_relu", 4), // the activation sits between: not foldable
      tfl.layers.flatten({ name: "flat" }),
      tfl.layers.dense({ name: "fc", units: 5, kernelInitializer: k(5), useBias: false }),
      bn("bn_fc", 5),
      tfl.layers.dense({ name: "out", units: 3, kernelInitializer: k(6) }),
    ],
  });
}

/** The output of the canonical ops of `step`, applied to its input as the executor saw it. */
function canonicalOutput(ops: LinearOp[], x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => ops.reduce((v, op) => linearForward(op, v), x));
}

Deno.test("folded BatchNorms reproduce the BatchNorm outputs; unfoldable ones become element-wise", async () => {
  const model = bnZoo();
  const net = wrapModel(model);
  const x = tf.randomUniform([2, 9, 9, 2], 0, 1, "float32", 3);
  const weightsBefore = await Promise.all(model.getWeights().map(read));
  const before = tf.memory().numTensors;
  const c = canonize(net);
  assert.deepEqual([...c.folded.entries()].sort(), [
    ["bn_conv", "conv"],
    ["bn_dw", "dw"],
    ["bn_fc", "fc"],
  ]);
  assert.deepEqual([...c.elementwise].sort(), ["bn_after_relu", "bn_input"]);
  assert.equal(c.linear.get("sep")!.length, 2);
  const captured = runNet(net, x, {
    capture: [
      "bn_input",
      "conv",
      "bn_conv",
      "dw",
      "bn_dw",
      "bn_after_relu",
      "sep",
      "fc",
      "flat",
      "bn_fc",
    ],
  });
  const cap = captured.captured;
  // (step, its input, the value the folded op must reproduce)
  const checks: [string, tf.Tensor, tf.Tensor][] = [
    ["bn_input", x, cap.bn_input!],
    ["conv", cap.bn_input!, cap.bn_conv!],
    ["dw", cap.bn_conv!, cap.bn_dw!],
    ["bn_after_relu", cap.sep!, cap.bn_after_relu!],
    ["fc", cap.flat!, cap.bn_fc!],
  ];
  for (const [name, input, expected] of checks) {
    const got = canonicalOutput(c.linear.get(name)!, input);
    assertClose(await read(got), await read(expected), 2e-5, name);
    got.dispose();
  }
  // The separable conv's two ops reproduce its pre-activation output (its activation is a ReLU).
  const sep = canonicalOutput(c.linear.get("sep")!, cap.bn_dw!);
  const relu = tf.relu(sep);
  assertClose(await read(relu), await read(cap.sep!), 2e-5, "sep");
  tf.dispose([sep, relu, captured.output, ...Object.values(cap)]);
  disposeCanonical(c);
  assert.equal(
    tf.memory().numTensors,
    before,
    "no tensors leak (the model's own weights are kept)",
  );
  const weightsAfter = await Promise.all(model.getWeights().map(read));
  assert.deepEqual(weightsAfter, weightsBefore, "the model is not touched");
  x.dispose();
  model.dispose();
});

Deno.test("canonize folds the BatchNorms of the ResNet-like and MobileNet-like nets", () => {
  for (
    const [build, folded, elementwise] of [
      [resnetLike, ["res1_bn1", "res1_bn2", "res2_bn1", "res2_bn2", "stem_bn"], []],
      [mobilenetLike, ["bn1", "bn2", "bn3"], []],
    ] as const
  ) {
    const model = build();
    const net = wrapModel(model);
    const c = canonize(net);
    assert.deepEqual([...c.folded.keys()].sort(), [...folded]);
    assert.deepEqual([...c.elementwise], [...elementwise]);
    disposeCanonical(c);
    model.dispose();
  }
});

Deno.test("canonize rejects dilated convolutions, naming the layer", () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        name: "dilated",
        inputShape: [8, 8, 1],
        filters: 1,
        kernelSize: 3,
        dilationRate: 2,
      }),
      tfl.layers.flatten({}),
      tfl.layers.dense({ units: 2 }),
    ],
  });
  const net = wrapModel(model);
  assert.throws(
    () => canonize(net),
    (e: Error) => e instanceof TypeError && /"dilated"/.test(e.message),
  );
  model.dispose();
});
