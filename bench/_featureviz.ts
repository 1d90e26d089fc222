/**
 * Feature visualisation's speed on one backend, in its own process: for a
 * full layer of each default model (mnist-cnn block2_conv2, scenes-cnn
 * conv3), the cost of one optimisation step of the whole batch of neurons
 * (render the parameterised images, transform, forward to the layer,
 * backward to the parameters, Adam update) as a ratio to one batched
 * forward + backward (input gradient) of the same batch size up to that
 * layer, measured in interleaved rounds. Target: ratio ≤ 1.3.
 *
 * The step time is the steady state: the median duration of steps 34 …
 * 33 + `steps` (default `steps` 16) of one run, read from its progress
 * callback; the first 32 steps are left out because units that are dead on
 * their start image get an extra (deconv) pass there. The forward +
 * backward time is the median of runs taken just before and just after,
 * in every round (medians resist this shared machine's load spikes).
 * `warmupSeconds` is what the run cost beyond that many steady steps
 * (setup, dead-unit rescue, final render and read). Neurons per minute at
 * the default 256 steps are extrapolated: chunks · (warmup + 256 · step),
 * chunks of 64 neurons.
 *
 * Usage: deno run -A bench/_featureviz.ts BACKEND [STEPS] [ROUNDS] → one JSON line on stdout.
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { featureVisualization, unitActivations } from "../engine/featureviz/mod.ts";
import { runNet } from "../engine/net/executor.ts";
import { getLayer } from "../engine/net/net.ts";
import { type DefaultModelName, loadDefaultNet } from "../engine/train/default_models.ts";

/** Feature visualisation of one full layer. */
export interface FeatureVizMeasure {
  model: string;
  layer: string;
  /** Units of the layer = batch size of one step (at most 64 per chunk). */
  units: number;
  /** Steps per measured run. */
  steps: number;
  /** Seconds of one optimisation step for the whole batch. */
  stepSeconds: number;
  /** Seconds a run costs beyond its steady steps (setup, dead-unit rescue, final read). */
  warmupSeconds: number;
  /** Seconds of one batched forward + input-gradient pass up to the layer. */
  forwardBackwardSeconds: number;
  /** stepSeconds ÷ forwardBackwardSeconds (target ≤ 1.3). */
  ratio: number;
  /** Neurons visualised per minute at the default 256 steps (extrapolated). */
  neuronsPerMinute: number;
}

/** The layers measured: one full mid-depth conv layer per default model. */
export const FEATUREVIZ_LAYERS: ReadonlyArray<[DefaultModelName, string]> = [
  ["mnist-cnn", "block2_conv2"],
  ["scenes-cnn", "conv3"],
];

/** The median of some numbers. */
function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

/** Steps of the warm-up run: past the 32 steps in which dead units are rescued. */
const WARM = 33;

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const steps = Number(Deno.args[1] ?? "16");
  const rounds = Number(Deno.args[2] ?? "3");
  await useBackend(backend as "wasm", { quiet: true });
  const out: FeatureVizMeasure[] = [];
  for (const [model, layer] of FEATUREVIZ_LAYERS) {
    const net = await loadDefaultNet(model);
    const units = Math.min(64, getLayer(net, layer).units);
    const x = tf.randomUniform([units, ...net.inputShape], 0, 1, "float32", 1);
    const forwardBackward = async () => {
      const t0 = performance.now();
      const g = tf.grad((img: tf.Tensor) =>
        tf.sum(unitActivations(
          runNet(net, img, { capture: [layer], skipOutput: true }).captured[layer]!,
        ))
      )(x);
      await g.data();
      g.dispose();
      return (performance.now() - t0) / 1000;
    };
    await forwardBackward(); // warm-up
    const fb: number[] = [], step: number[] = [], runs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 3; i++) fb.push(await forwardBackward());
      const durations: number[] = [];
      let last = performance.now();
      const t0 = last;
      await featureVisualization(net, layer, {
        steps: WARM + steps,
        units: [...Array(units).keys()],
        onProgress: () => {
          const now = performance.now();
          durations.push((now - last) / 1000);
          last = now;
        },
      });
      runs.push((performance.now() - t0) / 1000);
      step.push(...durations.slice(WARM));
      for (let i = 0; i < 3; i++) fb.push(await forwardBackward());
    }
    const stepSeconds = median(step);
    const forwardBackwardSeconds = median(fb);
    const warmupSeconds = Math.max(0, median(runs) - (WARM + steps) * stepSeconds);
    const total = getLayer(net, layer).units;
    out.push({
      model,
      layer,
      units,
      steps,
      stepSeconds,
      warmupSeconds,
      forwardBackwardSeconds,
      ratio: stepSeconds / forwardBackwardSeconds,
      neuronsPerMinute: total /
        ((Math.ceil(total / 64) * (warmupSeconds + 256 * stepSeconds)) / 60),
    });
    x.dispose();
    net.model.dispose();
  }
  console.log(JSON.stringify(out));
}
