/**
 * Map evaluation's speed on one backend, in its own process: seconds per
 * image of region perturbation / AOPC (L = 100) and of deletion/insertion
 * (51 points each) on both default models, each as a ratio to the forward
 * passes it fundamentally needs, measured in the same run:
 *
 * - AOPC: L + 1 = 101 forward passes per image;
 * - deletion + insertion: 2 · 51 = 102 forward passes per image.
 *
 * The unit is a forward pass over a full batch of 32 rows (the metrics'
 * default `batchSize`), divided by 32. The maps (Grad-CAM at the last conv
 * layer) are computed once, outside the timing. Target: ratio ≤ 1.3 (building the perturbed images on the device
 * and reading the logits back are the only overheads).
 *
 * Usage: deno run -A bench/_evaluate.ts BACKEND IMAGES ROUNDS → one JSON line on stdout.
 *
 * @module
 */
import { useBackend } from "../engine/backend.ts";
import { tf } from "../engine/deps.ts";
import { cam } from "../engine/cam/cam.ts";
import { deletionInsertion } from "../engine/evaluate/deletion_insertion.ts";
import { regionPerturbation } from "../engine/evaluate/region_perturbation.ts";
import { runNet } from "../engine/net/executor.ts";
import type { Net } from "../engine/net/net.ts";
import {
  DEFAULT_MODEL_NAMES,
  defaultData,
  loadDefaultNet,
} from "../engine/train/default_models.ts";
import { interleaved } from "./_timing.ts";

/** One metric on one model. */
export interface EvaluateMeasure {
  model: string;
  metric: "aopc" | "deletionInsertion";
  /** Seconds per image. */
  secondsPerImage: number;
  /** Forward passes needed per image. */
  needs: { count: number; kind: "forward" };
  /** Measured time ÷ the time of those forward passes (batched, same run). */
  ratio: number;
}

/** Rows per forward pass, the metrics' default `batchSize`. */
const ROWS = 32;

/** One forward pass over a full batch of {@link ROWS} rows (the images, repeated). */
function forwardOfBatch(net: Net, rows: tf.Tensor4D): () => Promise<void> {
  return async () => {
    const y = runNet(net, rows).output;
    await y.data();
    y.dispose();
  };
}

if (import.meta.main) {
  const backend = Deno.args[0] ?? "wasm";
  const count = Number(Deno.args[1] ?? "8");
  const rounds = Number(Deno.args[2] ?? "2");
  await useBackend(backend as "wasm", { quiet: true });
  const out: EvaluateMeasure[] = [];
  for (const model of DEFAULT_MODEL_NAMES) {
    const net = await loadDefaultNet(model);
    const data = await defaultData(model, "test", count);
    const x = tf.tensor4d(data.images, data.shape);
    const maps = await cam(net, x);
    // Built once, outside the timing: tile is slow on WASM.
    const rows = tf.tidy(() =>
      tf.slice(tf.tile(x, [Math.ceil(ROWS / count), 1, 1, 1]), [0], [ROWS]) as tf.Tensor4D
    );
    const t = await interleaved({
      forward: forwardOfBatch(net, rows),
      aopc: async () => void await regionPerturbation(net, x, maps),
      deletionInsertion: async () => void await deletionInsertion(net, x, maps),
    }, rounds);
    for (const [metric, needs] of [["aopc", 101], ["deletionInsertion", 102]] as const) {
      out.push({
        model,
        metric,
        secondsPerImage: t[metric] / count,
        needs: { count: needs, kind: "forward" },
        // `t.forward` is one pass over a full batch of ROWS rows, the best case
        // for the needs · count rows the metric sends through the net.
        ratio: t[metric] / ((needs * count * t.forward) / ROWS),
      });
    }
    tf.dispose([x, rows]);
    net.model.dispose();
  }
  console.log(JSON.stringify(out));
}
