/**
 * The two default models shipped in `models/`: how they are trained (data,
 * seeds, epochs) and where they live. `deno task train` runs these recipes;
 * `models/` holds exactly what they produce.
 *
 * @module
 */
import type { ImageSet } from "../data/types.ts";
import { mnist } from "../data/mnist.ts";
import { scenes } from "../data/scenes.ts";
import { mnistCnn, scenesCnn } from "./architectures.ts";
import { type EpochInfo, trainModel } from "./train.ts";
import { saveModel } from "../net/io.ts";
import { loadNet } from "../net/io.ts";
import type { Net } from "../net/net.ts";
import type { tfl } from "../deps.ts";

/** Names of the default models. */
export const DEFAULT_MODEL_NAMES = ["mnist-cnn", "scenes-cnn"] as const;
/** One of {@link DEFAULT_MODEL_NAMES}. */
export type DefaultModelName = typeof DEFAULT_MODEL_NAMES[number];

/** Scenes used for training / testing `scenes-cnn` (disjoint by offset). */
export const SCENES_SPLITS = {
  train: { seed: 0, offset: 0, count: 10_000 },
  test: { seed: 0, offset: 1_000_000, count: 2_000 },
} as const;

interface Recipe {
  build(): tfl.LayersModel;
  data(split: "train" | "test", limit?: number): Promise<ImageSet>;
  epochs: number;
  batchSize: number;
  learningRate: number;
  learningRateDecay: number;
  keepCheckpoints: boolean;
}

const RECIPES: Record<DefaultModelName, Recipe> = {
  "mnist-cnn": {
    build: () => mnistCnn({ seed: 1 }),
    data: (split, limit) => mnist(limit === undefined ? { split } : { split, limit }),
    epochs: 6,
    batchSize: 64,
    learningRate: 1e-3,
    learningRateDecay: 0.6,
    keepCheckpoints: false,
  },
  "scenes-cnn": {
    build: () => scenesCnn(7, { seed: 2 }),
    data: (split, limit) => {
      const s = SCENES_SPLITS[split];
      return Promise.resolve(scenes({
        seed: s.seed,
        offset: s.offset,
        count: Math.min(limit ?? s.count, s.count),
      }));
    },
    epochs: 12,
    batchSize: 64,
    learningRate: 2e-3,
    learningRateDecay: 1,
    keepCheckpoints: true,
  },
};

/**
 * The `model.json` URL of a default model inside this module.
 *
 * @param name a default model name
 * @returns a URL that {@link loadNet} accepts
 */
export function defaultModelUrl(name: DefaultModelName): URL {
  return new URL(`../../models/${name}/model.json`, import.meta.url);
}

/**
 * Loads a default model.
 *
 * @throws {TypeError} for an unknown name, listing the known ones
 */
export function loadDefaultNet(name: DefaultModelName): Promise<Net> {
  checkName(name);
  return loadNet(defaultModelUrl(name), { name });
}

/**
 * The data set a default model was trained and is tested on.
 *
 * @param name a default model name
 * @param split "train" or "test"
 * @param limit at most this many images (default: all of the split)
 */
export function defaultData(
  name: DefaultModelName,
  split: "train" | "test",
  limit?: number,
): Promise<ImageSet> {
  checkName(name);
  return RECIPES[name].data(split, limit);
}

/** Options of {@link trainDefaultModel}. */
export interface TrainDefaultOptions {
  /** Output folder. Default: this module's `models/<name>`. */
  dir?: string;
  /** Override the recipe's epochs (e.g. for a quick check). */
  epochs?: number;
  /** Called after each epoch. */
  onEpoch?: (info: EpochInfo) => void;
  /** Called after each step. */
  onStep?: (done: number, total: number) => void;
}

/**
 * Trains a default model from scratch with its recipe and saves it (and, for
 * `scenes-cnn`, every epoch's checkpoint under `checkpoints/`).
 *
 * @returns the epoch history
 */
export async function trainDefaultModel(
  name: DefaultModelName,
  options: TrainDefaultOptions = {},
): Promise<EpochInfo[]> {
  checkName(name);
  const recipe = RECIPES[name];
  const dir = options.dir ?? new URL(`../../models/${name}`, import.meta.url).pathname;
  const train = await recipe.data("train");
  const test = await recipe.data("test");
  const model = recipe.build();
  const metadata = { classNames: train.classNames, trainedOn: train.name };
  // Train into a side folder and swap at the end: an interrupted run never
  // leaves the shipped model half-written.
  const partial = `${dir}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  const history = await trainModel(model, train, {
    epochs: options.epochs ?? recipe.epochs,
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    learningRateDecay: recipe.learningRateDecay,
    seed: 0,
    validation: test,
    metadata,
    ...(recipe.keepCheckpoints ? { checkpointDir: `${partial}/checkpoints` } : {}),
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
  const last = history[history.length - 1]!;
  await saveModel(model, partial, {
    ...metadata,
    epochs: history.length,
    testAccuracy: last.valAccuracy,
  });
  model.dispose();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
  return history;
}

function checkName(name: string): asserts name is DefaultModelName {
  if (!(DEFAULT_MODEL_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(
      `Unknown default model "${name}"; known: ${DEFAULT_MODEL_NAMES.join(", ")}`,
    );
  }
}
