/**
 * Feature visualisation by activation maximisation (Erhan et al. 2009;
 * Olah et al. 2017, "Feature Visualization", Distill; Lucid's
 * `render_vis` with `objectives.channel`): for each chosen neuron, the input
 * image that maximises its scalar activation, found from noise with Adam
 * through a decorrelated Fourier parameterisation and random robustness
 * transforms.
 *
 * Many neurons at once: batch element k optimises unit `units[k]`, and the
 * objective is the sum over the batch of each element's own unit's
 * activation, so one forward + backward per step serves a whole chunk of
 * neurons (the elements do not interact: each gradient only reaches its own
 * image). Only the layers up to the chosen one run (`runNet` with
 * `skipOutput`).
 *
 * A unit whose activation is exactly 0 on its start image (every ReLU on the
 * way closed) gets no gradient at all; during the first 32 steps such units
 * are pushed with the "deconv" ReLU backward rule instead (a coarse form of
 * Lucid's `relu_gradient_override`). On mnist-cnn this takes the share of
 * conv neurons whose visualisation beats their test-set p99 from 95.6 % to
 * 99.4 %.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { featureVisualization } from "./feature_viz.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: "relu", name: "conv" }),
 *   tfl.layers.flatten({ name: "flat" }),
 *   tfl.layers.dense({ units: 2, name: "logits" }),
 * ] });
 * const viz = await featureVisualization(wrapModel(model), "conv", { steps: 3 });
 * if (viz.images.length !== 2 * 8 * 8 || viz.activations.length !== 2) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type ReluBackward, runNet } from "../net/executor.ts";
import { getLayer, type LayerInfo, type Net } from "../net/net.ts";
import { createRng, type Rng, subSeed } from "../random.ts";
import { createAdam } from "./adam.ts";
import { checkColorMatrix, type ColorMatrix } from "./color.ts";
import {
  createImageParam,
  type ImageParam,
  type Parameterization,
  PARAMETERIZATIONS,
} from "./parameterization.ts";
import {
  applyTransforms,
  disposePlan,
  drawTransforms,
  samplingPlan,
  type TransformSettings,
  transformSettings,
} from "./transforms.ts";

/** How a conv neuron's map becomes one number: spatial mean (default) or max. */
export type UnitReduce = "mean" | "max";

/** Options of {@link featureVisualization}. */
export interface FeatureVizOptions {
  /** Units (channels) to visualise. Default: every unit of the layer. */
  units?: readonly number[];
  /** Adam steps. Default 256. */
  steps?: number;
  /** Adam learning rate. Default 0.05 (Lucid). */
  learningRate?: number;
  /** `fourier` (default; decorrelated spectrum) or `pixel` (pixels through a sigmoid). */
  parameterization?: Parameterization;
  /**
   * RGB models: mix colours through Lucid's ImageNet colour-correlation
   * matrix (`true`, default), not at all (`false`), or through a 3×3 matrix
   * in the same layout, e.g. `colorCorrelationSqrt(trainingImages)`
   * (color.ts) for a model trained on other colours than ImageNet's.
   * Ignored for other channel counts.
   */
  decorrelate?: boolean | ColorMatrix;
  /**
   * Robustness transforms: `true` (default) = Lucid's amounts scaled to the
   * input size (see transforms.ts), `false` = none, or some amounts to
   * override (the rest stay Lucid's scaled defaults).
   */
  transforms?: boolean | Partial<TransformSettings>;
  /** Scalar activation of a conv neuron: `mean` (default) or `max` over positions. Dense: the unit. */
  reduce?: UnitReduce;
  /** Neurons optimised together (one batch element each). Default 64. */
  batchSize?: number;
  /** Seed of the initial images and the transforms. Default 0. */
  seed?: number;
  /** Called after every step with (steps done, total steps over all chunks). */
  onProgress?: (done: number, total: number) => void;
}

/** The options a visualisation was computed with, all resolved. */
export interface ResolvedFeatureVizOptions {
  steps: number;
  learningRate: number;
  parameterization: Parameterization;
  decorrelate: boolean | ColorMatrix;
  /** The transform amounts used, or null for none. */
  transforms: TransformSettings | null;
  reduce: UnitReduce;
  batchSize: number;
  seed: number;
}

/** Feature visualisations of some units of one layer (plain data). */
export interface FeatureViz {
  /** The layer. */
  layer: string;
  /** The units, in the order of the images. */
  units: Int32Array;
  /** [K, H, W, C] final images in [0, 1], untransformed. */
  images: Float32Array;
  /** [K, H, W, C]. */
  shape: [number, number, number, number];
  /** Each unit's scalar activation on its own final untransformed image. */
  activations: Float64Array;
  /** What was used. */
  options: ResolvedFeatureVizOptions;
}

/**
 * Finds, for each chosen unit of a layer, the image that maximises the unit's
 * scalar activation (Olah et al. 2017; Lucid's `render_vis`, Adam on a
 * decorrelated Fourier parameterisation with robustness transforms).
 *
 * @param net the network
 * @param layer a layer with a [H, W, C] (conv-like) or [C] (dense) output
 * @param options see {@link FeatureVizOptions}
 * @returns the images, their activations and the options used
 * @throws {RangeError} for an unknown layer (listing the known ones), a unit
 *   out of range, or a bad step count, learning rate or batch size
 * @throws {TypeError} for a layer without neurons (the input) or a bad
 *   parameterisation or reduce
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { featureVisualization } from "./feature_viz.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 1, name: "conv" }),
 *   tfl.layers.globalAveragePooling2d({ name: "gap" }),
 * ] });
 * const viz = await featureVisualization(wrapModel(model), "conv", { units: [1, 3], steps: 2, seed: 7 });
 * if (viz.shape.join() !== "2,6,6,3" || viz.units[1] !== 3) throw new Error("example failed");
 * model.dispose();
 * ```
 */
export async function featureVisualization(
  net: Net,
  layer: string,
  options: FeatureVizOptions = {},
): Promise<FeatureViz> {
  const info = checkVizLayer(net, layer);
  const units = checkUnits(info, options.units);
  const resolved = resolveOptions(net, options);
  const { steps, batchSize } = resolved;
  const [h, w, c] = net.inputShape;
  const k = units.length;
  const images = new Float32Array(k * h * w * c);
  const activations = new Float64Array(k);
  const chunks = Math.ceil(k / batchSize);
  const total = chunks * steps;

  for (let chunk = 0; chunk < chunks; chunk++) {
    const chunkUnits = Array.from(units.subarray(chunk * batchSize, (chunk + 1) * batchSize));
    const { images: img, activations: act } = await optimiseChunk(
      net,
      info,
      chunkUnits,
      resolved,
      (step) => options.onProgress?.(chunk * steps + step, total),
    );
    images.set(img, chunk * batchSize * h * w * c);
    activations.set(act, chunk * batchSize);
  }
  return { layer, units, images, shape: [k, h, w, c], activations, options: resolved };
}

/**
 * The scalar activation of every unit of a captured layer output: [N, C]
 * (spatial mean or max of a [N, h, w, C] map; a dense output as it is).
 *
 * @param captured [N, h, w, C] or [N, C]
 * @param reduce `mean` (default) or `max`
 * @returns [N, C]
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { unitActivations } from "./feature_viz.ts";
 * const a = tf.tensor4d([1, 3, 5, 7], [1, 2, 2, 1]);
 * const m = await unitActivations(a, "max").data();
 * if (m[0] !== 7) throw new Error("example failed");
 * ```
 */
export function unitActivations(captured: tf.Tensor, reduce: UnitReduce = "mean"): tf.Tensor2D {
  return tf.tidy(() => {
    if (captured.rank === 2) return captured.clone() as tf.Tensor2D;
    if (captured.rank !== 4) {
      throw new RangeError(
        `a layer output must be [N, h, w, C] or [N, C], got [${captured.shape}]`,
      );
    }
    return (reduce === "max" ? tf.max(captured, [1, 2]) : tf.mean(captured, [1, 2])) as tf.Tensor2D;
  });
}

/**
 * Checks that a layer has neurons to visualise: a [h, w, C] or [C] output.
 *
 * @param net the network
 * @param layer a layer name
 * @returns the layer's description
 * @throws {RangeError} for an unknown layer (listing the known ones);
 *   {@link TypeError} for the input or a layer of another output rank
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { checkVizLayer } from "./feature_viz.ts";
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2, 2, 1], units: 2, name: "d" })] });
 * if (checkVizLayer(wrapModel(model), "d").units !== 2) throw new Error("example failed");
 * model.dispose();
 * ```
 */
export function checkVizLayer(net: Net, layer: string): LayerInfo {
  const info = getLayer(net, layer);
  if (info.kind === "input" || (info.outputShape.length !== 3 && info.outputShape.length !== 1)) {
    throw new TypeError(
      `Layer "${layer}" (${info.className}, output [${info.outputShape}]) has no neurons to ` +
        `visualise; expected a layer with a [h, w, C] or [C] output`,
    );
  }
  return info;
}

/** Validates the requested units against the layer's unit count. */
function checkUnits(info: LayerInfo, units: readonly number[] | undefined): Int32Array {
  const n = info.units;
  if (units === undefined) return Int32Array.from({ length: n }, (_, i) => i);
  if (units.length === 0) {
    throw new RangeError(`units must name at least one unit of layer "${info.name}" (0…${n - 1})`);
  }
  for (const u of units) {
    if (!Number.isInteger(u) || u < 0 || u >= n) {
      throw new RangeError(
        `unit ${u} is out of range for layer "${info.name}", which has ${n} units (0…${n - 1})`,
      );
    }
  }
  return Int32Array.from(units);
}

function resolveOptions(net: Net, o: FeatureVizOptions): ResolvedFeatureVizOptions {
  const steps = o.steps ?? 256;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
  }
  const learningRate = o.learningRate ?? 0.05;
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new RangeError(`learningRate must be a positive number, got ${learningRate}`);
  }
  const batchSize = o.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const parameterization = o.parameterization ?? "fourier";
  if (!PARAMETERIZATIONS.includes(parameterization)) {
    throw new TypeError(
      `parameterization must be one of ${PARAMETERIZATIONS.join(", ")}, got ${
        String(parameterization)
      }`,
    );
  }
  const reduce = o.reduce ?? "mean";
  if (reduce !== "mean" && reduce !== "max") {
    throw new TypeError(`reduce must be "mean" or "max", got ${String(reduce)}`);
  }
  const seed = o.seed ?? 0;
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const side = Math.max(net.inputShape[0], net.inputShape[1]);
  const t = o.transforms ?? true;
  const transforms = t === false
    ? null
    : t === true
    ? transformSettings(side)
    : { ...transformSettings(side), ...t };
  const decorrelate = o.decorrelate ?? true;
  if (typeof decorrelate !== "boolean") checkColorMatrix(decorrelate);
  return {
    steps,
    learningRate,
    parameterization,
    decorrelate,
    transforms,
    reduce,
    batchSize,
    seed,
  };
}

/** Steps during which units with zero activation are revived. */
const RESCUE_STEPS = 32;

/**
 * The loss gradient with respect to the image parameters when some units are
 * dead (activation exactly 0): live images get the true gradient of
 * −activation; dead ones the gradient of +activation under the "deconv" ReLU
 * rule, negated (it keeps, at every ReLU, the gradient components that would
 * raise the activation, ignoring closed ReLUs). A coarser cousin of Lucid's
 * redirected ReLU gradient (`relu_gradient_override` in `render_vis`),
 * which the executor's ReLU rules cannot express exactly. The deconv pass
 * runs on the dead images only, so it costs in proportion to their number.
 */
function rescueGradients(
  param: ImageParam,
  loss: () => tf.Scalar,
  deconvObjective: (rows: tf.Tensor2D) => tf.Scalar,
  dead: Float32Array,
): tf.Tensor {
  const v = param.variable;
  const rows: number[] = [];
  dead.forEach((d, i) => d === 1 && rows.push(i));
  return tf.tidy(() => {
    const standard = tf.variableGrads(loss, [v]).grads[v.name]!;
    const index = tf.tensor2d(rows, [rows.length, 1], "int32");
    const revived = tf.variableGrads(() => deconvObjective(index), [v]).grads[v.name]!;
    const shape = v.shape.map((_, i) => (i === param.imageAxis ? dead.length : 1));
    const mask = tf.tensor(dead, shape);
    // standard·(1 − mask) − revived (revived is 0 outside the dead images).
    return tf.sub(tf.mul(standard, tf.sub(1, mask)), revived);
  });
}

/**
 * Rows of a batch, differentiably: `gatherND` forward, `scatterND` backward
 * (the `gather` gradient needs `UnsortedSegmentSum`, which WASM lacks).
 */
function pickRows(x: tf.Tensor, rows: tf.Tensor2D): tf.Tensor {
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  const width = rest.reduce((a, b) => a * b, 1);
  const f = tf.customGrad((t) => ({
    value: tf.reshape(
      tf.gatherND(tf.reshape(t as tf.Tensor, [n, width]), rows),
      [rows.shape[0], ...rest],
    ),
    gradFunc: (dy) =>
      tf.reshape(
        tf.scatterND(rows, tf.reshape(dy as tf.Tensor, [rows.shape[0], width]), [n, width]),
        x.shape,
      ),
  }));
  return f(x) as tf.Tensor;
}

/** Optimises one chunk of units (one batch element each); returns plain data. */
async function optimiseChunk(
  net: Net,
  info: LayerInfo,
  units: number[],
  o: ResolvedFeatureVizOptions,
  progress: (step: number) => void,
): Promise<{ images: Float32Array; activations: Float32Array }> {
  const [h, w, c] = net.inputShape;
  const k = units.length;
  // Per-unit seeds: a unit's image does not depend on its chunk-mates.
  const seeds = units.map((u) => subSeed(o.seed, 2 * u));
  const rngs: Rng[] = units.map((u) => createRng(subSeed(o.seed, 2 * u + 1)));
  const param = createImageParam([k, h, w, c], {
    parameterization: o.parameterization,
    decorrelate: o.decorrelate,
    seeds,
  });
  // Built in JS: tf.oneHot refuses a depth of 1 (a layer with one unit).
  const oneHot = new Float32Array(k * info.units);
  units.forEach((u, i) => (oneHot[i * info.units + u] = 1));
  const select = tf.tensor2d(oneHot, [k, info.units]);
  const optimizer = createAdam(param.variable, o.learningRate);
  const objective = (
    x: tf.Tensor4D,
    relu: ReluBackward = "standard",
    selected: tf.Tensor = select,
  ): tf.Tensor1D => {
    const captured = runNet(net, x, { capture: [info.name], skipOutput: true, reluBackward: relu })
      .captured[info.name]!;
    return tf.sum(tf.mul(unitActivations(captured, o.reduce), selected), 1) as tf.Tensor1D;
  };
  // Units whose activation is exactly 0 (every ReLU on the way closed) get no
  // gradient; during the first steps they are revived with the "deconv"
  // ReLU backward rule (see rescueGradients).
  let dead: Float32Array | null = null;
  try {
    for (let step = 0; step < o.steps; step++) {
      const plan = o.transforms
        ? samplingPlan([k, h, w, c], drawTransforms(rngs, o.transforms), o.transforms)
        : null;
      const render = () => {
        const img = param.render();
        return plan ? applyTransforms(img, plan) : img;
      };
      const watch = step < RESCUE_STEPS;
      let values: tf.Tensor | null = null;
      try {
        const f = () => {
          const obj = objective(render());
          if (watch) values = tf.keep(tf.clone(obj));
          return tf.neg(tf.sum(obj)) as tf.Scalar;
        };
        if (dead) {
          const grads = rescueGradients(
            param,
            f,
            (rows) =>
              tf.sum(
                objective(
                  pickRows(render(), rows) as tf.Tensor4D,
                  "deconv",
                  tf.gatherND(select, rows),
                ),
              ) as tf.Scalar,
            dead,
          );
          optimizer.step(grads);
          grads.dispose();
        } else {
          const { value, grads } = tf.variableGrads(f, [param.variable]);
          optimizer.step(grads[param.variable.name]!);
          tf.dispose([value, ...Object.values(grads)]);
        }
        if (values) {
          const v = (await (values as tf.Tensor).data()) as Float32Array;
          const zero = Float32Array.from(v, (a) => (a === 0 ? 1 : 0));
          dead = zero.some((z) => z === 1) && step + 1 < RESCUE_STEPS ? zero : null;
        } else dead = null;
      } finally {
        if (plan) disposePlan(plan);
        if (values) (values as tf.Tensor).dispose();
      }
      progress(step + 1);
      // Yield now and then so a notebook's progress display can update.
      if ((step & 15) === 15) await new Promise((r) => setTimeout(r, 0));
    }
    const [img, act] = tf.tidy(() => {
      const x = param.render();
      return [x, objective(x)];
    });
    try {
      return {
        images: (await img.data()) as Float32Array,
        activations: (await act.data()) as Float32Array,
      };
    } finally {
      tf.dispose([img, act]);
    }
  } finally {
    optimizer.dispose();
    tf.dispose(select);
    param.dispose();
  }
}
