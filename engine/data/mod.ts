/**
 * Data sources and batching: MNIST, Fashion-MNIST, image folders, synthetic
 * concept scenes with exact masks, IDX files, and seeded batch iteration.
 *
 * Every source returns an {@linkcode ImageSet}: NHWC float32 pixels in [0, 1],
 * integer labels and class names.
 *
 * @example
 * ```ts
 * import { batches, scenes } from "./mod.ts";
 * const set = scenes({ count: 8, size: 32 });
 * let seen = 0;
 * for (const batch of batches(set, { batchSize: 4, shuffle: true, seed: 1 })) seen += batch.shape[0];
 * if (seen !== 8) throw new Error("missed images");
 * ```
 *
 * @module
 */
export type {
  Concept,
  ConceptSet,
  ImageSet,
  SceneCategory,
  SceneInfo,
  SceneObject,
  SceneSet,
} from "./types.ts";
export {
  encodeIdx,
  gunzip,
  type IdxArray,
  type IdxData,
  type IdxType,
  isGzip,
  parseIdx,
  readIdx,
} from "./idx.ts";
export {
  clearMnistCache,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  fashionMnist,
  type FashionMnistOptions,
  mnist,
  MNIST_CLASSES,
  type MnistOptions,
} from "./mnist.ts";
export { decodeImage, imageFolder, type ImageFolderOptions } from "./image_folder.ts";
export { broden, type BrodenOptions, type BrodenSet } from "./broden.ts";
export {
  BRODEN_COLUMNS,
  type BrodenColumn,
  writeBroden,
  type WriteBrodenOptions,
} from "./broden_write.ts";
export {
  SCENE_BACKGROUNDS,
  SCENE_COLORS,
  SCENE_CONCEPTS,
  SCENE_SHAPES,
  SCENE_TEXTURES,
  sceneConcept,
  type SceneOptions,
  scenes,
} from "./scenes.ts";
export { type Batch, batches, type BatchOptions, permutation, subset } from "./batching.ts";
