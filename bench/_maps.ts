/**
 * Map methods' speed on one backend, in its own process: images/s per method
 * on both default models, and each method's cost as a ratio to the model
 * evaluations it fundamentally needs, measured in the same run:
 *
 * - one forward + backward (input gradient) per image: saliency,
 *   gradient × input, deconvolution, guided backprop, the gradient CAMs and
 *   the relevance CAMs;
 * - LRP with a modified-weight rule (z⁺, γ, α–β: ρ(W) ≠ W) needs the forward
 *   pass plus a forward + backward through the modified weights, i.e.
 *   1 forward + 1 forward + backward;
 * - n of them: SmoothGrad (n), Integrated Gradients (steps + 1 points),
 *   Expected Gradients (n);
 * - forward passes: occlusion (patches + 1), Score-CAM and Ablation-CAM
 *   (channels + 1), Eigen-CAM (1).
 *
 * How (bench/_timing.ts `pairedRatio`): each method is timed in rounds
 * between blocks of its reference pass (the forward, forward + backward,
 * or both, over the bench's batch of images), every block repeated until it
 * lasts 0.15 s (9 rounds; the slow methods, > 8 passes per image: 0.3 s, 5
 * rounds, on a quarter of the images); the ratio is the median of the
 * rounds' ratios, in this process's CPU time, so other processes on the
 * shared machine (which stretch wall time by whatever share of the core
 * they take) move it much less; `wallRatio` is the wall-clock equivalent.
 *
 * Usage: deno run -A bench/_maps.ts BACKEND IMAGES → one JSON line on stdout.
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { attribute, ATTRIBUTION_METHODS, type AttributionName } from "../engine/attribution/mod.ts";
import { cam } from "../engine/cam/cam.ts";
import { CAM_METHODS, type CamMethodName } from "../engine/cam/registry.ts";
import { lrp } from "../engine/lrp/mod.ts";
import { runNet } from "../engine/net/executor.ts";
import { convLayers, type Net } from "../engine/net/net.ts";
import { disposeGradients, targetGradients } from "../engine/net/targets.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  loadDefaultNet,
} from "../engine/train/default_models.ts";
import type { MapResult } from "../engine/maps/map.ts";
import { pairedRatio } from "./_timing.ts";

/** One method on one model. */
export interface MapMeasure {
  model: string;
  method: string;
  /** Images per call: the bench's count, or a quarter of it for slow methods (needs > 8). */
  images: number;
  imagesPerSecond: number;
  /** Model evaluations needed per image, and of which kind. */
  needs: { count: number; kind: "forward" | "forward+backward" | "forward, then forward+backward" };
  /**
   * Measured time ÷ the time of those evaluations (batched passes over the
   * bench's images, same run), in the process's CPU time: the median of
   * per-round ratios, each round against the reference passes timed just
   * before and after it.
   */
  ratio: number;
  /** The same ratio in wall-clock time (noisier: it counts other processes' turns on the core). */
  wallRatio: number;
}

/** The passes every method is compared with, on the same batch. */
function basePasses(net: Net, x: tf.Tensor4D) {
  return {
    forward: async () => {
      const y = runNet(net, x).output;
      await y.data();
      y.dispose();
    },
    backward: async () => {
      const g = targetGradients(net, x, { kind: "class" });
      await g.inputGrad!.data();
      disposeGradients(g);
    },
  };
}

function needsOf(method: string, net: Net, maps: MapResult): MapMeasure["needs"] {
  const channels = net.layers.find((l) => l.name === maps.layer)?.units ?? 0;
  switch (method) {
    case "smoothGrad":
    case "expectedGradients":
      return { count: 50, kind: "forward+backward" };
    case "integratedGradients":
      return { count: 51, kind: "forward+backward" };
    case "occlusion":
      return { count: Number(maps.extras.patches ?? 0) + 1, kind: "forward" };
    case "scoreCam":
    case "ablationCam":
      return { count: channels + 1, kind: "forward" };
    case "eigenCam":
      return { count: 1, kind: "forward" };
    case "lrp-epsilonPlus":
      return { count: 1, kind: "forward, then forward+backward" };
    default:
      return { count: 1, kind: "forward+backward" };
  }
}

/** A needs count above this makes a method "slow": it is timed on a quarter of the images. */
const SLOW = 8;

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const count = Number(Deno.args[1] ?? "32");
  await useBackend(backend as "wasm", { quiet: true });
  const out: MapMeasure[] = [];
  for (const model of DEFAULT_MODEL_NAMES) {
    const net = await loadDefaultNet(model);
    const data = await defaultData(model, "test", count);
    const background = await defaultData(model, "train", 50);
    const x = tf.tensor4d(data.images, data.shape);
    const quarter = tf.slice(x, [0], [Math.max(1, Math.floor(count / 4))]);
    const two = tf.slice(x, [0], [Math.min(2, count)]);
    const base = basePasses(net, x);
    const layer = convLayers(net).at(-1)!.name;
    type Run = (images: tf.Tensor4D) => Promise<MapResult>;
    const methods: [string, Run][] = [
      ...(Object.keys(ATTRIBUTION_METHODS) as AttributionName[]).map((m): [string, Run] => [
        m,
        (images) => attribute(net, images, { method: m, background }),
      ]),
      ...(Object.keys(CAM_METHODS) as CamMethodName[]).map((
        m,
      ): [string, Run] => [m, (images) => cam(net, images, { method: m, layer })]),
      ["lrp-epsilonPlus", (images) => lrp(net, images, { composite: "epsilonPlus" })],
    ];
    for (const [name, run] of methods) {
      // Warm-up on two images: compiles the kernels of the batch shapes
      // and tells what the method needs, for 1/16 of a full call.
      const needs = needsOf(name, net, await run(two));
      // Slow methods (tens of passes per image) run on a quarter of the
      // images, so that five rounds fit the bench's time; their chunks still
      // hold batchSize rows (bar the last), so the per-image cost is the same.
      const images = needs.count > SLOW ? quarter : x;
      const n = images.shape[0];
      const reference = needs.kind === "forward"
        ? base.forward
        : needs.kind === "forward+backward"
        ? base.backward
        : async () => {
          await base.forward();
          await base.backward();
        };
      const t = await pairedRatio(async () => void (await run(images)), reference, {
        // Short blocks in many rounds for fast methods: a burst of load
        // from another process then spoils fewer of the rounds the median
        // is taken over. A slow method's call is one block of seconds.
        rounds: needs.count > SLOW ? 5 : 9,
        minSeconds: needs.count > SLOW ? 0.3 : 0.15,
        // A fast method's full call is cheap: warm its batch shapes too.
        ...(needs.count > SLOW ? { warmUp: async () => {} } : {}),
      });
      out.push({
        model,
        method: name,
        images: n,
        imagesPerSecond: n / t.seconds,
        needs,
        // The reference is one pass over `count` images; the method needs
        // needs.count of them per image, for n images.
        ratio: t.ratio / (needs.count * n / count),
        wallRatio: t.wallRatio / (needs.count * n / count),
      });
    }
    tf.dispose([x, quarter, two]);
    net.model.dispose();
  }
  console.log(JSON.stringify(out));
}
