/**
 * The linear part of a layer, z = f(a; W) + b, as LRP rules see it: its
 * forward with any (modified) weights, and its vector–Jacobian product
 * ∂(f(a; W)ᵀ s)/∂a, the "gradient trick" of Montavon et al. 2019
 * ("Layer-Wise Relevance Propagation: An Overview", §10.2.2). One pair of
 * functions serves Dense, Conv2D (any stride and padding), DepthwiseConv2D,
 * the two halves of SeparableConv2D and an element-wise scale (a
 * BatchNormalization that cannot be folded). Custom rules are written with
 * these two functions.
 *
 * @module
 */
import { tf } from "../deps.ts";

/** Stride and padding of a convolution (dilation 1: see `canonize`). */
export interface ConvGeometry {
  /** Stride [rows, columns]. */
  strides: [number, number];
  /** tfjs padding mode. */
  padding: "same" | "valid";
}

/**
 * One linear map. Kernels use tfjs layouts: dense [in, out], conv
 * [kh, kw, in, out], depthwise [kh, kw, in, multiplier], scale [C].
 */
export type LinearOp =
  | { kind: "dense"; kernel: tf.Tensor; bias: tf.Tensor | null }
  | ({ kind: "conv"; kernel: tf.Tensor; bias: tf.Tensor | null } & ConvGeometry)
  | ({ kind: "depthwise"; kernel: tf.Tensor; bias: tf.Tensor | null } & ConvGeometry)
  | { kind: "scale"; kernel: tf.Tensor; bias: tf.Tensor | null };

/** Options of {@link linearForward}. */
export interface ForwardOptions {
  /** The weights to use, e.g. a rule's ρ(W). Default: `op.kernel`. */
  kernel?: tf.Tensor;
  /** The bias to add, e.g. ρ(b); null for none. Default: `op.bias`. */
  bias?: tf.Tensor | null;
}

/**
 * z = f(x; W) + b of one linear map (Montavon et al. 2019, §10.2.2: the z of
 * every rule), with the op's own or modified weights.
 *
 * @param op the linear map
 * @param x its input (any batch size)
 * @param options see {@link ForwardOptions}
 * @returns a new tensor
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { linearForward, type LinearOp } from "./linear.ts";
 * const op: LinearOp = { kind: "dense", kernel: tf.tensor2d([[1, 2], [3, 4]]), bias: null };
 * const a = tf.tensor2d([[1, 1]]);
 * const z = linearForward(op, a); // a W = [[4, 6]]
 * if ((await z.data()).join() !== "4,6") throw new Error("forward");
 * tf.dispose([op.kernel, a, z]);
 * ```
 */
export function linearForward(
  op: LinearOp,
  x: tf.Tensor,
  options: ForwardOptions = {},
): tf.Tensor {
  const kernel = options.kernel ?? op.kernel;
  const bias = options.bias === undefined ? op.bias : options.bias;
  return tf.tidy(() => {
    let z: tf.Tensor;
    switch (op.kind) {
      case "dense": {
        // Dense on a rank > 2 input acts on the last axis (as tfjs-layers does).
        const inDim = x.shape[x.rank - 1]!;
        const flat = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
        const out = tf.matMul(flat, kernel as tf.Tensor2D);
        z = tf.reshape(out, [...x.shape.slice(0, -1), kernel.shape[1]!]);
        break;
      }
      case "conv":
        z = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, op.strides, op.padding);
        break;
      case "depthwise":
        z = tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, op.strides, op.padding);
        break;
      case "scale":
        z = tf.mul(x, kernel);
        break;
    }
    return bias ? tf.add(z, bias) : z;
  });
}

/** Options of {@link linearBackward}. */
export interface BackwardOptions {
  /** The shape of the map's input x (required: strided convs do not determine it). */
  inputShape: readonly number[];
  /** The weights to use, e.g. a rule's ρ(W). Default: `op.kernel`. */
  kernel?: tf.Tensor;
}

/**
 * The vector–Jacobian product c = ∂(f(x; W)ᵀ s)/∂x of a linear map, no
 * bias (Montavon et al. 2019, §10.2.2: the c of R_in = a ⊙ c); the same for
 * every x because f is linear.
 *
 * @param op the linear map (for its kind and geometry)
 * @param s a tensor shaped like f's output
 * @param options the input shape, and the weights (see {@link BackwardOptions})
 * @returns c, shaped like x (a new tensor)
 *
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { linearBackward, type LinearOp } from "./linear.ts";
 * const op: LinearOp = { kind: "dense", kernel: tf.tensor2d([[1, 2], [3, 4]]), bias: null };
 * const s = tf.tensor2d([[1, 0]]);
 * const c = linearBackward(op, s, { inputShape: [1, 2] }); // W s = [[1, 3]]
 * if ((await c.data()).join() !== "1,3") throw new Error("backward");
 * tf.dispose([op.kernel, s, c]);
 * ```
 */
export function linearBackward(
  op: LinearOp,
  s: tf.Tensor,
  options: BackwardOptions,
): tf.Tensor {
  const kernel = options.kernel ?? op.kernel;
  const inputShape = options.inputShape;
  return tf.tidy(() => {
    switch (op.kind) {
      case "dense": {
        const outDim = kernel.shape[1]!;
        const flat = tf.reshape(s, [-1, outDim]) as tf.Tensor2D;
        // Transposing the (small) kernel first: WASM's transposed matMul is slow.
        const back = tf.matMul(flat, tf.transpose(kernel as tf.Tensor2D));
        return tf.reshape(back, [...inputShape]);
      }
      case "conv":
        return tf.conv2dTranspose(
          s as tf.Tensor4D,
          kernel as tf.Tensor4D,
          inputShape as [number, number, number, number],
          op.strides,
          op.padding,
        );
      case "depthwise": {
        // tfjs has no public depthwise transpose; differentiating the forward
        // reaches the DepthwiseConv2dNativeBackpropInput kernel.
        const k = kernel as tf.Tensor4D;
        const f = (x: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, k, op.strides, op.padding), s));
        return tf.grad(f)(tf.zeros([...inputShape]));
      }
      case "scale":
        return tf.mul(s, kernel);
    }
  });
}
