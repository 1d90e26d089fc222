/**
 * Agglomerative hierarchical clustering with average linkage (UPGMA, Sokal &
 * Michener 1958) and its dendrogram leaf order, used to order a correlation
 * matrix so that correlated groups sit next to each other.
 *
 * @example
 * ```ts
 * import { clusterOrder } from "./cluster.ts";
 * // Items 0 and 2 are close, 1 is far from both.
 * const d = Float64Array.from([0, 9, 1, 9, 0, 9, 1, 9, 0]);
 * const order = clusterOrder(d, 3);
 * if (!(Math.abs(order.indexOf(0) - order.indexOf(2)) === 1)) throw new Error("example failed");
 * ```
 *
 * @module
 */

/**
 * Leaf order of the average-linkage dendrogram of n items.
 *
 * At each step the two clusters with the smallest mean pairwise distance
 * merge (ties: the pair with the lowest indices, so the order is
 * deterministic); a merged cluster lists the leaves of the earlier-formed
 * (or lower-indexed) side first. O(n³), fine for the few hundred channels
 * of a layer.
 *
 * @param distance symmetric n×n distances, row-major
 * @param n number of items
 * @returns a permutation of 0..n−1
 * @throws {RangeError} when `distance` is not n×n; {@link TypeError} for a
 *   NaN distance
 */
export function clusterOrder(distance: ArrayLike<number>, n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || distance.length !== n * n) {
    throw new RangeError(`Distances hold ${distance.length} values; expected n×n with n = ${n}`);
  }
  for (let i = 0; i < distance.length; i++) {
    if (Number.isNaN(distance[i])) throw new TypeError(`Distance at index ${i} is NaN`);
  }
  // Cluster-to-cluster mean distances, updated by the Lance–Williams rule
  // for average linkage: d(k, i∪j) = (|i| d(k,i) + |j| d(k,j)) / (|i| + |j|).
  const d = Float64Array.from(distance);
  const size = new Array<number>(n).fill(1);
  const leaves: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const alive = new Array<boolean>(n).fill(true);
  for (let merges = 0; merges < n - 1; merges++) {
    let bi = -1;
    let bj = -1;
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (alive[j] && d[i * n + j]! < best) {
          best = d[i * n + j]!;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) {
      // Only infinite distances remain: join in index order.
      bi = alive.indexOf(true);
      bj = alive.indexOf(true, bi + 1);
    }
    const si = size[bi]!;
    const sj = size[bj]!;
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === bi || k === bj) continue;
      const v = (si * d[k * n + bi]! + sj * d[k * n + bj]!) / (si + sj);
      d[k * n + bi] = v;
      d[bi * n + k] = v;
    }
    size[bi] = si + sj;
    leaves[bi] = [...leaves[bi]!, ...leaves[bj]!];
    alive[bj] = false;
  }
  return n === 0 ? [] : leaves[alive.indexOf(true)]!;
}
