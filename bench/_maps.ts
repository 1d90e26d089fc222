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
import { interleaved } from "./_timing.ts";

/** One method on one model. */
export interface MapMeasure {
  model: string;
  method: string;
  imagesPerSecond: number;
  /** Model evaluations needed per image, and of which kind. */
  needs: { count: number; kind: "forward" | "forward+backward" | "forward, then forward+backward" };
  /** Measured time ÷ the time of those evaluations (batched, same run). */
  ratio: number;
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
    const base = basePasses(net, x);
    const layer = convLayers(net).at(-1)!.name;
    const methods: [string, () => Promise<MapResult>][] = [
      ...(Object.keys(ATTRIBUTION_METHODS) as AttributionName[]).map((
        m,
      ): [string, () => Promise<MapResult>] => [
        m,
        () => attribute(net, x, { method: m, background }),
      ]),
      ...(Object.keys(CAM_METHODS) as CamMethodName[]).map((
        m,
      ): [string, () => Promise<MapResult>] => [m, () => cam(net, x, { method: m, layer })]),
      ["lrp-epsilonPlus", () => lrp(net, x, { composite: "epsilonPlus" })],
    ];
    for (const [name, run] of methods) {
      let maps: MapResult | null = null;
      const t = await interleaved({ ...base, method: async () => void (maps = await run()) }, 3);
      const needs = needsOf(name, net, maps!);
      const unit = needs.kind === "forward"
        ? t.forward
        : needs.kind === "forward+backward"
        ? t.backward
        : t.forward + t.backward;
      out.push({
        model,
        method: name,
        imagesPerSecond: count / t.method,
        needs,
        // `unit` is the time of one pass over the whole batch of `count` images.
        ratio: t.method / (needs.count * unit),
      });
    }
    x.dispose();
    net.model.dispose();
  }
  console.log(JSON.stringify(out));
}
