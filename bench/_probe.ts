/**
 * Exact filter importance's speed on one backend, in its own process: for
 * every conv layer of both default models, the time of
 * `filterImportance(..., { proxies: false })` over a batch of images as a
 * ratio to the (channels + 1) batched forward passes it fundamentally needs
 * (one base pass, then one pass per zeroed channel), measured in the same
 * run with interleaved rounds. Target: ratio ≤ 1.3. Ablation reuses the
 * layer's activation and recomputes only what lies after it, so deep layers
 * come out well below 1.
 *
 * Usage: deno run -A bench/_probe.ts BACKEND IMAGES → one JSON line on stdout.
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { runNet } from "../engine/net/executor.ts";
import { convLayers } from "../engine/net/net.ts";
import { filterImportance } from "../engine/probe/filter_importance.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  loadDefaultNet,
} from "../engine/train/default_models.ts";
import { interleaved } from "./_timing.ts";

/** Exact filter importance of one layer. */
export interface ProbeMeasure {
  model: string;
  layer: string;
  channels: number;
  images: number;
  /** Seconds for the whole layer (every channel, every image). */
  seconds: number;
  /** (image, channel) ablations per second. */
  ablationsPerSecond: number;
  /** Seconds of one batched forward pass over the images. */
  forwardSeconds: number;
  /** seconds ÷ ((channels + 1) · forwardSeconds). */
  ratio: number;
}

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const count = Number(Deno.args[1] ?? "32");
  const rounds = Number(Deno.args[2] ?? "3");
  await useBackend(backend as "wasm", { quiet: true });
  const out: ProbeMeasure[] = [];
  for (const model of DEFAULT_MODEL_NAMES) {
    const net = await loadDefaultNet(model);
    const data = await defaultData(model, "test", count);
    const x = tf.tensor4d(data.images, data.shape);
    for (const info of convLayers(net)) {
      const t = await interleaved({
        forward: async () => {
          const y = runNet(net, x).output;
          await y.data();
          y.dispose();
        },
        exact: async () => {
          await filterImportance(net, data, {
            layers: [info.name],
            batchSize: count,
            proxies: false,
          });
        },
      }, rounds);
      const channels = info.outputShape.at(-1)!;
      out.push({
        model,
        layer: info.name,
        channels,
        images: count,
        seconds: t.exact,
        ablationsPerSecond: (count * channels) / t.exact,
        forwardSeconds: t.forward,
        ratio: t.exact / ((channels + 1) * t.forward),
      });
    }
    x.dispose();
    net.model.dispose();
  }
  console.log(JSON.stringify(out));
}
