/**
 * Small seeded test architectures covering every graph feature the executor
 * must handle: Sequential (VGG-like), residual `Add` with BatchNorm
 * (ResNet-like), depthwise and separable convs with BatchNorm
 * (MobileNet-like), `Concatenate` branches, and a nested model.
 *
 * BatchNorm statistics are random, not the identity, so folding and
 * inference-mode handling are really exercised.
 *
 * @module
 */
import { tfl } from "../engine/deps.ts";

type SymbolicTensor = tfl.SymbolicTensor;

// Reset by every builder, so a net's weights depend only on its seed, not on
// how many nets were built before it.
let seedCounter = 0;
function init(seed: number) {
  return {
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + seedCounter++ }),
    biasInitializer: tfl.initializers.randomUniform({
      minval: -0.1,
      maxval: 0.1,
      seed: seed * 1000 + seedCounter++,
    }),
  };
}

function bn(name: string, seed: number) {
  const u = (lo: number, hi: number) =>
    tfl.initializers.randomUniform({ minval: lo, maxval: hi, seed: seed * 1000 + seedCounter++ });
  return tfl.layers.batchNormalization({
    name,
    gammaInitializer: u(0.5, 1.5),
    betaInitializer: u(-0.2, 0.2),
    movingMeanInitializer: u(-0.2, 0.2),
    movingVarianceInitializer: u(0.5, 1.5),
  });
}

function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/** Sequential conv–pool–conv–dense classifier with a fused softmax head. */
export function vggLike(seed = 1, inputShape: [number, number, number] = [12, 12, 1]) {
  seedCounter = 0;
  return tfl.sequential({
    name: "vgg_like",
    layers: [
      tfl.layers.conv2d({
        name: "conv1",
        inputShape,
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        ...init(seed),
      }),
      tfl.layers.maxPooling2d({ name: "pool1", poolSize: 2 }),
      tfl.layers.conv2d({
        name: "conv2",
        filters: 6,
        kernelSize: 3,
        activation: "relu",
        ...init(seed),
      }),
      tfl.layers.dropout({ name: "drop", rate: 0.5 }),
      tfl.layers.flatten({ name: "flatten" }),
      tfl.layers.dense({ name: "fc", units: 8, activation: "relu", ...init(seed) }),
      tfl.layers.dense({ name: "out", units: 3, activation: "softmax", ...init(seed) }),
    ],
  });
}

/** Two residual blocks (conv–BN–ReLU–conv–BN + skip, `Add`), strided, GAP head. */
export function resnetLike(seed = 2, inputShape: [number, number, number] = [12, 12, 3]) {
  seedCounter = 0;
  const input = tfl.input({ shape: inputShape, name: "input" });
  let x = apply(
    tfl.layers.conv2d({ name: "stem", filters: 6, kernelSize: 3, padding: "same", ...init(seed) }),
    input,
  );
  x = apply(tfl.layers.reLU({ name: "stem_relu" }), apply(bn("stem_bn", seed), x));
  for (const b of [1, 2]) {
    const y1 = apply(
      tfl.layers.conv2d({
        name: `res${b}_conv1`,
        filters: 6,
        kernelSize: 3,
        padding: "same",
        ...init(seed),
      }),
      x,
    );
    const y2 = apply(
      tfl.layers.activation({ name: `res${b}_relu1`, activation: "relu" }),
      apply(bn(`res${b}_bn1`, seed), y1),
    );
    const y3 = apply(
      tfl.layers.conv2d({
        name: `res${b}_conv2`,
        filters: 6,
        kernelSize: 3,
        padding: "same",
        ...init(seed),
      }),
      y2,
    );
    const sum = apply(tfl.layers.add({ name: `res${b}_add` }), [
      x,
      apply(bn(`res${b}_bn2`, seed), y3),
    ]);
    x = apply(tfl.layers.activation({ name: `res${b}_out`, activation: "relu" }), sum);
  }
  x = apply(
    tfl.layers.conv2d({
      name: "down",
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      ...init(seed),
    }),
    x,
  );
  x = apply(tfl.layers.globalAveragePooling2d({ name: "gap" }), x);
  const logits = apply(tfl.layers.dense({ name: "logits", units: 4, ...init(seed) }), x);
  const out = apply(tfl.layers.softmax({ name: "softmax" }), logits);
  return tfl.model({ name: "resnet_like", inputs: input, outputs: out });
}

/** Depthwise (stride 2) and separable convs with BatchNorm, average pooling. */
export function mobilenetLike(seed = 3, inputShape: [number, number, number] = [16, 16, 3]) {
  seedCounter = 0;
  return tfl.sequential({
    name: "mobilenet_like",
    layers: [
      tfl.layers.conv2d({
        name: "conv1",
        inputShape,
        filters: 8,
        kernelSize: 3,
        padding: "same",
        ...init(seed),
      }),
      bn("bn1", seed),
      tfl.layers.reLU({ name: "relu1", maxValue: 6 }),
      tfl.layers.depthwiseConv2d({
        name: "dw1",
        kernelSize: 3,
        strides: 2,
        padding: "same",
        depthwiseInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + seedCounter++ }),
        biasInitializer: "zeros",
      }),
      bn("bn2", seed),
      tfl.layers.reLU({ name: "relu2", maxValue: 6 }),
      tfl.layers.conv2d({ name: "pw1", filters: 12, kernelSize: 1, ...init(seed) }),
      bn("bn3", seed),
      tfl.layers.activation({ name: "relu3", activation: "relu" }),
      tfl.layers.separableConv2d({
        name: "sep1",
        filters: 12,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        depthwiseInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + seedCounter++ }),
        pointwiseInitializer: tfl.initializers.glorotUniform({ seed: seed * 1000 + seedCounter++ }),
      }),
      tfl.layers.averagePooling2d({ name: "avgpool", poolSize: 2 }),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({ name: "out", units: 5, activation: "softmax", ...init(seed) }),
    ],
  });
}

/** Two parallel branches (3×3 and 1×1 convs) joined by `Concatenate`. */
export function concatNet(seed = 4, inputShape: [number, number, number] = [10, 10, 2]) {
  seedCounter = 0;
  const input = tfl.input({ shape: inputShape, name: "input" });
  const a = apply(
    tfl.layers.conv2d({
      name: "branch_a",
      filters: 3,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      ...init(seed),
    }),
    input,
  );
  const b = apply(
    tfl.layers.conv2d({
      name: "branch_b",
      filters: 2,
      kernelSize: 1,
      activation: "relu",
      ...init(seed),
    }),
    input,
  );
  const cat = apply(tfl.layers.concatenate({ name: "concat" }), [a, b]);
  const c = apply(
    tfl.layers.conv2d({ name: "merge_conv", filters: 4, kernelSize: 3, ...init(seed) }),
    cat,
  );
  const flat = apply(tfl.layers.flatten({ name: "flatten" }), c);
  const out = apply(tfl.layers.dense({ name: "out", units: 3, ...init(seed) }), flat);
  return tfl.model({ name: "concat_net", inputs: input, outputs: out });
}

/** A model that contains another model as a layer (and applies a layer twice). */
export function nestedNet(seed = 5, inputShape: [number, number, number] = [8, 8, 3]) {
  seedCounter = 0;
  const inner = tfl.sequential({
    name: "features",
    layers: [
      tfl.layers.conv2d({
        name: "inner_conv",
        inputShape,
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "tanh",
        ...init(seed),
      }),
      tfl.layers.maxPooling2d({ name: "inner_pool", poolSize: 2 }),
    ],
  });
  const input = tfl.input({ shape: inputShape, name: "input" });
  const f = apply(inner, input);
  const shared = tfl.layers.conv2d({
    name: "shared",
    filters: 4,
    kernelSize: 1,
    activation: "tanh",
    ...init(seed),
  });
  const twice = apply(shared, apply(shared, f));
  const gap = apply(tfl.layers.globalAveragePooling2d({ name: "gap" }), twice);
  const out = apply(
    tfl.layers.dense({ name: "out", units: 3, activation: "softmax", ...init(seed) }),
    gap,
  );
  return tfl.model({ name: "nested_net", inputs: input, outputs: out });
}

/** Every test architecture by name, for table tests. */
export const TEST_ARCHITECTURES = {
  vggLike,
  resnetLike,
  mobilenetLike,
  concatNet,
  nestedNet,
} as const;
