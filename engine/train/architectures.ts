/**
 * The default models' architectures, seeded so that training is
 * reproducible: the same seed gives the same initial weights.
 *
 * @example
 * ```ts
 * import { mnistCnn } from "./architectures.ts";
 * const model = mnistCnn({ seed: 1 });
 * if (!(model.layers.some((l) => l.name === "block3_conv1"))) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
import { tfl } from "../deps.ts";
import { subSeed } from "../random.ts";

/** Options of the architecture builders. */
export interface ArchitectureOptions {
  /** Seed of the weight initialisers. Default: 0. */
  seed?: number;
}

/**
 * VGG-style MNIST classifier: three conv blocks (16-16, 32-32, 64 filters,
 * 3×3, ReLU, each block ending in 2×2 max pooling), a 128-unit dense layer
 * and a 10-way softmax. Input [28, 28, 1] in [0, 1]. About 11 MFLOP per image.
 *
 * @param options see {@link ArchitectureOptions}
 * @returns an untrained Sequential model named "mnist_cnn"
 */
export function mnistCnn(options: ArchitectureOptions = {}): tfl.Sequential {
  const init = initialisers(options.seed ?? 0);
  const { conv, pool } = blocks(init);
  return tfl.sequential({
    name: "mnist_cnn",
    layers: [
      conv("block1_conv1", 16, { inputShape: [28, 28, 1] }),
      conv("block1_conv2", 16),
      pool("block1_pool"),
      conv("block2_conv1", 32),
      conv("block2_conv2", 32),
      pool("block2_pool"),
      conv("block3_conv1", 64),
      pool("block3_pool"),
      tfl.layers.flatten({ name: "flatten" }),
      tfl.layers.dense({ name: "fc1", units: 128, activation: "relu", ...init() }),
      tfl.layers.dense({ name: "predictions", units: 10, activation: "softmax", ...init() }),
    ],
  });
}

/**
 * Classifier of the synthetic concept scenes: four conv layers (16, 32, 64,
 * 64 filters, 3×3, ReLU; 2×2 max pooling after the first three), global
 * average pooling, and a softmax dense layer, so that CAM methods and
 * unit-based explanations apply. Input [size, size, 3] in [0, 1].
 *
 * @param numClasses number of shape classes
 * @param options see {@link ArchitectureOptions}; `size` defaults to 64
 * @returns an untrained Sequential model named "scenes_cnn"
 */
export function scenesCnn(
  numClasses: number,
  options: ArchitectureOptions & { size?: number } = {},
): tfl.Sequential {
  const init = initialisers(options.seed ?? 0);
  const size = options.size ?? 64;
  const { conv, pool } = blocks(init);
  return tfl.sequential({
    name: "scenes_cnn",
    layers: [
      conv("conv1", 16, { inputShape: [size, size, 3] }),
      pool("pool1"),
      conv("conv2", 32),
      pool("pool2"),
      conv("conv3", 64),
      pool("pool3"),
      conv("conv4", 64),
      tfl.layers.globalAveragePooling2d({ name: "gap" }),
      tfl.layers.dense({
        name: "predictions",
        units: numClasses,
        activation: "softmax",
        ...init(),
      }),
    ],
  });
}

/**
 * 3×3 same-padded ReLU convs whose weights come from `init` (called once per
 * conv, in order, so the seeds per layer do not depend on this helper), and
 * 2×2 max pooling.
 */
function blocks(init: () => Record<string, unknown>) {
  return {
    conv: (name: string, filters: number, extra: Record<string, unknown> = {}) =>
      tfl.layers.conv2d({
        name,
        filters,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        ...init(),
        ...extra,
      }),
    pool: (name: string) => tfl.layers.maxPooling2d({ name, poolSize: 2 }),
  };
}

/** Seeded Glorot-uniform kernels and zero biases, a fresh seed per layer. */
function initialisers(seed: number): () => Record<string, unknown> {
  let layer = 0;
  return () => ({
    kernelInitializer: tfl.initializers.glorotUniform({ seed: subSeed(seed, layer++) }),
    biasInitializer: "zeros",
  });
}
