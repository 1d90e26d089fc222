/**
 * Measurements of one backend, run in its own process (a backend is chosen
 * once per process). Prints one JSON object on stdout; bench/main.ts runs
 * this for every backend and prints the report.
 *
 * Usage: deno run -A bench/_measure.ts BACKEND SCALE
 *   SCALE multiplies the image counts (1 for wasm/webgpu, less for cpu).
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { forwardFlops } from "../engine/net/flops.ts";
import { runNet } from "../engine/net/executor.ts";
import { disposeGradients, targetGradients } from "../engine/net/targets.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  loadDefaultNet,
} from "../engine/train/default_models.ts";
import type { Net } from "../engine/net/net.ts";
import { interleaved } from "./_timing.ts";

/** Rates of one model on one backend. */
export interface ModelMeasure {
  model: string;
  flopsPerImage: number;
  batchSize: number;
  forward: number;
  forwardBackward: number;
  trainStep: number;
}

/** Everything measured on one backend. */
export interface BackendMeasure {
  backend: string;
  adapter: string | null;
  peakGflops: number;
  peakKind: string;
  peakMemoryBytes: number;
  models: ModelMeasure[];
}

/** Seconds per call of `fn`, median of `repeats` after one warm-up. */
async function time(fn: () => Promise<void>, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Peak: the best of a large 3×3 conv and a large matmul on this backend. */
async function measurePeak(scale: number): Promise<{ gflops: number; kind: string }> {
  const n = Math.max(1, Math.round(16 * scale));
  const x = tf.randomUniform([n, 56, 56, 64]) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 64, 64]) as tf.Tensor4D;
  const convFlops = 2 * n * 56 * 56 * 9 * 64 * 64;
  const conv = await time(async () => {
    const y = tf.conv2d(x, w, 1, "same");
    await y.data();
    y.dispose();
  }, 7);
  const m = 1024;
  const a = tf.randomUniform([m, m]);
  const b = tf.randomUniform([m, m]);
  const mm = await time(async () => {
    const y = tf.matMul(a, b);
    await y.data();
    y.dispose();
  }, 7);
  tf.dispose([x, w, a, b]);
  const convRate = convFlops / conv / 1e9;
  const mmRate = (2 * m * m * m) / mm / 1e9;
  return convRate >= mmRate
    ? { gflops: convRate, kind: `conv 3×3 ${n}×56×56×64→64` }
    : { gflops: mmRate, kind: `matmul ${m}³` };
}

async function measureModel(net: Net, name: string, scale: number): Promise<ModelMeasure> {
  // The slow backends (pure-JS CPU, software WebGPU) get one small batch and
  // fewer rounds, or the bench would take a quarter of an hour.
  const batchSize = scale >= 1 ? 64 : 8;
  const batches = scale >= 1 ? 4 : 1;
  const data = await defaultData(name as typeof DEFAULT_MODEL_NAMES[number], "test", batchSize);
  const x = tf.tensor4d(data.images, data.shape);
  const labels = tf.oneHot(tf.tensor1d(data.labels, "int32"), net.numClasses);
  const images = batchSize * batches;

  // A zero learning rate keeps the weights; the step costs the same.
  net.model.compile({ optimizer: tf.train.sgd(0), loss: "categoricalCrossentropy" });
  const passes = {
    forward: async () => {
      for (let i = 0; i < batches; i++) {
        const y = runNet(net, x).output;
        await y.data();
        y.dispose();
      }
    },
    forwardBackward: async () => {
      for (let i = 0; i < batches; i++) {
        const g = targetGradients(net, x, { kind: "class" });
        await g.inputGrad!.data();
        disposeGradients(g);
      }
    },
    train: async () => {
      for (let i = 0; i < batches; i++) await net.model.trainOnBatch(x, labels);
    },
  };
  // Interleaved rounds: this machine's speed drifts by tens of percent over
  // seconds, and interleaving makes the ratios between passes robust to it.
  const times = await interleaved(passes, scale >= 1 ? 7 : 2);
  const { forward, forwardBackward, train } = times;
  tf.dispose([x, labels]);
  return {
    model: name,
    flopsPerImage: forwardFlops(net),
    batchSize,
    forward: images / forward,
    forwardBackward: images / forwardBackward,
    trainStep: images / train,
  };
}

/** Peak resident memory of this process (Linux VmHWM), else current RSS. */
async function peakRss(): Promise<number> {
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return Deno.memoryUsage().rss;
}

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const scale = Number(Deno.args[1] ?? "1");
  const info = await useBackend(backend as "wasm", { quiet: true });
  const peak = await measurePeak(scale);
  const models: ModelMeasure[] = [];
  for (const name of DEFAULT_MODEL_NAMES) {
    const net = await loadDefaultNet(name);
    models.push(await measureModel(net, name, scale));
    net.model.dispose();
  }
  const result: BackendMeasure = {
    backend: info.name,
    adapter: info.adapter?.description ?? null,
    peakGflops: peak.gflops,
    peakKind: peak.kind,
    peakMemoryBytes: await peakRss(),
    models,
  };
  console.log(JSON.stringify(result));
}
