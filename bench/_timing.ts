/**
 * Timing for the benches. This machine's speed drifts by tens of percent
 * over seconds, so passes that are compared are measured in interleaved
 * rounds and summarised by their medians: the drift hits them alike and the
 * ratios between them stay meaningful.
 *
 * @module
 */
import process from "node:process";

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

/** What {@link pairedRatio} measured. */
export interface PairedRatio {
  /** Median wall-clock seconds of one call of the measured pass. */
  seconds: number;
  /** Median wall-clock seconds of one call of the reference pass. */
  referenceSeconds: number;
  /**
   * Median over rounds of (measured ÷ reference) in this process's CPU
   * time, each round against the reference blocks just before and after it.
   */
  ratio: number;
  /** The same in wall-clock time (what a user waits; noisier on a shared machine). */
  wallRatio: number;
}

/**
 * The cost of `pass` relative to `reference`, robust to a shared, drifting
 * machine. The passes alternate R M R M … M R, where each block repeats
 * its pass until it has run `minSeconds` (at least once); every round's
 * ratio is the measured block's time per call over the mean per-call time
 * of the two reference blocks around it, and the result is the median of
 * the rounds' ratios.
 *
 * Why CPU time for the ratio: tfjs on WASM runs on one thread, so the
 * process's CPU time (all its threads, GC included) is the work a pass
 * costs, while its wall-clock time also counts the time other processes
 * held the core. On the project's 2 shared cores that made the same
 * method's wall-clock ratio swing from 0.95 to 1.4 between runs.
 *
 * @param warmUp run once before timing (e.g. the pass on fewer images, to
 *   compile kernels and the JIT without paying a full call). Default: `pass`.
 */
export async function pairedRatio(
  pass: () => Promise<void>,
  reference: () => Promise<void>,
  options: { rounds: number; minSeconds: number; warmUp?: () => Promise<void> },
): Promise<PairedRatio> {
  const block = async (f: () => Promise<void>): Promise<{ wall: number; cpu: number }> => {
    let calls = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    let elapsed = 0;
    do {
      await f();
      calls++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < options.minSeconds);
    const cpu = process.cpuUsage(cpu0);
    return { wall: elapsed / calls, cpu: (cpu.user + cpu.system) / 1e6 / calls };
  };
  await (options.warmUp ?? pass)();
  await reference();
  const refs = [await block(reference)];
  const times: { wall: number; cpu: number }[] = [];
  const ratios: number[] = [];
  const wallRatios: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    times.push(await block(pass));
    refs.push(await block(reference));
    const [t, a, b] = [times[r]!, refs[r]!, refs[r + 1]!];
    ratios.push(t.cpu / ((a.cpu + b.cpu) / 2));
    wallRatios.push(t.wall / ((a.wall + b.wall) / 2));
  }
  return {
    seconds: median(times.map((t) => t.wall)),
    referenceSeconds: median(refs.map((t) => t.wall)),
    ratio: median(ratios),
    wallRatio: median(wallRatios),
  };
}

function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
