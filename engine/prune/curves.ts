/**
 * The pruning experiment (METHODS.md §5): zero whole channels of one or
 * several conv layers in the order of each ranking, at ratios 0 … 0.9, and
 * measure test accuracy and loss at every step.
 *
 * Every distinct (ranking, repeat, ratio) mask is a "configuration"; equal
 * masks (ratio 0 for every ranking, say) are evaluated once. For one layer,
 * each image batch runs up to that layer once: its output is captured,
 * repeated for a chunk of configurations along the batch axis and fed back
 * (`replace`) with a per-row channel mask [rows, C], so only the layers
 * after it run again for each configuration (plus branches that bypass it).
 * For several layers every configuration needs a full forward pass; these
 * are batched along the batch axis the same way.
 *
 * Masks zero the conv layer's output. A BatchNorm right after it would add
 * its shift back; the default models have none.
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { ImageSet } from "../data/types.ts";
import { type LayerNeuronStats, neuronStats } from "../neurons/activation_stats.ts";
import { runNet } from "../net/executor.ts";
import { getConvLayer, type Net } from "../net/net.ts";
import { checkImageSet } from "../net/predict.ts";
import { subSeed } from "../random.ts";
import { checkRatio, pruningMask } from "./masks.ts";
import { type PruningRanking, pruningRanking, type RankingContext } from "./rankings.ts";

/** A ranking given by name (see `PRUNING_RANKINGS`) or as an object with a name. */
export type RankingSpec = string | ({ name: string } & PruningRanking);

/** Options of {@link pruningCurves}. */
export interface PruningOptions {
  /** Conv layers to prune (several: the same ratio in each). Required. */
  layers: readonly string[];
  /**
   * Rankings to compare. Default: l1, meanActivation, taylor, random, plus
   * neuronImAscending, neuronImDescending and randomReversed (their noise
   * yardstick, see `PRUNING_RANKINGS`) when `scores` is given.
   */
  rankings?: readonly RankingSpec[];
  /** Fractions of each layer's channels to remove. Default: 0, 0.1, …, 0.9. */
  ratios?: readonly number[];
  /** Per layer, one score per unit, for the NeuronIM rankings. Default: none. */
  scores?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * Labelled images for the data-driven rankings (meanActivation, taylor).
   * Default: the test set itself (then the ranking has seen the test data;
   * pass a training subset for an unbiased estimate).
   */
  rankingSet?: ImageSet;
  /** Repeats of random rankings (different seeds). Default: 3. */
  repeats?: number;
  /** Seed of the random rankings. Default: 0. */
  seed?: number;
  /** Test images per base pass. Default: 64. */
  batchSize?: number;
  /** Rows (image × configuration) per downstream pass. Default: 512. */
  rowBatchSize?: number;
  /** Called with (image batches done, total) as the test set is processed. Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** Accuracy and loss of one ranking along the ratios. */
export interface PruningCurve {
  /** Ranking name. */
  ranking: string;
  /** The ratios, as given. */
  ratios: number[];
  /** Accuracy at each ratio (mean over repeats). */
  accuracy: number[];
  /** Mean cross-entropy at each ratio (mean over repeats). */
  loss: number[];
  /** Sample standard deviation of the accuracy over repeats; null for one repeat. */
  accuracyStd: number[] | null;
  /** Sample standard deviation of the loss over repeats; null for one repeat. */
  lossStd: number[] | null;
  /** Accuracy per repeat and ratio ([repeats][ratios]). */
  accuracyByRepeat: number[][];
  /** Loss per repeat and ratio ([repeats][ratios]). */
  lossByRepeat: number[][];
  /** Repeats (1 for deterministic rankings). */
  repeats: number;
  /** Per layer, per repeat, unit indices in pruning order (first pruned first). */
  orders: Record<string, number[][]>;
}

/** The whole experiment (plain data, JSON-ready). */
export interface PruningReport {
  /** Model name. */
  model: string;
  /** Pruned layers. */
  layers: string[];
  /** Channels of each pruned layer. */
  units: number[];
  /** Test images. */
  images: number;
  /** The ratios. */
  ratios: number[];
  /** Accuracy and loss with nothing pruned. */
  baseline: { accuracy: number; loss: number };
  /** One curve per ranking, in the order asked. */
  curves: PruningCurve[];
  /** Wall-clock seconds of the whole experiment. */
  seconds: number;
}

interface Config {
  masks: Float32Array[];
  loss: number;
  correct: number;
}

/**
 * Accuracy and loss curves of pruning one or several conv layers by each ranking.
 *
 * @param net the network
 * @param testSet labelled test images
 * @param options see {@link PruningOptions}
 * @returns the report
 * @throws {TypeError} for an unknown ranking, a non-conv layer or missing
 *   NeuronIM scores; {@link RangeError} for an unknown layer, an empty set,
 *   a ratio outside [0, 1], labels out of range or bad counts
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { pruningCurves } from "./curves.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 4, kernelSize: 3, name: "c" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] }));
 * const set = { name: "toy", images: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)),
 *   shape: [2, 4, 4, 1] as [number, number, number, number],
 *   labels: Int32Array.from([0, 1]), classNames: ["a", "b"] };
 * const r = await pruningCurves(net, set, { layers: ["c"], rankings: ["l1", "random"], ratios: [0, 0.5, 1] });
 * if (!(r.curves.length === 2 && r.curves[0]!.accuracy[0] === r.baseline.accuracy)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 */
export async function pruningCurves(
  net: Net,
  testSet: ImageSet,
  options: PruningOptions,
): Promise<PruningReport> {
  const t0 = performance.now();
  const layers = [...(options.layers ?? [])];
  if (layers.length === 0) {
    throw new RangeError("options.layers is empty; name the conv layers to prune");
  }
  const units = layers.map((l) => getConvLayer(net, l).units);
  const repeated = layers.find((l, i) => layers.indexOf(l) !== i);
  if (repeated !== undefined) {
    throw new RangeError(`Layer "${repeated}" is listed twice in options.layers`);
  }
  checkLabelledSet(net, testSet, "test set");
  const rankingSet = options.rankingSet ?? testSet;
  if (options.rankingSet) checkLabelledSet(net, rankingSet, "ranking set");
  const specs = options.rankings ??
    [
      "l1",
      "meanActivation",
      "taylor",
      "random",
      ...(options.scores ? ["neuronImAscending", "neuronImDescending", "randomReversed"] : []),
    ];
  if (specs.length === 0) throw new RangeError("options.rankings is empty");
  const rankings = specs.map((s) => typeof s === "string" ? { name: s, ...pruningRanking(s) } : s);
  const ratios = [...(options.ratios ?? Array.from({ length: 10 }, (_, i) => i / 10))];
  if (ratios.length === 0) throw new RangeError("options.ratios is empty");
  ratios.forEach(checkRatio);
  const repeats = options.repeats ?? 3;
  const batchSize = options.batchSize ?? 64;
  const rowBatch = options.rowBatchSize ?? 512;
  const counts = { repeats, batchSize, rowBatchSize: rowBatch };
  for (const [name, v] of Object.entries(counts)) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`${name} is ${v}; expected a positive integer`);
    }
  }
  const seed = options.seed ?? 0;

  let stats: Promise<LayerNeuronStats[]> | null = null;
  const context = (repeat: number): RankingContext => ({
    net,
    layers,
    scores: options.scores,
    seed: subSeed(seed, repeat),
    stats: () => (stats ??= neuronStats(net, rankingSet, { layers, batchSize })),
  });
  // Orders first (they validate scores before any expensive pass).
  const orders: Int32Array[][][] = [];
  for (const r of rankings) {
    const n = r.random ? repeats : 1;
    const per: Int32Array[][] = [];
    for (let rep = 0; rep < n; rep++) {
      const o = await r.order(context(rep));
      o.forEach((order, li) => {
        const distinct = new Set(order);
        if (order.length !== units[li] || distinct.size !== units[li]) {
          throw new RangeError(
            `Ranking ${r.name} gave ${order.length} units (${distinct.size} distinct) for ` +
              `${layers[li]}; expected a permutation of its ${units[li]} units`,
          );
        }
      });
      per.push(o);
    }
    orders.push(per);
  }

  // Distinct masks → configurations; index [ranking][repeat][ratio] → configuration.
  const configs: Config[] = [];
  const byKey = new Map<string, number>();
  const configOf = (masks: Float32Array[]) => {
    const key = masks.map((m) => m.join("")).join("|");
    let i = byKey.get(key);
    if (i === undefined) {
      i = configs.push({ masks, loss: 0, correct: 0 }) - 1;
      byKey.set(key, i);
    }
    return i;
  };
  const baseline = configOf(units.map((u) => new Float32Array(u).fill(1)));
  const index = orders.map((per) =>
    per.map((o) => ratios.map((ratio) => configOf(o.map((order) => pruningMask(order, ratio)))))
  );

  await evaluateConfigs(net, testSet, layers, configs, batchSize, rowBatch, options.onProgress);
  const n = testSet.shape[0];
  const curves = rankings.map((r, ri): PruningCurve => {
    const reps = index[ri]!;
    const acc = reps.map((cfgs) => cfgs.map((c) => configs[c]!.correct / n));
    const loss = reps.map((cfgs) => cfgs.map((c) => configs[c]!.loss / n));
    const layerOrders: Record<string, number[][]> = {};
    layers.forEach((l, li) => (layerOrders[l] = orders[ri]!.map((o) => Array.from(o[li]!))));
    return {
      ranking: r.name,
      ratios,
      accuracy: columnMean(acc),
      loss: columnMean(loss),
      accuracyStd: reps.length > 1 ? columnStd(acc) : null,
      lossStd: reps.length > 1 ? columnStd(loss) : null,
      accuracyByRepeat: acc,
      lossByRepeat: loss,
      repeats: reps.length,
      orders: layerOrders,
    };
  });
  return {
    model: net.name,
    layers,
    units,
    images: n,
    ratios,
    baseline: { accuracy: configs[baseline]!.correct / n, loss: configs[baseline]!.loss / n },
    curves,
    seconds: (performance.now() - t0) / 1000,
  };
}

function checkLabelledSet(net: Net, set: ImageSet, what: string): void {
  checkImageSet(net, set);
  const n = set.shape[0];
  if (n === 0) throw new RangeError(`The ${what} ${set.name} is empty`);
  if (set.labels.length !== n) {
    throw new RangeError(`The ${what} ${set.name} has ${set.labels.length} labels for ${n} images`);
  }
  for (let i = 0; i < n; i++) {
    const y = set.labels[i]!;
    if (!(y >= 0 && y < net.numClasses)) {
      throw new RangeError(
        `Label ${y} of image ${i} of ${set.name} is outside 0..${net.numClasses - 1}`,
      );
    }
  }
}

/** Whether the network output depends on the input other than through `layer`. */
function bypasses(net: Net, layer: string): boolean {
  const { graph } = net;
  const producer = new Map<number, (typeof graph.steps)[number]>();
  for (const step of graph.steps) for (const s of step.outputs) producer.set(s, step);
  const stack = [...graph.outputSlots];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const slot = stack.pop()!;
    if (seen.has(slot)) continue;
    seen.add(slot);
    const step = producer.get(slot);
    if (!step) return true;
    if (step.name !== layer) stack.push(...step.inputs);
  }
  return false;
}

/** Folds the loss and correctness of every configuration over the test set into `configs`. */
async function evaluateConfigs(
  net: Net,
  set: ImageSet,
  layers: readonly string[],
  configs: Config[],
  batchSize: number,
  rowBatch: number,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<void> {
  const [n, h, w, c] = set.shape;
  const per = h * w * c;
  const single = layers.length === 1 ? layers[0]! : null;
  const needImages = single === null || bypasses(net, single);
  const k = net.numClasses;
  const batches = Math.ceil(n / batchSize);
  for (let b = 0; b < batches; b++) {
    const start = b * batchSize;
    const m = Math.min(batchSize, n - start);
    const x = tf.tensor4d(set.images.subarray(start * per, (start + m) * per), [m, h, w, c]);
    // One layer: run up to it once per image batch and reuse its output.
    const captured = single
      ? tf.tidy(() => runNet(net, x, { capture: [single], skipOutput: true }).captured[single]!)
      : null;
    try {
      const perChunk = Math.max(1, Math.floor(rowBatch / m));
      for (let first = 0; first < configs.length; first += perChunk) {
        const chunk = configs.slice(first, first + perChunk);
        const rows = chunk.length * m;
        const logits = tf.tidy(() => {
          // Rows are configuration-major: row = config·m + image.
          // concat of copies, not tf.tile: on WASM tile is ~20× slower
          // (512×14×14×32 floats: 400 ms vs 20 ms).
          const tile = (t: tf.Tensor) =>
            chunk.length === 1 ? t : tf.concat(new Array<tf.Tensor>(chunk.length).fill(t));
          const channelMask: Record<string, tf.Tensor> = {};
          layers.forEach((l, li) => {
            const units = chunk[0]!.masks[li]!.length;
            const data = new Float32Array(rows * units);
            chunk.forEach((cfg, ci) => {
              for (let i = 0; i < m; i++) data.set(cfg.masks[li]!, (ci * m + i) * units);
            });
            channelMask[l] = tf.tensor2d(data, [rows, units]);
          });
          const run = single
            ? runNet(net, needImages ? tile(x) : null, {
              output: "logits",
              replace: { [single]: tile(captured!) },
              channelMask,
            })
            : runNet(net, tile(x), { output: "logits", channelMask });
          return run.output;
        });
        try {
          const z = await logits.data();
          chunk.forEach((cfg, ci) => {
            for (let i = 0; i < m; i++) {
              const row = z.subarray((ci * m + i) * k, (ci * m + i + 1) * k);
              const [loss, correct] = crossEntropy(row, set.labels[start + i]!);
              cfg.loss += loss;
              cfg.correct += correct;
            }
          });
        } finally {
          logits.dispose();
        }
      }
    } finally {
      x.dispose();
      captured?.dispose();
    }
    onProgress?.(b + 1, batches);
  }
}

/** Cross-entropy of softmax(row) against the label, and 1 when the top class is the label (as `scoreLogits`). */
function crossEntropy(row: ArrayLike<number>, label: number): [number, number] {
  let best = 0;
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) {
    if (row[j]! > max) {
      max = row[j]!;
      best = j;
    }
  }
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j]! - max);
  return [Math.log(sum) + max - row[label]!, best === label ? 1 : 0];
}

function columnMean(rows: number[][]): number[] {
  return rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
}

function columnStd(rows: number[][]): number[] {
  const mean = columnMean(rows);
  return mean.map((mu, j) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mu) ** 2, 0) / (rows.length - 1))
  );
}
