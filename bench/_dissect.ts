/**
 * Network dissection's speed and memory on one backend, in its own process:
 * every conv layer of `models/scenes-cnn` dissected over probe scenes.
 *
 * - **time**: `dissect` over N in-memory scenes vs the 2 batched forward passes
 *   over the same images it fundamentally needs (thresholds, then tally),
 *   measured in interleaved rounds; ratio = dissect ÷ (2 · forward). Target ≤ 2.
 * - **memory**: `dissect` streaming N and then 4·N scenes from a shard source
 *   (scenes generated per batch, nothing kept), with peaks sampled after every
 *   batch: tf.memory().numBytes, Deno.memoryUsage().rss and heapUsed, and
 *   (WASM) the wasm heap size, a true high-water mark (it never shrinks). The
 *   larger run must not use more than 10 % more. Run with
 *   `--v8-flags=--expose-gc` so a garbage collection precedes each sample:
 *   otherwise RSS and heapUsed also count garbage not yet collected (the
 *   per-batch scenes), which makes them noisy.
 *
 * - **stages**: where the time goes, per batch (medians over a few batches of
 *   the same scenes): the forward pass capturing the layers, the quantile
 *   sketch of all layers, and the IoU tally of all layers, with the tally at
 *   thresholds of the 0.995 quantile (so as sparse as in `dissect`).
 *
 * Usage: deno run -A --v8-flags=--expose-gc bench/_dissect.ts BACKEND [IMAGES=2000] [ROUNDS=1]
 *   → one JSON line on stdout.
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { scenes } from "../engine/data/scenes.ts";
import { dissect } from "../engine/dissect/dissect.ts";
import { asSource, sceneSource } from "../engine/dissect/probe.ts";
import { planTally, tallyBatch } from "../engine/dissect/tally.ts";
import {
  emptySketch,
  mergeSketches,
  sketchBatch,
  sketchQuantiles,
} from "../engine/stats/quantile.ts";
import type { ConceptSet } from "../engine/data/types.ts";
import { REPORT_PROBE_OFFSET } from "../engine/dissect/report.ts";
import { runNet } from "../engine/net/executor.ts";
import { convLayers, type Net } from "../engine/net/net.ts";
import { loadDefaultNet } from "../engine/train/default_models.ts";
import { interleaved } from "./_timing.ts";

/** Peaks seen during one streamed dissection. */
export interface MemoryPeak {
  images: number;
  seconds: number;
  /** Largest tf.memory().numBytes sampled after each batch. */
  tfBytes: number;
  /** Largest resident set size sampled after each batch. */
  rssBytes: number;
  /** Largest V8 heapUsed sampled after each batch. */
  jsHeapBytes: number;
  /** WASM heap size after the run (a high-water mark), or null on other backends. */
  wasmHeapBytes: number | null;
}

/** What this scenario prints. */
export interface DissectMeasure {
  model: string;
  backend: string;
  layers: string[];
  batchSize: number;
  /** Images of the timing comparison. */
  images: number;
  dissectSeconds: number;
  forwardSeconds: number;
  /** dissectSeconds ÷ (2 · forwardSeconds); target ≤ 2. */
  ratio: number;
  imagesPerSecond: number;
  small: MemoryPeak;
  large: MemoryPeak;
  /**
   * Median milliseconds per batch of each stage (see the module doc), and
   * (2·forward + sketch + tally) ÷ (2·forward): the ratio from per-batch
   * medians, steadier than `ratio` on a shared machine (it leaves out the
   * per-batch input checks and merges, a few percent).
   */
  stages: { batches: number; forward: number; sketch: number; tally: number; ratio: number };
  /** Whether a garbage collection preceded each memory sample (--v8-flags=--expose-gc). */
  gcBeforeSamples: boolean;
  /** large ÷ small for each memory measure (≤ 1.1 required). */
  memoryRatio: {
    tfBytes: number;
    rssBytes: number;
    jsHeapBytes: number;
    wasmHeapBytes: number | null;
  };
}

function wasmHeap(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.buffer.byteLength ?? null;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function streamed(net: Net, count: number, batchSize: number): Promise<MemoryPeak> {
  let tfBytes = 0, rssBytes = 0, jsHeapBytes = 0;
  const sample = () => {
    gc?.();
    const m = Deno.memoryUsage();
    tfBytes = Math.max(tfBytes, tf.memory().numBytes);
    rssBytes = Math.max(rssBytes, m.rss);
    jsHeapBytes = Math.max(jsHeapBytes, m.heapUsed);
  };
  const t = performance.now();
  await dissect(net, sceneSource({ count, seed: 0, offset: REPORT_PROBE_OFFSET }), {
    batchSize,
    onProgress: sample,
  });
  return {
    images: count,
    seconds: (performance.now() - t) / 1000,
    tfBytes,
    rssBytes,
    jsHeapBytes,
    wasmHeapBytes: wasmHeap(),
  };
}

/** Median ms per batch of the forward pass, the sketch and the tally over `batches` batches. */
async function stages(
  net: Net,
  probe: ConceptSet,
  layers: string[],
  batchSize: number,
  batches: number,
): Promise<DissectMeasure["stages"]> {
  const source = asSource(probe);
  const count = Math.min(batches, Math.floor(probe.shape[0] / batchSize));
  const forward = (shard: ConceptSet) =>
    tf.tidy(() => {
      const { output, captured } = runNet(net, tf.tensor4d(shard.images, shard.shape), {
        capture: layers,
        skipOutput: true,
      });
      output.dispose();
      return layers.map((l) => captured[l]!);
    });
  // Thresholds first (as dissect's first pass), so the tally is as sparse as in dissect.
  let sketches = layers.map(() => emptySketch(1));
  const t = { forward: [] as number[], sketch: [] as number[], tally: [] as number[] };
  for (let b = 0; b < count; b++) {
    const shard = await source.load(b * batchSize, (b + 1) * batchSize);
    let start = performance.now();
    const acts = forward(shard);
    t.forward.push(performance.now() - start);
    start = performance.now();
    const parts = [];
    for (const a of acts) parts.push(await sketchBatch(a));
    sketches = parts.map((p, i) => (sketches[i]!.count === 0 ? p : mergeSketches(sketches[i]!, p)));
    t.sketch.push(performance.now() - start);
    tf.dispose(acts);
  }
  const thresholds = sketches.map((s) => Float32Array.from(sketchQuantiles(s, 0.995).values));
  const categories = [...new Set(Object.keys(probe.labelMaps).map((k) => k.split("#")[0]!))];
  const plan = planTally(probe.concepts, categories);
  for (let b = 0; b < count; b++) {
    const shard = await source.load(b * batchSize, (b + 1) * batchSize);
    const acts = forward(shard);
    const start = performance.now();
    await tallyBatch(
      layers.map((layer, i) => ({ layer, activations: acts[i]!, thresholds: thresholds[i]! })),
      shard,
      plan,
    );
    t.tally.push(performance.now() - start);
    tf.dispose(acts);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const [f, sketch, tally] = [median(t.forward), median(t.sketch), median(t.tally)];
  return { batches: count, forward: f, sketch, tally, ratio: (2 * f + sketch + tally) / (2 * f) };
}

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const count = Number(Deno.args[1] ?? "2000");
  const rounds = Number(Deno.args[2] ?? "1");
  const batchSize = 32;
  await useBackend(backend as "wasm", { quiet: true });
  const net = await loadDefaultNet("scenes-cnn");
  const layers = convLayers(net).map((l) => l.name);

  // Memory first (the heap high-water mark must come from the streamed runs), small then large.
  const small = await streamed(net, count, batchSize);
  const large = await streamed(net, 4 * count, batchSize);

  // Time: the same in-memory scenes for both passes.
  const probe = scenes({ count, seed: 0, offset: REPORT_PROBE_OFFSET });
  const [n, h, w, c] = probe.shape;
  const t = await interleaved({
    forward: async () => {
      for (let s = 0; s < n; s += batchSize) {
        const m = Math.min(batchSize, n - s);
        const x = tf.tensor4d(probe.images.subarray(s * h * w * c, (s + m) * h * w * c), [
          m,
          h,
          w,
          c,
        ]);
        const y = runNet(net, x).output;
        await y.data();
        tf.dispose([x, y]);
      }
    },
    dissect: async () => {
      await dissect(net, probe, { layers, batchSize });
    },
  }, rounds);
  const stageTimes = await stages(net, probe, layers, batchSize, 8);
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : a / b);
  const out: DissectMeasure = {
    model: "scenes-cnn",
    backend,
    layers,
    batchSize,
    images: count,
    dissectSeconds: t.dissect,
    forwardSeconds: t.forward,
    ratio: t.dissect / (2 * t.forward),
    imagesPerSecond: count / t.dissect,
    small,
    large,
    stages: stageTimes,
    gcBeforeSamples: gc !== undefined,
    memoryRatio: {
      tfBytes: large.tfBytes / small.tfBytes,
      rssBytes: large.rssBytes / small.rssBytes,
      jsHeapBytes: large.jsHeapBytes / small.jsHeapBytes,
      wasmHeapBytes: ratio(large.wasmHeapBytes, small.wasmHeapBytes),
    },
  };
  console.log(JSON.stringify(out));
  net.model.dispose();
}
