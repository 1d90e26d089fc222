/**
 * Eigen-CAM (Muhammad & Yeasin 2020, "Eigen-CAM: Class Activation Map using
 * Principal Components", eq. 6–7): no gradients and no class; the map is the
 * projection of the activations, as a matrix A of shape (h·w) × K, on their
 * first right singular vector v₁: map = A v₁.
 *
 * Choices (the paper leaves them open): A is not centred by default, as in
 * the paper's equations (pytorch-grad-cam centres the columns; option
 * `center: true`). The sign of a singular vector is arbitrary, so it is
 * chosen to make the map correlate positively with the channel-mean
 * activation (or, for a one-position map, to agree with it in sign).
 *
 * v₁ is found per image in float64 on the CPU, after one read-back of the
 * activations (small: h·w × K per image): the top eigenvector of the Gram
 * matrix G = AᵀA by Lanczos iteration started from G's largest column (never
 * orthogonal to v₁), until the Ritz residual is below 1e-12 of λ₁. G is
 * applied as Aᵀ(A·x) on A's nonzero entries, never formed. Doing
 * this with tensor ops meant dozens of tiny K×K kernels per batch, several
 * times the cost of the forward pass. When λ₁ = λ₂ any unit vector of
 * their plane is an answer.
 *
 * @module
 */
import { tf } from "../deps.ts";
import { forwardCam } from "./_forward.ts";
import type { CamInput, CamOutput } from "./types.ts";

/** Method-specific options of {@link eigenCam}. */
export interface EigenCamOptions {
  /** Subtract each channel's spatial mean before the decomposition. Default: false. */
  center?: boolean;
}

/**
 * Eigen-CAM maps of one batch (Muhammad & Yeasin 2020, eq. 6–7): A v₁, the first principal direction.
 *
 * @param input one validated batch and the layer; `options`: {@link EigenCamOptions}.
 *   The target only decides the reported classes and scores.
 * @returns raw maps [n, h, w] before the ReLU, classes and scores
 * @throws {TypeError} for a non-boolean `center`
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * // A 1×1 conv without bias makes A = x·wᵀ of rank one, so the map is x·|w| = x·√5.
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 2, kernelSize: 1, useBias: false,
 *     name: "conv", weights: [tf.tensor4d([1, 2], [1, 1, 1, 2])] }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.tensor4d([0, 0.25, 0.5, 1], [1, 2, 2, 1]);
 * const m = await cam(wrapModel(model), x, { method: "eigenCam", normalize: false });
 * if (!(Math.abs(m.raw[3]! - Math.sqrt(5)) < 1e-5)) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function eigenCam(input: CamInput): Promise<CamOutput> {
  const center = input.options.center ?? false;
  if (typeof center !== "boolean") {
    throw new TypeError(`eigenCam option center is ${center}; expected a boolean`);
  }
  const f = forwardCam(input);
  try {
    const [n, h, w, k] = f.activations.shape;
    const values = await f.activations.data() as Float32Array;
    const maps = new Float32Array(n * h * w);
    for (let i = 0; i < n; i++) {
      const a = values.subarray(i * h * w * k, (i + 1) * h * w * k);
      maps.set(eigenMap(a, h * w, k, center), i * h * w);
    }
    return { maps: tf.tensor3d(maps, [n, h, w]), classes: f.classes, scores: f.scores };
  } catch (e) {
    tf.dispose([f.classes, f.scores]);
    throw e;
  } finally {
    f.activations.dispose();
  }
}

/**
 * A·v₁ for one image's activations (row-major p × k), sign-fixed so the map
 * correlates positively with the channel-mean activation (or agrees with it
 * in sign when the correlation is zero).
 */
function eigenMap(act: Float32Array, p: number, k: number, center: boolean): Float64Array {
  let columnMean: Float64Array | null = null;
  if (center) {
    columnMean = new Float64Array(k);
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < k; c++) columnMean[c]! += act[r * k + c]!;
    }
    for (let c = 0; c < k; c++) columnMean[c]! /= p;
  }
  // One pass over the activations: A's nonzeros (centred if asked) and the
  // mean activation of each position (for the sign below). G = AᵀA is never
  // formed: Lanczos only needs products G·x = Aᵀ(A·x), done on A's nonzeros
  // (ReLU maps are mostly zeros: 70 % on mnist-cnn's last conv layer).
  const nonzero = sparseRows(act, p, k, columnMean);
  const diagonal = new Float64Array(k);
  for (let i = 0; i < nonzero.value.length; i++) {
    diagonal[nonzero.column[i]!]! += nonzero.value[i]! * nonzero.value[i]!;
  }
  const v = topEigenvector((x, out) => gramTimes(nonzero, p, x, out), diagonal, k);
  const map = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let i = nonzero.start[r]!; i < nonzero.start[r + 1]!; i++) {
      s += nonzero.value[i]! * v[nonzero.column[i]!]!;
    }
    map[r] = s;
  }
  // Fix the arbitrary sign of v₁ against the mean activation of each position.
  const meanAct = nonzero.rowMean;
  const mu = (x: Float64Array) => {
    let sum = 0;
    for (let r = 0; r < p; r++) sum += x[r]!;
    return sum / p;
  };
  const [mm, ma] = [mu(map), mu(meanAct)];
  let corr = 0;
  let dot = 0;
  for (let r = 0; r < p; r++) {
    corr += (map[r]! - mm) * (meanAct[r]! - ma);
    dot += map[r]! * meanAct[r]!;
  }
  if ((corr !== 0 ? corr : dot) < 0) { for (let r = 0; r < p; r++) map[r] = -map[r]!; }
  return map;
}

/**
 * Unit top eigenvector of a symmetric PSD k × k matrix (zeros for a zero
 * matrix), by Lanczos with full reorthogonalisation, started from G's
 * largest column (for a PSD matrix never orthogonal to v₁ unless G = 0).
 *
 * Why not plain power iteration: it needs log(tol)/log(λ₂/λ₁) steps of one
 * k² product each (≈ 35 on mnist-cnn's last layer, 2000 at most), which made
 * Eigen-CAM cost 1.4× its forward pass on small nets. Lanczos reaches the
 * same accuracy in far fewer products (the Krylov space holds the best
 * polynomial in G, not just G^t). It stops when the Ritz pair's residual
 * ‖G y − θ y‖ = β_j |s_j| is below RESIDUAL · θ, i.e. a direction error of
 * about RESIDUAL / (1 − λ₂/λ₁), or when the Krylov space is invariant (exact).
 */
function topEigenvector(
  times: (x: Float64Array, out: Float64Array) => void,
  diagonal: Float64Array,
  k: number,
): Float64Array {
  let best = 0;
  for (let c = 1; c < k; c++) if (diagonal[c]! > diagonal[best]!) best = c;
  const basis = new Float64Array(k * k); // row j = Lanczos vector q_j
  const w = new Float64Array(k);
  const unit = new Float64Array(k);
  unit[best] = 1;
  times(unit, w); // G's column `best`
  const first = normalise(Float64Array.from(w));
  if (first.every((v) => v === 0)) return first;
  basis.set(first, 0);
  const alpha: number[] = [];
  const beta: number[] = [];
  let norm = 0; // largest |α| or β seen: the scale of "β is zero"
  for (let j = 0; j < k; j++) {
    const qj = j * k;
    times(basis.subarray(qj, qj + k), w);
    let a = 0;
    for (let r = 0; r < k; r++) a += w[r]! * basis[qj + r]!;
    alpha.push(a);
    // Full reorthogonalisation (modified Gram–Schmidt): w ⟂ q_0 … q_j, so
    // no ghost copies of λ₁ appear; one pass suffices for the few steps
    // taken before the top Ritz pair converges.
    for (let qi = 0; qi <= qj; qi += k) {
      let c = 0;
      for (let r = 0; r < k; r++) c += w[r]! * basis[qi + r]!;
      for (let r = 0; r < k; r++) w[r] = w[r]! - c * basis[qi + r]!;
    }
    let b = 0;
    for (let r = 0; r < k; r++) b += w[r]! * w[r]!;
    b = Math.sqrt(b);
    norm = Math.max(norm, Math.abs(a), b);
    // The Ritz pair is checked every CHECK_EVERY steps (it costs a bisection),
    // and always when the Krylov space is invariant or complete.
    const last = b <= 1e-14 * norm || j === k - 1;
    if (last || j % CHECK_EVERY === CHECK_EVERY - 1) {
      const { theta, s } = topOfTridiagonal(alpha, beta);
      if (last || b * Math.abs(s[j]!) <= RESIDUAL * theta) {
        const y = new Float64Array(k);
        for (let i = 0; i <= j; i++) {
          const si = s[i]!;
          for (let r = 0; r < k; r++) y[r] = y[r]! + si * basis[i * k + r]!;
        }
        return normalise(y);
      }
    }
    beta.push(b);
    for (let r = 0; r < k; r++) basis[qj + k + r] = w[r]! / b;
  }
  throw new Error("unreachable: Lanczos ends by step k");
}

/** A's nonzero entries, row by row (compressed sparse rows). */
interface SparseRows {
  /** Row r's entries are [start[r], start[r + 1]). */
  start: Int32Array;
  column: Int32Array;
  value: Float64Array;
  /** Mean of each row of the activations, before centring. */
  rowMean: Float64Array;
}

/** The nonzeros of act − columnMean (act itself when null), p × k row-major. */
function sparseRows(
  act: Float32Array,
  p: number,
  k: number,
  columnMean: Float64Array | null,
): SparseRows {
  const start = new Int32Array(p + 1);
  const column = new Int32Array(p * k);
  const value = new Float64Array(p * k);
  const rowMean = new Float64Array(p);
  let at = 0;
  for (let r = 0; r < p; r++) {
    start[r] = at;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const raw = act[r * k + c]!;
      sum += raw;
      const v = columnMean === null ? raw : raw - columnMean[c]!;
      if (v !== 0) {
        column[at] = c;
        value[at++] = v;
      }
    }
    rowMean[r] = sum / k;
  }
  start[p] = at;
  return { start, column: column.subarray(0, at), value: value.subarray(0, at), rowMean };
}

/** out = AᵀA·x = Σ_r a_r (a_r · x) over A's rows a_r. */
function gramTimes(a: SparseRows, p: number, x: Float64Array, out: Float64Array): void {
  out.fill(0);
  const { start, column, value } = a;
  for (let r = 0; r < p; r++) {
    const from = start[r]!;
    const to = start[r + 1]!;
    let t = 0;
    for (let i = from; i < to; i++) t += value[i]! * x[column[i]!]!;
    if (t === 0) continue;
    for (let i = from; i < to; i++) out[column[i]!]! += t * value[i]!;
  }
}

/** Lanczos steps between two convergence checks. */
const CHECK_EVERY = 2;

/** Relative residual of the Ritz pair at which Lanczos stops. */
const RESIDUAL = 1e-10;

/**
 * Largest eigenvalue θ and its unit eigenvector s of the symmetric
 * tridiagonal matrix with diagonal `alpha` and off-diagonal `beta`
 * (beta.length = alpha.length − 1): θ by bisection on Sturm counts, s by
 * inverse iteration with σ just above θ, where σI − T is positive definite,
 * so its LDLᵀ needs no pivoting.
 */
function topOfTridiagonal(
  alpha: readonly number[],
  beta: readonly number[],
): { theta: number; s: Float64Array } {
  const m = alpha.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m; i++) {
    const radius = Math.abs(beta[i - 1] ?? 0) + Math.abs(beta[i] ?? 0);
    lo = Math.min(lo, alpha[i]! - radius);
    hi = Math.max(hi, alpha[i]! + radius);
  }
  const spread = Math.max(hi - lo, Math.abs(hi), Number.MIN_VALUE);
  hi += 1e-12 * spread; // every eigenvalue is now strictly below hi
  // Invariant: all m eigenvalues < hi; fewer than m below lo. θ to 1e-11 of
  // the spread is enough: inverse iteration below refines the vector.
  for (let it = 0; it < 200 && hi - lo > 1e-11 * spread; it++) {
    const mid = (lo + hi) / 2;
    if (!(mid > lo && mid < hi)) break;
    if (countBelow(alpha, beta, mid) === m) hi = mid;
    else lo = mid;
  }
  const theta = (lo + hi) / 2;
  const sigma = hi + 1e-10 * spread;
  // LDLᵀ of σI − T: diagonal σ − α_i, off-diagonal −β_i.
  const d = new Float64Array(m);
  const l = new Float64Array(m);
  d[0] = sigma - alpha[0]!;
  for (let i = 1; i < m; i++) {
    l[i - 1] = -beta[i - 1]! / d[i - 1]!;
    d[i] = sigma - alpha[i]! + l[i - 1]! * beta[i - 1]!;
  }
  let s = new Float64Array(m).fill(1 / Math.sqrt(m));
  for (let it = 0; it < 3; it++) {
    const x = Float64Array.from(s);
    for (let i = 1; i < m; i++) x[i] = x[i]! - l[i - 1]! * x[i - 1]!;
    for (let i = 0; i < m; i++) x[i] = x[i]! / d[i]!;
    for (let i = m - 2; i >= 0; i--) x[i] = x[i]! - l[i]! * x[i + 1]!;
    s = normalise(x);
  }
  return { theta, s };
}

/** Number of eigenvalues below x of the tridiagonal (alpha, beta) (Sturm sequence). */
function countBelow(alpha: readonly number[], beta: readonly number[], x: number): number {
  let count = 0;
  let d = 1;
  for (let i = 0; i < alpha.length; i++) {
    const b = i > 0 ? beta[i - 1]! : 0;
    d = alpha[i]! - x - (i > 0 ? (b * b) / d : 0);
    if (d === 0) d = -Number.EPSILON * (Math.abs(alpha[i]!) + Math.abs(x) + Number.MIN_VALUE);
    if (d < 0) count++;
  }
  return count;
}

/** Scales x to unit length in place (a zero vector stays zero); returns x. */
function normalise<T extends Float64Array>(x: T): T {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  const len = Math.sqrt(sum);
  if (len > 0) { for (let i = 0; i < x.length; i++) x[i] = x[i]! / len; }
  return x;
}
