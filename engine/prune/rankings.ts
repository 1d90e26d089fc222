/**
 * Pruning rankings: the order in which a layer's channels are removed
 * (METHODS.md §5, pruning experiment). A registry of plain objects; an
 * unknown name throws a TypeError listing the known ones.
 *
 * - `neuronImAscending` / `neuronImDescending`: NeuronIM scores supplied by
 *   the caller (`scores[layer]`, one per unit), lowest (highest) first.
 * - `l1`: L1 norm of each filter's weights, smallest first (Li et al. 2017,
 *   "Pruning Filters for Efficient ConvNets", eq. 1: s_j = Σ|F_j|).
 * - `meanActivation`: mean activation over the ranking set, smallest first.
 * - `taylor`: |mean over positions of A·∂L/∂A| averaged over the ranking
 *   set, smallest first (Molchanov et al. 2017, eq. 7–8).
 * - `random`: a seeded permutation per repeat.
 * - `randomReversed`: random's permutations reversed. NeuronIM ascending vs
 *   descending compares an order with its own reverse; random vs
 *   randomReversed is the same comparison for orders that carry no
 *   information, i.e. the noise level the NeuronIM gap must beat.
 *
 * Ties are broken by the smaller unit index, so every order is deterministic.
 *
 * @example
 * ```ts
 * import { orderByScore, pruningRanking } from "./rankings.ts";
 * if (orderByScore([0.3, 0.1, 0.2], true).join() !== "1,2,0") throw new Error("example failed");
 * if (pruningRanking("l1").random) throw new Error("example failed");
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { permutation } from "../data/batching.ts";
import type { LayerNeuronStats } from "../neurons/activation_stats.ts";
import type { Net } from "../net/net.ts";
import { subSeed } from "../random.ts";

/** What a ranking may use. */
export interface RankingContext {
  /** The network. */
  net: Net;
  /** Conv layers being pruned. */
  layers: readonly string[];
  /** Caller-supplied scores per layer (one per unit), e.g. NeuronIM. */
  scores: Readonly<Record<string, ArrayLike<number>>> | undefined;
  /** Activation statistics and Taylor importance over the ranking set (computed once, on demand). */
  stats(): Promise<LayerNeuronStats[]>;
  /** Seed of this repeat (random rankings). */
  seed: number;
}

/** A pruning ranking. */
export interface PruningRanking {
  /** One line for reports. */
  description: string;
  /** Whether the order is random (then it is repeated with several seeds). */
  random: boolean;
  /** Per layer (in `ctx.layers` order), unit indices in pruning order: first pruned first. */
  order(ctx: RankingContext): Promise<Int32Array[]>;
}

/**
 * Unit indices sorted by score, ties by index.
 *
 * @param scores one score per unit (finite)
 * @param ascending smallest first when true, largest first when false
 * @returns the order
 * @throws {TypeError} for a non-finite score
 *
 * @example
 * ```ts
 * import { orderByScore } from "./rankings.ts";
 * if (orderByScore([2, 5, 2], false).join() !== "1,0,2") throw new Error("example failed");
 * ```
 */
export function orderByScore(scores: ArrayLike<number>, ascending: boolean): Int32Array {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new TypeError(`Score ${scores[i]} of unit ${i} is not finite`);
    }
  }
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  const sign = ascending ? 1 : -1;
  idx.sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b);
  return Int32Array.from(idx);
}

function units(ctx: RankingContext, layer: string): number {
  return ctx.net.layers.find((l) => l.name === layer)!.units;
}

function suppliedScores(ctx: RankingContext, name: string): ArrayLike<number>[] {
  return ctx.layers.map((layer) => {
    const s = ctx.scores?.[layer];
    if (s === undefined) {
      throw new TypeError(
        `Ranking ${name} needs options.scores["${layer}"] (one NeuronIM score per unit); ` +
          `scores given for: ${Object.keys(ctx.scores ?? {}).join(", ") || "no layer"}`,
      );
    }
    if (s.length !== units(ctx, layer)) {
      throw new RangeError(
        `options.scores["${layer}"] has ${s.length} values; ${layer} has ${
          units(ctx, layer)
        } units`,
      );
    }
    return s;
  });
}

/** Σ|W| per output channel of a conv layer's filters. */
async function filterL1(net: Net, layer: string): Promise<Float64Array> {
  const tl = net.graph.byName.get(layer)?.layer;
  const cls = tl?.getClassName() ?? "none";
  const weights = tl?.getWeights() ?? [];
  // A separable conv's output channels are those of its pointwise kernel.
  const kernel = cls === "SeparableConv2D" ? weights[1] : weights[0];
  if (!tl || !kernel || !["Conv2D", "DepthwiseConv2D", "SeparableConv2D"].includes(cls)) {
    throw new TypeError(`Ranking l1 needs a layer with conv filters; ${layer} is a ${cls}`);
  }
  const t = tf.tidy(() => {
    // Depthwise output channel c·mult + j is kernel[..., c, j].
    const n = cls === "DepthwiseConv2D"
      ? kernel.shape[2]! * kernel.shape[3]!
      : kernel.shape.at(-1)!;
    return tf.sum(tf.abs(tf.reshape(kernel, [-1, n])), 0);
  });
  try {
    return Float64Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

async function statOrder(ctx: RankingContext, field: "mean" | "taylor"): Promise<Int32Array[]> {
  const stats = await ctx.stats();
  return ctx.layers.map((layer) => {
    const s = stats.find((x) => x.layer === layer)!;
    return orderByScore(s[field], true);
  });
}

/** One seeded permutation per layer. */
function randomOrders(ctx: RankingContext): Promise<Int32Array[]> {
  return Promise.resolve(
    ctx.layers.map((layer, i) => permutation(units(ctx, layer), subSeed(ctx.seed, i))),
  );
}

/** The built-in rankings. */
export const PRUNING_RANKINGS = {
  neuronImAscending: {
    description: "NeuronIM, lowest first (caller-supplied scores)",
    random: false,
    // async: bad scores reject the promise rather than throwing synchronously.
    order: async (ctx) =>
      await Promise.resolve(
        suppliedScores(ctx, "neuronImAscending").map((s) => orderByScore(s, true)),
      ),
  },
  neuronImDescending: {
    description: "NeuronIM, highest first (caller-supplied scores)",
    random: false,
    order: async (ctx) =>
      await Promise.resolve(
        suppliedScores(ctx, "neuronImDescending").map((s) => orderByScore(s, false)),
      ),
  },
  l1: {
    description: "L1 norm of the filter, smallest first (Li et al. 2017)",
    random: false,
    order: async (ctx) => {
      const out: Int32Array[] = [];
      for (const layer of ctx.layers) out.push(orderByScore(await filterL1(ctx.net, layer), true));
      return out;
    },
  },
  meanActivation: {
    description: "mean activation on the ranking set, smallest first",
    random: false,
    order: (ctx) => statOrder(ctx, "mean"),
  },
  taylor: {
    description: "Taylor |A·dL/dA| on the ranking set, smallest first (Molchanov et al. 2017)",
    random: false,
    order: (ctx) => statOrder(ctx, "taylor"),
  },
  random: {
    description: "random order (seeded; mean ± std over repeats)",
    random: true,
    order: randomOrders,
  },
  randomReversed: {
    description:
      "the random orders reversed: with random, the null model of a ranking vs its reverse",
    random: true,
    // Same seeds as `random`, so repeat r is exactly random's repeat r reversed.
    order: async (ctx) => (await randomOrders(ctx)).map((o) => o.slice().reverse()),
  },
} satisfies Record<string, PruningRanking>;

/** A registered ranking name. */
export type PruningRankingName = keyof typeof PRUNING_RANKINGS;

/**
 * Looks a ranking up by name.
 *
 * @param name a key of {@link PRUNING_RANKINGS}
 * @returns the ranking
 * @throws {TypeError} for an unknown name, listing the known ones
 *
 * @example
 * ```ts
 * import { pruningRanking } from "./rankings.ts";
 * if (!pruningRanking("random").random) throw new Error("example failed");
 * ```
 */
export function pruningRanking(name: string): PruningRanking {
  if (!Object.hasOwn(PRUNING_RANKINGS, name)) {
    throw new TypeError(
      `Unknown pruning ranking "${name}"; known: ${Object.keys(PRUNING_RANKINGS).join(", ")}`,
    );
  }
  return PRUNING_RANKINGS[name as PruningRankingName];
}
