/**
 * A linear softmax probe (Alain & Bengio 2016, "Understanding intermediate
 * layers using linear classifier probes"): multinomial logistic regression
 * p(y | x) = softmax(W·z + b) on standardised features z = (x − μ) / σ,
 * minimising mean cross-entropy + (λ/2)‖W‖² with Adam (Kingma & Ba 2015).
 *
 * Deterministic: weights start at zero (the problem is convex, so nothing
 * is lost) and mini-batches, when asked for, follow a seeded permutation.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { createRng, subSeed } from "../random.ts";

/** Features and labels a probe is trained on. */
export interface ProbeData {
  /** Row-major [N, D] features. */
  features: Float32Array;
  /** Class of each row, length N, in 0..numClasses−1. */
  labels: Int32Array;
  /** Number of classes K (≥ 2). */
  numClasses: number;
}

/** Options of {@link trainSoftmaxProbe}. */
export interface SoftmaxProbeOptions {
  /** Passes over the data. Default: 300. */
  epochs?: number;
  /** Adam learning rate. Default: 0.05. */
  learningRate?: number;
  /** L2 penalty λ on the weights (not the bias). Default: 1e-4. */
  l2?: number;
  /** Rows per step; 0 = full batch (the default, deterministic without a seed). */
  batchSize?: number;
  /** Seed of the mini-batch order. Default: 0. */
  seed?: number;
}

/** A trained probe: plain arrays, ready to apply with {@link probeProbabilities}. */
export interface SoftmaxProbe {
  /** Feature dimension D. */
  dims: number;
  /** Classes K. */
  numClasses: number;
  /** Per-feature mean μ used to standardise, length D. */
  mean: Float32Array;
  /** Per-feature scale σ (1 for a constant feature), length D. */
  scale: Float32Array;
  /** Row-major [D, K] weights on standardised features. */
  weights: Float32Array;
  /** [K] biases. */
  bias: Float32Array;
  /** Final training loss (cross-entropy + penalty). */
  loss: number;
}

/**
 * Trains a multinomial logistic-regression probe (Alain & Bengio 2016) with Adam.
 *
 * @param data features [N, D], labels and number of classes
 * @param options see {@link SoftmaxProbeOptions}
 * @returns the probe (plain arrays)
 * @throws {RangeError} for an empty set, mismatched lengths, labels out of
 *   range or bad options; {@link TypeError} for non-finite features
 *
 * @example
 * ```ts
 * import { probeProbabilities, trainSoftmaxProbe } from "./softmax_probe.ts";
 * const data = { features: Float32Array.from([0, 1, 1, 0]), labels: Int32Array.from([0, 1]), numClasses: 2 };
 * const probe = await trainSoftmaxProbe(data, { epochs: 50 });
 * const p = await probeProbabilities(probe, data.features);
 * if (!(p[0]! > 0.5 && p[3]! > 0.5)) throw new Error("example failed");
 * ```
 */
export async function trainSoftmaxProbe(
  data: ProbeData,
  options: SoftmaxProbeOptions = {},
): Promise<SoftmaxProbe> {
  const { features, labels, numClasses: k } = data;
  const n = labels.length;
  if (n === 0) throw new RangeError("Cannot train a probe on 0 rows");
  if (!(Number.isInteger(k) && k >= 2)) {
    throw new RangeError(`numClasses is ${k}; expected an integer ≥ 2`);
  }
  if (features.length % n !== 0 || features.length === 0) {
    throw new RangeError(`${features.length} feature values do not split into ${n} rows`);
  }
  const d = features.length / n;
  for (let i = 0; i < n; i++) {
    if (!(labels[i]! >= 0 && labels[i]! < k)) {
      throw new RangeError(`Label ${labels[i]} of row ${i} is outside 0..${k - 1}`);
    }
  }
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) {
      throw new TypeError(`Feature value ${features[i]} at index ${i}; expected finite values`);
    }
  }
  const epochs = options.epochs ?? 300;
  const lr = options.learningRate ?? 0.05;
  const l2 = options.l2 ?? 1e-4;
  const batch = options.batchSize ?? 0;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(epochs) && epochs > 0)) {
    throw new RangeError(`epochs is ${epochs}; expected a positive integer`);
  }
  if (!(lr > 0) || !(l2 >= 0)) {
    throw new RangeError(`learningRate ${lr} must be > 0 and l2 ${l2} ≥ 0`);
  }
  if (!(Number.isInteger(batch) && batch >= 0)) {
    throw new RangeError(`batchSize is ${batch}; expected 0 (full batch) or a positive integer`);
  }

  // Standardise in float64 so that features of very different scales
  // (early vs late layers) train with the same learning rate.
  const mean = new Float32Array(d);
  const scale = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += features[i * d + j]!;
    const mu = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (features[i * d + j]! - mu) ** 2;
    const sd = Math.sqrt(v / n);
    mean[j] = mu;
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  const z = standardise(features, mean, scale);

  const [x, y] = tf.tidy(() => [
    tf.tensor2d(z, [n, d]),
    tf.cast(tf.oneHot(tf.tensor1d(labels, "int32"), k), "float32"),
  ]);
  let params = [tf.zeros([d, k]), tf.zeros([k])];
  let m1 = params.map((p) => tf.zerosLike(p));
  let m2 = params.map((p) => tf.zerosLike(p));
  const lossOf = (w: tf.Tensor, b: tf.Tensor, xb: tf.Tensor, yb: tf.Tensor) => {
    const logits = tf.add(tf.matMul(xb, w), b);
    const ce = tf.mean(tf.neg(tf.sum(tf.mul(yb, tf.logSoftmax(logits)), 1)));
    return tf.add(ce, tf.mul(0.5 * l2, tf.sum(tf.square(w)))) as tf.Scalar;
  };
  const b1 = 0.9;
  const b2 = 0.999;
  let t = 0;
  const rng = createRng(subSeed(seed, 1));
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const chunks: (number[] | null)[] = batch === 0 || batch >= n ? [null] : [];
      if (chunks.length === 0) {
        const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
        for (let s = 0; s < n; s += batch) chunks.push(order.slice(s, s + batch));
      }
      for (const rows of chunks) {
        t++;
        const next = tf.tidy(() => {
          const idx = rows ? tf.tensor1d(rows, "int32") : null;
          const xb = idx ? tf.gather(x, idx) : x;
          const yb = idx ? tf.gather(y, idx) : y;
          const g = tf.grads((w: tf.Tensor, b: tf.Tensor) => lossOf(w, b, xb, yb))(params);
          const out: tf.Tensor[][] = [[], [], []];
          params.forEach((p, i) => {
            const mi = tf.add(tf.mul(b1, m1[i]!), tf.mul(1 - b1, g[i]!));
            const vi = tf.add(tf.mul(b2, m2[i]!), tf.mul(1 - b2, tf.square(g[i]!)));
            const mh = tf.div(mi, 1 - b1 ** t);
            const vh = tf.div(vi, 1 - b2 ** t);
            out[0]!.push(tf.sub(p, tf.div(tf.mul(lr, mh), tf.add(tf.sqrt(vh), 1e-8))));
            out[1]!.push(mi);
            out[2]!.push(vi);
          });
          return out;
        });
        tf.dispose([...params, ...m1, ...m2]);
        [params, m1, m2] = next as [tf.Tensor[], tf.Tensor[], tf.Tensor[]];
      }
    }
    const finalLoss = tf.tidy(() => lossOf(params[0]!, params[1]!, x, y));
    try {
      return {
        dims: d,
        numClasses: k,
        mean,
        scale,
        weights: (await params[0]!.data()) as Float32Array,
        bias: (await params[1]!.data()) as Float32Array,
        loss: (await finalLoss.data())[0]!,
      };
    } finally {
      finalLoss.dispose();
    }
  } finally {
    tf.dispose([x, y, ...params, ...m1, ...m2]);
  }
}

/**
 * Class probabilities of a probe on new features (softmax(W·z + b), eq. of
 * {@link trainSoftmaxProbe}).
 *
 * @param probe a trained probe
 * @param features row-major [N, D] raw (unstandardised) features
 * @returns row-major [N, K] probabilities
 * @throws {RangeError} when the length is not a multiple of D
 */
export async function probeProbabilities(
  probe: SoftmaxProbe,
  features: Float32Array,
): Promise<Float32Array> {
  const d = probe.dims;
  if (features.length % d !== 0) {
    throw new RangeError(`${features.length} feature values are not rows of ${d} features`);
  }
  const n = features.length / d;
  if (n === 0) return new Float32Array(0);
  const p = tf.tidy(() =>
    tf.softmax(tf.add(
      tf.matMul(
        tf.tensor2d(standardise(features, probe.mean, probe.scale), [n, d]),
        tf.tensor2d(probe.weights, [d, probe.numClasses]),
      ),
      tf.tensor1d(probe.bias),
    ))
  );
  try {
    return (await p.data()) as Float32Array;
  } finally {
    p.dispose();
  }
}

function standardise(
  features: Float32Array,
  mean: Float32Array,
  scale: Float32Array,
): Float32Array {
  const d = mean.length;
  return features.map((v, i) => (v - mean[i % d]!) / scale[i % d]!);
}
