/**
 * A seeded training loop over tfjs-layers (`trainOnBatch` with Adam and
 * cross-entropy), with a checkpoint per epoch and epoch callbacks (the hook
 * that the training monitor uses).
 *
 * Deterministic: batches are drawn from a seeded permutation and the
 * architectures seed their initialisers, so the same seed on the same
 * backend gives the same weights.
 *
 * @module
 */
import { tf, type tfl } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { createRng, subSeed } from "../random.ts";
import { saveModel } from "../net/io.ts";
import { wrapModel } from "../net/net.ts";
import { evaluate } from "../net/predict.ts";

/** What an epoch callback receives. */
export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /** The model being trained (do not dispose). */
  model: tfl.LayersModel;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  /** Training accuracy over the epoch's batches (measured during training). */
  trainAccuracy: number;
  /** Accuracy on the validation set, when one was given. */
  valAccuracy: number | null;
  /** Loss on the validation set, when one was given. */
  valLoss: number | null;
  /** Seconds the epoch's training took (validation excluded). */
  seconds: number;
  /** Where this epoch's checkpoint was written, or null. */
  checkpoint: string | null;
}

/** Called after every epoch; may be async. */
export type EpochCallback = (info: EpochInfo) => void | Promise<void>;

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** Number of passes over the training set. Default: 3. */
  epochs?: number;
  /** Images per step. Default: 64. */
  batchSize?: number;
  /** Adam learning rate of the first epoch. Default: 1e-3. */
  learningRate?: number;
  /** Factor applied to the learning rate after each epoch. Default: 1 (constant). */
  learningRateDecay?: number;
  /** Seed of the batch order. Default: 0. */
  seed?: number;
  /** Evaluated after each epoch. Default: none. */
  validation?: ImageSet;
  /** When set, each epoch's weights are saved to `<dir>/epoch-NN/`. Default: none. */
  checkpointDir?: string;
  /** Metadata saved with checkpoints (e.g. class names). Default: `{}`. */
  metadata?: Record<string, unknown>;
  /** Called after each epoch. Default: none. */
  onEpoch?: EpochCallback | readonly EpochCallback[];
  /** Called after each step with (steps done, total steps). Default: none. */
  onStep?: (done: number, total: number) => void;
}

/**
 * Trains a classifier (softmax output) on a labelled image set.
 *
 * @param model a model with a softmax output over `set.classNames`
 * @param set the training images and labels
 * @param options see {@link TrainOptions}
 * @returns one record per epoch
 * @throws {RangeError} for an empty set or labels out of range
 */
export async function trainModel(
  model: tfl.LayersModel,
  set: ImageSet,
  options: TrainOptions = {},
): Promise<EpochInfo[]> {
  const epochs = options.epochs ?? 3;
  const batchSize = options.batchSize ?? 64;
  const seed = options.seed ?? 0;
  const callbacks = [options.onEpoch ?? []].flat();
  const [n, h, w, c] = set.shape;
  const k = set.classNames.length;
  if (n === 0) throw new RangeError(`Training set ${set.name} is empty`);
  for (let i = 0; i < n; i++) {
    const label = set.labels[i]!;
    if (!(label >= 0 && label < k)) {
      throw new RangeError(`Label ${label} of image ${i} is outside 0..${k - 1}`);
    }
  }
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  model.compile({
    optimizer,
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const per = h * w * c;
  const steps = Math.ceil(n / batchSize);
  const history: EpochInfo[] = [];
  const xBuffer = new Float32Array(batchSize * per);
  const yBuffer = new Int32Array(batchSize);

  for (let epoch = 1; epoch <= epochs; epoch++) {
    // Adam reads its (otherwise private) rate at every step, so a per-epoch
    // schedule is a plain assignment.
    (optimizer as unknown as { learningRate: number }).learningRate =
      (options.learningRate ?? 1e-3) * (options.learningRateDecay ?? 1) ** (epoch - 1);
    const order = createRng(subSeed(seed, epoch)).shuffle(Array.from({ length: n }, (_, i) => i));
    const started = performance.now();
    let lossSum = 0;
    let accSum = 0;
    for (let step = 0; step < steps; step++) {
      const idx = order.slice(step * batchSize, (step + 1) * batchSize);
      idx.forEach((j, b) => {
        xBuffer.set(set.images.subarray(j * per, (j + 1) * per), b * per);
        yBuffer[b] = set.labels[j]!;
      });
      const m = idx.length;
      const [x, y] = tf.tidy(() => [
        tf.tensor4d(xBuffer.subarray(0, m * per), [m, h, w, c]),
        tf.oneHot(tf.tensor1d(yBuffer.subarray(0, m), "int32"), k),
      ]);
      try {
        const [loss, acc] = (await model.trainOnBatch(x!, y!)) as number[];
        lossSum += loss! * m;
        accSum += acc! * m;
      } finally {
        tf.dispose([x!, y!]);
      }
      options.onStep?.((epoch - 1) * steps + step + 1, epochs * steps);
    }
    const seconds = (performance.now() - started) / 1000;
    let valAccuracy: number | null = null;
    let valLoss: number | null = null;
    if (options.validation) {
      const e = await evaluate(wrapModel(model), options.validation);
      valAccuracy = e.accuracy;
      valLoss = e.loss;
    }
    let checkpoint: string | null = null;
    if (options.checkpointDir) {
      checkpoint = `${options.checkpointDir}/epoch-${String(epoch).padStart(2, "0")}`;
      await saveModel(model, checkpoint, { ...options.metadata, epoch });
    }
    const info: EpochInfo = {
      epoch,
      model,
      trainLoss: lossSum / n,
      trainAccuracy: accSum / n,
      valAccuracy,
      valLoss,
      seconds,
      checkpoint,
    };
    history.push(info);
    for (const cb of callbacks) await cb(info);
  }
  return history;
}
