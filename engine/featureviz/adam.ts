/**
 * Adam for one variable, as feature visualisation uses it: `tf.train.adam`
 * (β₁ 0.9, β₂ 0.999, ε the backend's), except that on the WASM backend each
 * step is one SIMD pass over the heap (engine/kernels/_simd_adam.ts) with
 * the same f32 arithmetic, instead of eleven element-wise kernels. Other
 * backends use `tf.train.adam` itself.
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { createAdam } from "./adam.ts";
 * const x = tf.variable(tf.tensor1d([1, -2, 3, 0.5, 4]));
 * const adam = createAdam(x, 0.1);
 * // The first Adam step moves every entry by the learning rate against its gradient's sign.
 * const g = tf.tensor1d([2, -1, 0.5, 3, -7]);
 * adam.step(g);
 * const v = await x.data();
 * if (Math.abs(v[0]! - 0.9) > 1e-6 || Math.abs(v[1]! + 1.9) > 1e-6) throw new Error("example failed");
 * tf.dispose([g, x]);
 * adam.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { type AdamConstants, simdAdamStep } from "../kernels/_simd_adam.ts";
import { wasmHeap } from "../kernels/_simd_runtime.ts";

/** An Adam optimiser bound to one variable. */
export interface Adam {
  /** Applies one update with this gradient (the variable's shape); the caller keeps the gradient. */
  step(gradient: tf.Tensor): void;
  /** Frees the moment estimates. */
  dispose(): void;
  /** True when each step is the fused WASM pass, false for `tf.train.adam`. */
  readonly fused: boolean;
}

const BETA1 = 0.9, BETA2 = 0.999;

/**
 * An Adam optimiser for `variable` (moments start at 0, as in `tf.train.adam`).
 *
 * @param variable a float32 variable
 * @param learningRate the step size
 * @returns the optimiser; the caller disposes it
 * @throws {RangeError} for a learning rate that is not a positive finite number
 */
export function createAdam(variable: tf.Variable, learningRate: number): Adam {
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new RangeError(`learningRate must be a positive finite number, got ${learningRate}`);
  }
  const heap = wasmHeap(tf.backend());
  if (!heap || variable.dtype !== "float32") {
    const optimizer = tf.train.adam(learningRate, BETA1, BETA2);
    return {
      step: (gradient) => optimizer.applyGradients([{ name: variable.name, tensor: gradient }]),
      dispose: () => optimizer.dispose(),
      fused: false,
    };
  }
  const f = Math.fround;
  // Kept: a caller's tidy must not free them. Written in place by the kernel (they are ours alone).
  const m = tf.keep(tf.zerosLike(variable)), v = tf.keep(tf.zerosLike(variable));
  // tf.train.adam keeps βᵢᵗ as f32 scalars, multiplied by βᵢ after each step.
  let acc1 = f(BETA1), acc2 = f(BETA2);
  const epsilon = f(tf.backend().epsilon());
  return {
    step(gradient) {
      if (gradient.shape.join() !== variable.shape.join() || gradient.dtype !== "float32") {
        throw new RangeError(
          `the gradient must be float32 [${variable.shape}], got ${gradient.dtype} [${gradient.shape}]`,
        );
      }
      const constants: AdamConstants = {
        beta1: f(BETA1),
        oneMinusBeta1: f(1 - BETA1),
        beta2: f(BETA2),
        oneMinusBeta2: f(1 - BETA2),
        correction1: f(1 - acc1),
        correction2: f(1 - acc2),
        epsilon,
        negLearningRate: f(-learningRate),
      };
      const info = heap.output([...variable.shape]);
      const at = (t: tf.TensorInfo) => heap.address(t);
      simdAdamStep(
        heap,
        { p: at(variable), g: at(gradient), m: at(m), v: at(v), out: at(info) },
        variable.size,
        constants,
      );
      const next = tf.engine().makeTensorFromTensorInfo(info);
      variable.assign(next);
      next.dispose();
      acc1 = f(acc1 * f(BETA1));
      acc2 = f(acc2 * f(BETA2));
    },
    dispose: () => tf.dispose([m, v]),
    fused: true,
  };
}
