/**
 * Shared helpers of the LRP tests: bias-free copies of models (for the
 * conservation property) and small readers.
 *
 * @module
 */
import { tf, tfl } from "../../engine/deps.ts";

/** Weights that shift rather than scale: biases, BatchNorm betas and moving means. */
const SHIFTS = /(^|\/)(bias|beta|moving_mean)(_\d+)?$/;

/**
 * A copy of `model` (saved and loaded in memory, so the original is never
 * touched) whose biases, BatchNorm betas and moving means are zero: after
 * folding, every linear map of the copy is bias-free, which is the
 * condition of exact LRP conservation.
 */
export async function biasFreeCopy(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const copy = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
  zeroShifts(copy);
  return copy;
}

/** Sets the biases, betas and moving means of a model the test owns to zero, in place. */
export function zeroShifts(model: tfl.LayersModel): void {
  const values = model.getWeights();
  const zeros = values.map((v, i) =>
    SHIFTS.test(model.weights[i]!.originalName) ? tf.zerosLike(v) : null
  );
  model.setWeights(values.map((v, i) => zeros[i] ?? v));
  tf.dispose(zeros.filter((z): z is tf.Tensor => z !== null));
}

/** Reads a tensor as a plain array (async: never dataSync). */
export async function read(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Σ over all but the batch axis, read back per image. */
export async function sumPerImage(t: tf.Tensor): Promise<number[]> {
  const s = tf.sum(t, t.shape.slice(1).map((_, i) => i + 1));
  try {
    return Array.from(await s.data());
  } finally {
    s.dispose();
  }
}

/** Asserts |a − b| ≤ tol elementwise, with a readable message. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = "") {
  if (a.length !== b.length) throw new Error(`${what}: lengths ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) {
      throw new Error(
        `${what}: [${i}] ${a[i]} vs ${b[i]} (tol ${tol})\n${Array.from(a)}\n${Array.from(b)}`,
      );
    }
  }
}
