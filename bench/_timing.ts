/**
 * Timing for the benches. This machine's speed drifts by tens of percent
 * over seconds, so passes that are compared are measured in interleaved
 * rounds and summarised by their medians: the drift hits them alike and the
 * ratios between them stay meaningful.
 *
 * @module
 */

export /** Median seconds of each pass over `rounds` interleaved rounds (after one warm-up round). */
async function interleaved<K extends string>(
  passes: Record<K, () => Promise<void>>,
  rounds: number,
): Promise<Record<K, number>> {
  const names = Object.keys(passes) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r <= rounds; r++) {
    for (const k of names) {
      const t = performance.now();
      await passes[k]();
      if (r > 0) samples[k].push((performance.now() - t) / 1000);
    }
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return Object.fromEntries(names.map((k) => [k, median(samples[k])])) as Record<K, number>;
}
