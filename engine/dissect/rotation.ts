/**
 * Random rotations of a layer's channel space, the baseline of network
 * dissection (Bau et al. 2017, §3.2; METHODS.md §6): Q uniform on SO(K) and
 * partial rotations Q^α.
 *
 * - **Sampling**: QR of a K×K standard Gaussian matrix by Householder
 *   reflections (float64), columns multiplied by sign(diag R) (this makes Q
 *   Haar-uniform on O(K), Mezzadri 2007), then the first column negated when
 *   det Q = −1, a measure-preserving map of the det −1 half onto SO(K).
 * - **Powers**: for orthogonal Q the symmetric part S = (Q + Qᵀ)/2 has
 *   eigenvalues cos θ_i; on each eigenspace V_g (eigenvalues grouped within
 *   1e−8) Q acts as B_g = cos θ·I + sin θ·J_g with J_g² = −I, so
 *   Q^α = Σ_g V_g (cos αθ·I + sin αθ·J_g) V_gᵀ, θ ∈ [0, π]: the principal
 *   power (each 2-D rotation angle scaled by α). θ = 0 blocks stay fixed; for
 *   θ = π (J undefined) basis vectors are paired in order. S is diagonalised by
 *   cyclic Jacobi rotations in float64.
 *
 * Matrices are row-major Float64Array of length K·K.
 *
 * @module
 */
import { createRng } from "../random.ts";

/**
 * Samples a rotation uniformly from SO(K).
 *
 * @param k dimension K ≥ 1
 * @param options `seed` (default 0)
 * @returns Q, K×K row-major, orthogonal with det +1
 * @throws {RangeError} for a bad K
 * @example
 * ```ts
 * import { determinant, randomRotation } from "./rotation.ts";
 * const q = randomRotation(3, { seed: 1 });
 * if (Math.abs(determinant(q, 3) - 1) > 1e-9) throw new Error("not a rotation");
 * ```
 */
export function randomRotation(k: number, options: { seed?: number } = {}): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`K must be a positive integer, got ${k}`);
  const rng = createRng(options.seed ?? 0);
  const a = Float64Array.from({ length: k * k }, () => rng.normal());
  // Householder QR: a becomes R (upper part); reflections kept as vectors.
  const q = identity(k);
  const v = new Float64Array(k);
  const signs = new Float64Array(k).fill(1);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = j; i < k; i++) norm += a[i * k + j]! ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[j * k + j]!;
    const alpha = x0 > 0 ? -norm : norm;
    v.fill(0);
    for (let i = j; i < k; i++) v[i] = a[i * k + j]!;
    v[j] = x0 - alpha;
    let vv = 0;
    for (let i = j; i < k; i++) vv += v[i]! ** 2;
    if (vv > 0) {
      reflectRows(a, v, vv, j, k);
      reflectColumns(q, v, vv, j, k);
    }
    signs[j] = a[j * k + j]! < 0 ? -1 : 1;
  }
  // Q·diag(sign R_jj): the unique QR with positive diagonal, Haar on O(K).
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q[i * k + j] = q[i * k + j]! * signs[j]!;
  if (determinant(q, k) < 0) { for (let i = 0; i < k; i++) q[i * k] = -q[i * k]!; }
  return q;
}

/**
 * Principal power Q^α of a rotation (module doc): Q^0 = I, Q^1 = Q,
 * (Q^½)² = Q.
 *
 * @param q a rotation, K×K row-major
 * @param alpha the power (usually in [0, 1])
 * @returns Q^α, a rotation
 * @throws {RangeError} when q is not K×K or not orthogonal
 * @example
 * ```ts
 * import { matMul, randomRotation, rotationPower } from "./rotation.ts";
 * const q = randomRotation(4, { seed: 2 });
 * const h = rotationPower(q, 0.5);
 * const back = matMul(h, h, 4);
 * if (back.some((x, i) => Math.abs(x - q[i]!) > 1e-9)) throw new Error("not a square root");
 * ```
 */
export function rotationPower(q: Float64Array, alpha: number): Float64Array {
  const k = Math.round(Math.sqrt(q.length));
  if (k * k !== q.length) throw new RangeError(`rotation has ${q.length} entries, not K·K`);
  const qtq = matMul(transpose(q, k), q, k);
  const id = identity(k);
  const err = Math.max(...qtq.map((x, i) => Math.abs(x - id[i]!)));
  if (err > 1e-6) throw new RangeError(`matrix is not orthogonal (max |QᵀQ − I| = ${err})`);
  const s = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) s[i * k + j] = (q[i * k + j]! + q[j * k + i]!) / 2;
  }
  const { values, vectors } = symmetricEigen(s, k);
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(k * k);
  for (let start = 0; start < k;) {
    let end = start + 1;
    while (end < k && values[order[end]!]! - values[order[start]!]! < 1e-8) end++;
    const group = order.slice(start, end);
    start = end;
    const m = group.length;
    const cos = Math.min(1, Math.max(-1, group.reduce((t, i) => t + values[i]!, 0) / m));
    const theta = Math.acos(cos);
    // V_g: K×m, columns = eigenvectors.
    const vg = new Float64Array(k * m);
    group.forEach((e, c) => {
      for (let r = 0; r < k; r++) vg[r * m + c] = vectors[r * k + e]!;
    });
    const bg = new Float64Array(m * m); // V_gᵀ Q V_g
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        let t = 0;
        for (let r = 0; r < k; r++) {
          let qv = 0;
          for (let c = 0; c < k; c++) qv += q[r * k + c]! * vg[c * m + b]!;
          t += vg[r * m + a]! * qv;
        }
        bg[a * m + b] = t;
      }
    }
    const sin = Math.sin(theta);
    const j = new Float64Array(m * m);
    if (sin > 1e-6) {
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++) j[a * m + b] = (bg[a * m + b]! - (a === b ? cos : 0)) / sin;
      }
    } else if (cos < 0) {
      // θ = π: Q = −I here; any complex structure works, pair vectors in order.
      for (let a = 0; a + 1 < m; a += 2) {
        j[(a + 1) * m + a] = 1;
        j[a * m + a + 1] = -1;
      }
    }
    const ca = Math.cos(alpha * theta), sa = Math.sin(alpha * theta);
    const p = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) p[a * m + b] = (a === b ? ca : 0) + sa * j[a * m + b]!;
    }
    // out += V_g P V_gᵀ
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) {
        let t = 0;
        for (let a = 0; a < m; a++) {
          let pv = 0;
          for (let b = 0; b < m; b++) pv += p[a * m + b]! * vg[c * m + b]!;
          t += vg[r * m + a]! * pv;
        }
        out[r * k + c] = out[r * k + c]! + t;
      }
    }
  }
  return out;
}

/**
 * Determinant by LU with partial pivoting (float64).
 *
 * @param a K×K row-major
 * @param k K
 * @returns det a
 * @example
 * ```ts
 * import { determinant } from "./rotation.ts";
 * if (determinant(Float64Array.from([0, 1, 1, 0]), 2) !== -1) throw new Error("bad det");
 * ```
 */
export function determinant(a: Float64Array, k: number): number {
  const m = a.slice();
  let det = 1;
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) {
      if (Math.abs(m[r * k + c]!) > Math.abs(m[piv * k + c]!)) piv = r;
    }
    if (m[piv * k + c] === 0) return 0;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        const t = m[c * k + j]!;
        m[c * k + j] = m[piv * k + j]!;
        m[piv * k + j] = t;
      }
      det = -det;
    }
    const d = m[c * k + c]!;
    det *= d;
    for (let r = c + 1; r < k; r++) {
      const f = m[r * k + c]! / d;
      if (f !== 0) { for (let j = c; j < k; j++) m[r * k + j] = m[r * k + j]! - f * m[c * k + j]!; }
    }
  }
  return det;
}

/**
 * Product of two K×K row-major matrices.
 *
 * @param a left
 * @param b right
 * @param k K
 * @returns a·b
 * @example
 * ```ts
 * import { matMul } from "./rotation.ts";
 * if (matMul(Float64Array.from([2]), Float64Array.from([3]), 1)[0] !== 6) throw new Error("bad");
 * ```
 */
export function matMul(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      const x = a[i * k + l]!;
      if (x === 0) continue;
      for (let j = 0; j < k; j++) out[i * k + j] = out[i * k + j]! + x * b[l * k + j]!;
    }
  }
  return out;
}

/**
 * Transpose of a K×K row-major matrix.
 *
 * @param a the matrix
 * @param k K
 * @returns aᵀ
 * @example
 * ```ts
 * import { transpose } from "./rotation.ts";
 * if (transpose(Float64Array.from([1, 2, 3, 4]), 2)[1] !== 3) throw new Error("bad");
 * ```
 */
export function transpose(a: Float64Array, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[j * k + i] = a[i * k + j]!;
  return out;
}

function identity(k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) out[i * k + i] = 1;
  return out;
}

/** a ← (I − 2vvᵀ/vᵀv)·a on rows ≥ j. */
function reflectRows(a: Float64Array, v: Float64Array, vv: number, j: number, k: number): void {
  for (let c = 0; c < k; c++) {
    let d = 0;
    for (let i = j; i < k; i++) d += v[i]! * a[i * k + c]!;
    const f = (2 * d) / vv;
    for (let i = j; i < k; i++) a[i * k + c] = a[i * k + c]! - f * v[i]!;
  }
}

/** q ← q·(I − 2vvᵀ/vᵀv) on columns ≥ j. */
function reflectColumns(q: Float64Array, v: Float64Array, vv: number, j: number, k: number): void {
  for (let r = 0; r < k; r++) {
    let d = 0;
    for (let i = j; i < k; i++) d += q[r * k + i]! * v[i]!;
    const f = (2 * d) / vv;
    for (let i = j; i < k; i++) q[r * k + i] = q[r * k + i]! - f * v[i]!;
  }
}

/** Cyclic Jacobi eigen-decomposition of a symmetric matrix: s = V diag(values) Vᵀ. */
function symmetricEigen(
  s: Float64Array,
  k: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = s.slice();
  const v = identity(k);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const tau = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), sn = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!, arq = a[r * k + q]!;
          a[r * k + p] = c * arp - sn * arq;
          a[r * k + q] = sn * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!, aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - sn * aqr;
          a[q * k + r] = sn * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!, vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - sn * vrq;
          v[r * k + q] = sn * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i]!), vectors: v };
}
