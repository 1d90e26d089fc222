/**
 * Image parameterisations for feature visualisation (Olah et al. 2017,
 * "Feature Visualization", Distill; Lucid's `fft_image` and `to_valid_rgb`).
 *
 * - `fourier` (default): each image is the inverse real 2-D DFT of a learned
 *   spectrum whose coefficients are scaled by 1 / max(f, 1 / max(H, W))
 *   (Lucid's decay power 1, times √(HW), then / 4), so low frequencies move
 *   first and the optimiser is not dominated by pixel noise. RGB images are
 *   then mixed through Lucid's `color_correlation_svd_sqrt` matrix,
 *   normalised by its largest column norm, so that colour channels are
 *   decorrelated; grey-level images (1 channel) skip that step.
 * - `pixel`: one free value per pixel (Lucid's `naive`), same colour step.
 *
 * Both end in a sigmoid, so images always lie in [0, 1]. Initial values are
 * N(0, 0.01²), drawn per image from the caller's seed for that image, so
 * that a neuron's image does not depend on which other neurons share its
 * batch.
 *
 * The WASM backend has no FFT kernels (`FFT`, `IRFFT`, `Complex` are not
 * registered there), and for 28–64 px images a DFT as small matmuls with
 * precomputed cos/sin bases is cheap and differentiable everywhere. Every
 * product has the spectrum on the left and the constant basis on the
 * right: tfjs-wasm hands a matmul's right operand to XNNPACK as packed
 * weights and repacks it whenever it is a new tensor (64 RGB images of
 * 64×64: the y transform as basis × spectrum took 9.4 ms, as spectrum ×
 * basis 6.7 ms). Gradients multiply by pre-transposed bases, because
 * WASM's `transposeB` matmul is ~10× slower. When H is a multiple of 4 the
 * y transform is split into two of half length and a radix-2 butterfly
 * ({@link irfft2dSplit}), and on WASM the butterfly and the final colour
 * mixing are SIMD kernels (engine/kernels/_simd_butterfly.ts,
 * _simd_color.ts): rendering 64 such images with its gradient takes
 * ~24 ms.
 *
 * @example
 * ```ts
 * import { createImageParam } from "./parameterization.ts";
 * const p = createImageParam([2, 8, 8, 3], { seeds: [1, 2] });
 * const img = p.render();
 * if (img.shape.join() !== "2,8,8,3") throw new Error("example failed");
 * img.dispose();
 * p.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { simdButterfly, twiddleTables } from "../kernels/_simd_butterfly.ts";
import { simdColorMix } from "../kernels/_simd_color.ts";
import { type WasmHeap, wasmHeap } from "../kernels/_simd_runtime.ts";
import { createRng } from "../random.ts";
import { checkColorMatrix, type ColorMatrix } from "./color.ts";

/** The parameterisations {@link createImageParam} knows. */
export const PARAMETERIZATIONS = ["fourier", "pixel"] as const;
/** One of {@link PARAMETERIZATIONS}. */
export type Parameterization = typeof PARAMETERIZATIONS[number];

/**
 * Lucid's square root of the colour correlation matrix of ImageNet
 * (`color_correlation_svd_sqrt`), rows = output colour.
 */
export const COLOR_CORRELATION_SVD_SQRT: readonly (readonly number[])[] = [
  [0.26, 0.09, 0.02],
  [0.27, 0.00, -0.05],
  [0.27, -0.09, 0.03],
];

/** Options of {@link createImageParam}. */
export interface ImageParamOptions {
  /** `fourier` (default) or `pixel`. */
  parameterization?: Parameterization;
  /**
   * One seed per image (length K); image k's initial values come from
   * `createRng(seeds[k])`. Default: 0, 1, …, K − 1.
   */
  seeds?: readonly number[];
  /** Standard deviation of the initial values. Default 0.01 (Lucid). */
  sd?: number;
  /**
   * Mix RGB channels through the square root of a colour covariance: `true`
   * (default) Lucid's ImageNet matrix {@link COLOR_CORRELATION_SVD_SQRT},
   * `false` none, or a 3×3 matrix in the same layout (e.g.
   * `colorCorrelationSqrt` of the model's training images, color.ts).
   * Ignored unless C = 3.
   */
  decorrelate?: boolean | ColorMatrix;
}

/** A trainable batch of images: the variable and how to turn it into pixels. */
export interface ImageParam {
  /** The trainable parameters (give them to the optimiser). */
  variable: tf.Variable;
  /** The axis of `variable` that indexes the K images. */
  imageAxis: number;
  /** [K, H, W, C] images in [0, 1], differentiable in `variable` (call inside tidy/grad). */
  render(): tf.Tensor4D;
  /** Frees the variable and the precomputed bases. */
  dispose(): void;
}

/**
 * Creates a batch of parameterised images for activation maximisation
 * (Lucid's `image(..., fft=True, decorrelate=True)`; Olah et al. 2017).
 *
 * @param shape [K, H, W, C]: K images of the model's input size
 * @param options see {@link ImageParamOptions}
 * @returns the variable and its renderer; the caller calls `dispose()`
 * @throws {RangeError} for a bad shape, seed count or sd
 * @example
 * ```ts
 * import { createImageParam } from "./parameterization.ts";
 * const p = createImageParam([1, 4, 4, 1], { parameterization: "pixel" });
 * const v = await p.render().data();
 * // Values near 0 through a sigmoid: near 0.5.
 * if (!v.every((x) => Math.abs(x - 0.5) < 0.05)) throw new Error("example failed");
 * p.dispose();
 * ```
 */
export function createImageParam(
  shape: readonly [number, number, number, number],
  options: ImageParamOptions = {},
): ImageParam {
  const [k, h, w, c] = shape;
  for (const [name, v] of [["K", k], ["H", h], ["W", w], ["C", c]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`image shape ${name} must be a positive integer, got ${v}`);
    }
  }
  const kind = options.parameterization ?? "fourier";
  if (!PARAMETERIZATIONS.includes(kind)) {
    throw new TypeError(
      `parameterization must be one of ${PARAMETERIZATIONS.join(", ")}, got ${String(kind)}`,
    );
  }
  const seeds = options.seeds ?? Array.from({ length: k }, (_, i) => i);
  if (seeds.length !== k) {
    throw new RangeError(`seeds must have one seed per image (${k}), got ${seeds.length}`);
  }
  const sd = options.sd ?? 0.01;
  if (!(sd >= 0 && Number.isFinite(sd))) {
    throw new RangeError(`sd must be a finite number ≥ 0, got ${sd}`);
  }
  const decorrelate = options.decorrelate ?? true;
  const mix = decorrelate === false || c !== 3
    ? null
    : colorMixing(decorrelate === true ? COLOR_CORRELATION_SVD_SQRT : decorrelate);

  if (kind === "pixel") {
    const init = new Float32Array(k * h * w * c);
    const per = h * w * c;
    seeds.forEach((seed, i) => {
      const rng = createRng(seed);
      for (let j = 0; j < per; j++) init[i * per + j] = sd * rng.normal();
    });
    const variable = toVariable(tf.tensor4d(init, [k, h, w, c]));
    const color = mix ? tf.tensor2d(mix, [3, 3]) : null;
    return {
      variable,
      imageAxis: 0,
      render: () =>
        tf.tidy(() => {
          const y = color
            ? tf.reshape(tf.matMul(tf.reshape(variable, [-1, 3]), color), [k, h, w, 3])
            : variable;
          return tf.sigmoid(y) as tf.Tensor4D;
        }),
      dispose: () => tf.dispose([variable, ...(color ? [color] : [])]),
    };
  }

  const fw = Math.floor(w / 2) + 1;
  // Layout [K, C, fw, 2, H] (see irfft2d), or with H a multiple of 4 the
  // even/odd split [K, C, fw, 2, 2, H/2] (see irfft2dSplit). Each image's
  // coefficients are drawn in (part, y, x, channel) order, as in the
  // [2, H, fw, C] layout of earlier versions, so a seed gives the same
  // start image whatever the layout.
  const split = h % 4 === 0;
  const at = spectrumIndex(h, w, split);
  const init = new Float32Array(k * c * fw * 2 * h);
  seeds.forEach((seed, i) => {
    const rng = createRng(seed);
    for (let part = 0; part < 2; part++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < fw; x++) {
          for (let ch = 0; ch < c; ch++) init[at(i * c + ch, x, part, y)] = sd * rng.normal();
        }
      }
    }
  });
  const layout = split ? [k, c, fw, 2, 2, h / 2] : [k, c, fw, 2, h];
  const variable = toVariable(tf.tensor(init, layout));
  const basis = irfft2dBasis(h, w, { channels: c, ...(mix ? { color: mix } : {}) });
  // Built at full size: on WASM a broadcasting multiply is an order of
  // magnitude slower than an elementwise one of the same size.
  const scale = spectrumScale(h, w, k, c, split);
  return {
    variable,
    imageAxis: 0,
    render: () =>
      tf.tidy(() => {
        const spectrum = tf.mul(variable, scale);
        return tf.sigmoid(
          split
            ? irfft2dSplit(spectrum as tf.Tensor, [h, w], basis)
            : irfft2d(spectrum as tf.Tensor5D, [h, w], basis),
        );
      }),
    dispose: () => {
      tf.dispose([variable, scale]);
      disposeBasis(basis);
    },
  };
}

/** Precomputed cos/sin bases of the inverse real 2-D DFT of an H×W image. */
export interface Irfft2dBasis {
  /**
   * [2H, 2H]: the complex inverse DFT along rows (y), to multiply from the
   * right: its rows are (part, ky) like the spectrum's last two axes, its
   * columns (y, part) interleaved (column 2y + part is part, 0 real or 1
   * imaginary, of output row y): entries cos, −sin (real part out) and
   * sin, cos (imaginary part out) of 2π·ky·y / H.
   */
  rows: tf.Tensor2D;
  /** [2·fw, W]: the real inverse DFT along columns (x), [c·cos; −c·sin] / (H·W), one channel. */
  cols: tf.Tensor2D;
  /** rows transposed. */
  rowsT: tf.Tensor2D;
  /** cols transposed. */
  colsT: tf.Tensor2D;
  /** The C×C colour mixing (input channel × output channel), or null for none. */
  color: tf.Tensor2D | null;
  /** color transposed (null with it). */
  colorT: tf.Tensor2D | null;
  /** C. */
  channels: number;
  /**
   * For H a multiple of 4, what {@link irfft2dSplit} needs: the complex
   * inverse DFT of length H/2 laid out as `rows` ([H, H]) and its
   * transpose, and the twiddle tables of the radix-2 butterfly
   * (engine/kernels/_simd_butterfly.ts); null otherwise.
   */
  half: { rows: tf.Tensor2D; rowsT: tf.Tensor2D; cos: tf.Tensor1D; sin: tf.Tensor1D } | null;
}

/** Options of {@link irfft2dBasis}. */
export interface Irfft2dBasisOptions {
  /** Channels C of the images. Default 1. */
  channels?: number;
  /**
   * A C×C matrix M (row-major, M[i·C + j] = weight of input channel i in
   * output channel j) applied to every pixel's channels. Default: identity.
   */
  color?: Float32Array;
}

/**
 * The bases {@link irfft2d} and {@link irfft2dSplit} multiply with (numpy's
 * `irfft2` normalisation: 1 / (H·W), Hermitian weights 1 for the DC and
 * Nyquist columns, 2 otherwise), and an optional linear colour mixing
 * applied after the DFT.
 *
 * @param h image height
 * @param w image width
 * @param options see {@link Irfft2dBasisOptions}
 * @returns the y and x bases with their transposes, the colour matrix (or
 *   null) and, for H a multiple of 4, the half-length y basis and twiddles;
 *   the caller disposes them with {@link disposeBasis}
 * @throws {RangeError} for a colour matrix that is not C×C
 * @example
 * ```ts
 * import { disposeBasis, irfft2dBasis } from "./parameterization.ts";
 * const b = irfft2dBasis(4, 6);
 * if (b.rows.shape.join() !== "8,8" || b.cols.shape.join() !== "8,6") throw new Error("example failed");
 * disposeBasis(b);
 * ```
 */
export function irfft2dBasis(
  h: number,
  w: number,
  options: Irfft2dBasisOptions = {},
): Irfft2dBasis {
  const c = options.channels ?? 1;
  const color = options.color;
  if (color && color.length !== c * c) {
    throw new RangeError(`color must be a ${c}×${c} matrix (${c * c} values), got ${color.length}`);
  }
  const fw = Math.floor(w / 2) + 1;
  const cols = new Float32Array(2 * fw * w);
  for (let kx = 0; kx < fw; kx++) {
    // Columns 0 and W/2 (even W) stand for themselves; the others also for
    // their conjugate mirror, hence weight 2.
    const weight = (kx === 0 || 2 * kx === w ? 1 : 2) / (h * w);
    for (let x = 0; x < w; x++) {
      const a = (2 * Math.PI * ((kx * x) % w)) / w;
      cols[kx * w + x] = weight * Math.cos(a);
      cols[(fw + kx) * w + x] = -weight * Math.sin(a);
    }
  }
  // Every tensor made here is returned: no tidy needed (and tidy cannot hold the nulls).
  const r = complexDftRows(h);
  let half: Irfft2dBasis["half"] = null;
  if (h % 4 === 0) {
    const hr = complexDftRows(h / 2);
    const { cos, sin } = twiddleTables(h);
    half = { rows: hr, rowsT: tf.transpose(hr), cos: tf.tensor1d(cos), sin: tf.tensor1d(sin) };
  }
  const q = tf.tensor2d(cols, [2 * fw, w]);
  const m = color ? tf.tensor2d(color, [c, c]) : null;
  return {
    rows: r,
    cols: q,
    rowsT: tf.transpose(r),
    colsT: tf.transpose(q),
    color: m,
    colorT: m ? tf.transpose(m) : null,
    channels: c,
    half,
  };
}

/**
 * The complex inverse DFT of length n as a [2n, 2n] matrix to multiply from
 * the right: rows (part, k), columns (y, part) interleaved; entries cos,
 * −sin (real part out) and sin, cos (imaginary part out) of 2π·k·y / n.
 */
function complexDftRows(n: number): tf.Tensor2D {
  const rows = new Float32Array(4 * n * n);
  for (let y = 0; y < n; y++) {
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * ((k * y) % n)) / n;
      const co = Math.cos(a), si = Math.sin(a);
      rows[k * 2 * n + 2 * y] = co;
      rows[(n + k) * 2 * n + 2 * y] = -si;
      rows[k * 2 * n + 2 * y + 1] = si;
      rows[(n + k) * 2 * n + 2 * y + 1] = co;
    }
  }
  return tf.tensor2d(rows, [2 * n, 2 * n]);
}

/**
 * Inverse real 2-D DFT (numpy's `irfft2(X, s=(H, W))` per channel) of B
 * half spectra, as two matmuls: a complex inverse DFT along y, then a real
 * one along x, per channel; then the basis' colour mixing, if any.
 *
 * Why this layout: the y transform is one [B·C·fw, 2H] × [2H, 2H] product
 * with the constant basis on the right (module doc), and its output, with
 * (y, part) interleaved, needs only a 3-D transpose ([B·C, fw, 2H] →
 * [B·C, 2H, fw]) to become the rows (b, c, y) and columns (part, kx) of
 * the x transform; the images then need one more 3-D transpose ([B, C,
 * H·W] → [B, H·W, C]). On WASM these run in ~0.3 ms for 64 RGB images of
 * 64×64, where 4-D ones take up to 1 ms and 5-D ones ~200× longer. A
 * channels-last spectrum instead made the x basis C² times larger (a
 * Kronecker product with the channels).
 *
 * @param spectrum [B, C, fw, 2, H]: per image, channel and x frequency kx,
 *   the real then the imaginary parts over the y frequencies ky; fw = ⌊W/2⌋ + 1
 * @param size [H, W] of the output images
 * @param basis precomputed {@link irfft2dBasis} for C channels (default:
 *   built for C channels without colour mixing, and freed here)
 * @returns [B, H, W, C] real images
 * @throws {RangeError} when the spectrum does not match the size or basis
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { irfft2d } from "./parameterization.ts";
 * // Only the DC coefficient set: a constant image of value X[0,0] / (H·W).
 * const s = tf.tensor5d([8, 0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 2, 2]);
 * const x = await irfft2d(s, [2, 2]).data();
 * if (!x.every((v) => Math.abs(v - 2) < 1e-6)) throw new Error("example failed");
 * ```
 */
export function irfft2d(
  spectrum: tf.Tensor5D,
  size: readonly [number, number],
  basis?: Irfft2dBasis,
): tf.Tensor4D {
  const [h, w] = size;
  const fw = Math.floor(w / 2) + 1;
  const [b, c, sw, two, sh] = spectrum.shape;
  if (two !== 2 || sh !== h || sw !== fw || (basis && basis.channels !== c)) {
    throw new RangeError(
      `spectrum must have shape [B, ${basis?.channels ?? "C"}, ${fw}, 2, ${h}] for a ` +
        `${h}×${w} image, got [${spectrum.shape}]`,
    );
  }
  if (basis) checkBasisSize(basis, h, w);
  const own = basis ? null : irfft2dBasis(h, w, { channels: c });
  const use = basis ?? own!;
  try {
    return tf.tidy(() => {
      // One matmul gives both parts of Z = F_y⁻¹ X, columns (y, part).
      const z = rightMul(tf.reshape(spectrum, [b * c * fw, 2 * h]), use.rows, use.rowsT);
      return alongX(z, [b, h, w, c], use);
    });
  } finally {
    if (own) disposeBasis(own);
  }
}

/**
 * {@link irfft2d} with the y frequencies split into even and odd ones
 * (ky = 2m + e), for H a multiple of 4: the y transform becomes two of
 * length H/2 (one [B·C·fw·2, H] × [H, H] product, half the multiplications
 * of the direct one) and a radix-2 butterfly (on WASM one SIMD pass,
 * engine/kernels/_simd_butterfly.ts; elsewhere tensor ops). The same
 * images as {@link irfft2d} of the same coefficients, up to rounding.
 *
 * @param spectrum [B, C, fw, 2, 2, H/2]: per image, channel and kx, the
 *   coefficients ky = 2m + e at [e][part][m] (part 0 real, 1 imaginary)
 * @param size [H, W] of the output images, H a multiple of 4
 * @param basis {@link irfft2dBasis} for H, W and C (its `half` is used)
 * @returns [B, H, W, C] real images
 * @throws {RangeError} when the spectrum does not match the size or basis
 * @example
 * ```ts
 * import { tf } from "../deps.ts";
 * import { disposeBasis, irfft2dBasis, irfft2dSplit } from "./parameterization.ts";
 * // Only X[ky = 1, kx = 0] = 16 (e = 1, m = 0) on a 4×2 image: x[y, ·] = cos(πy/2) · 16 / 8.
 * const s = tf.tensor6d([0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 2, 2, 2]);
 * const basis = irfft2dBasis(4, 2);
 * const x = await irfft2dSplit(s, [4, 2], basis).data();
 * const want = [2, 2, 0, 0, -2, -2, 0, 0];
 * if (!x.every((v, i) => Math.abs(v - want[i]!) < 1e-6)) throw new Error("example failed");
 * disposeBasis(basis);
 * ```
 */
export function irfft2dSplit(
  spectrum: tf.Tensor,
  size: readonly [number, number],
  basis: Irfft2dBasis,
): tf.Tensor4D {
  const [h, w] = size;
  const fw = Math.floor(w / 2) + 1;
  const [b = 0, c = 0, sw, two, e, sh = 0, ...more] = spectrum.shape;
  const half = basis.half;
  if (
    !half || more.length > 0 || two !== 2 || e !== 2 || 2 * sh !== h || sw !== fw ||
    basis.channels !== c || h % 4 !== 0
  ) {
    throw new RangeError(
      `irfft2dSplit needs H a multiple of 4, a basis for it, and a spectrum of shape ` +
        `[B, ${basis.channels}, ${fw}, 2, 2, ${h / 2}] for a ${h}×${w} image, got ` +
        `[${spectrum.shape}]`,
    );
  }
  checkBasisSize(basis, h, w);
  return tf.tidy(() => {
    // Rows (b, c, kx, e): the length-H/2 transforms E (e = 0) and O (e = 1).
    const eo = rightMul(tf.reshape(spectrum, [b * c * fw * 2, h]), half.rows, half.rowsT);
    const z = butterfly(tf.reshape(eo, [b * c * fw, 2 * h]), half, h);
    return alongX(z, [b, h, w, c], basis);
  });
}

/** A basis made for another image size: a RangeError naming both sizes. */
function checkBasisSize(basis: Irfft2dBasis, h: number, w: number): void {
  const bh = basis.rows.shape[0] / 2, bw = basis.cols.shape[1];
  if (bh !== h || bw !== w) {
    throw new RangeError(`the basis was built for ${bh}×${bw} images, not ${h}×${w}`);
  }
}

/**
 * [E | O] rows → Z = [E + ω^y·O | E − ω^y·O], each half H/2 complex numbers
 * interleaved (engine/kernels/_simd_butterfly.ts), differentiable.
 */
function butterfly(
  eo: tf.Tensor2D,
  half: NonNullable<Irfft2dBasis["half"]>,
  h: number,
): tf.Tensor2D {
  const rows = eo.shape[0];
  const heap = wasmHeap(tf.backend());
  if (!heap) {
    const [e, o] = tf.split(tf.reshape(eo, [rows, 2, h]), 2, 1).map((t) =>
      tf.reshape(t, [rows, h])
    );
    // ω^y·(a + ib) = (a, b)·cos + (b, a)·(−sin, sin), lane by lane.
    const swapped = tf.reshape(tf.reverse(tf.reshape(o!, [rows, h / 2, 2]), 2), [rows, h]);
    const t = tf.add(tf.mul(o!, half.cos), tf.mul(swapped, half.sin));
    return tf.concat([tf.add(e!, t), tf.sub(e!, t)], 1) as tf.Tensor2D;
  }
  const at = (t: tf.TensorInfo) => heap.address(t);
  const f = tf.customGrad((x, save) => {
    // Saved through the engine, like rightMul's basis.
    (save as tf.GradSaveFunc)([half.cos, half.sin]);
    const out = heap.output([rows, 2 * h]);
    simdButterfly(
      heap,
      "butterfly",
      { x: at(x as tf.Tensor), out: at(out), cos: at(half.cos), sin: at(half.sin) },
      rows,
      h,
    );
    return {
      value: tf.engine().makeTensorFromTensorInfo(out),
      gradFunc: (dy, saved) => {
        const dx = heap.output([rows, 2 * h]);
        simdButterfly(
          heap,
          "butterflyAdjoint",
          { x: at(dy as tf.Tensor), out: at(dx), cos: at(saved[0]!), sin: at(saved[1]!) },
          rows,
          h,
        );
        return tf.engine().makeTensorFromTensorInfo(dx);
      },
    };
  });
  return f(eo) as tf.Tensor2D;
}

/**
 * The rest of the inverse DFT after the y transform: z [B·C·fw, 2H] with
 * columns (y, part) → the real transform along x → [B, H, W, C] images,
 * colour-mixed when the basis says so.
 */
function alongX(
  z: tf.Tensor2D,
  [b, h, w, c]: [number, number, number, number],
  basis: Irfft2dBasis,
): tf.Tensor4D {
  const fw = Math.floor(w / 2) + 1;
  const { cols, colsT, color, colorT } = basis;
  const zt = tf.transpose(tf.reshape(z, [b * c, fw, 2 * h]), [0, 2, 1]); // [B·C, H·2, fw]
  const x = rightMul(tf.reshape(zt, [b * c * h, 2 * fw]), cols, colsT); // [B·C·H, W]
  const planes = tf.reshape(x, [b, c, h * w]);
  const heap = wasmHeap(tf.backend());
  if (color && heap && c === 3 && (h * w) % 4 === 0) {
    return mixPlanesOnHeap(heap, planes as tf.Tensor3D, color, [b, h, w]);
  }
  const img = tf.reshape(tf.transpose(planes, [0, 2, 1]), [b, h, w, c]);
  if (!color || !colorT) return img as tf.Tensor4D;
  return tf.reshape(rightMul(tf.reshape(img, [b * h * w, c]), color, colorT), [b, h, w, c]);
}

/**
 * RGB planes [B, 3, H·W] → mixed pixels [B, H, W, 3] in one SIMD pass on
 * the WASM heap (engine/kernels/_simd_color.ts), differentiable: the same
 * values as the transpose and the [B·H·W, 3] × [3, 3] product (up to the
 * order of the three-term sums), in a fifth of the time.
 */
function mixPlanesOnHeap(
  heap: WasmHeap,
  planes: tf.Tensor3D,
  color: tf.Tensor2D,
  [b, h, w]: [number, number, number],
): tf.Tensor4D {
  const at = (t: tf.TensorInfo) => heap.address(t);
  const f = tf.customGrad((x, save) => {
    // Saved through the engine, like rightMul's basis.
    (save as tf.GradSaveFunc)([color]);
    const out = heap.output([b, h, w, 3]);
    simdColorMix(
      heap,
      "planesToPixels",
      { x: at(x as tf.Tensor), out: at(out), mix: at(color) },
      b,
      h * w,
    );
    return {
      value: tf.engine().makeTensorFromTensorInfo(out),
      gradFunc: (dy, saved) => {
        const dx = heap.output([b, 3, h * w]);
        simdColorMix(
          heap,
          "pixelsToPlanes",
          { x: at(dy as tf.Tensor), out: at(dx), mix: at(saved[0]!) },
          b,
          h * w,
        );
        return tf.engine().makeTensorFromTensorInfo(dx);
      },
    };
  });
  return f(planes) as tf.Tensor4D;
}

/**
 * Frees the tensors of an {@link Irfft2dBasis}.
 *
 * @param basis from {@link irfft2dBasis}
 * @example
 * ```ts
 * import { disposeBasis, irfft2dBasis } from "./parameterization.ts";
 * disposeBasis(irfft2dBasis(2, 2));
 * ```
 */
export function disposeBasis(basis: Irfft2dBasis): void {
  tf.dispose([basis.rows, basis.cols, basis.rowsT, basis.colsT]);
  const half = basis.half;
  if (half) tf.dispose([half.rows, half.rowsT, half.cos, half.sin]);
  if (basis.color) tf.dispose([basis.color, basis.colorT!]);
}

// Constant-matrix products whose gradients use the pre-transposed constant:
// tfjs would multiply with `transposeB`, which WASM runs about 10× slower
// than a plain matmul (measured: 400 ms instead of 38 ms for the x basis).

/** x·b for a constant b (bT = bᵀ); differentiable in x only. */
function rightMul(x: tf.Tensor2D, b: tf.Tensor2D, bT: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((v, save) => {
    // Saved through the engine (a shared buffer, not a copy), so the
    // gradient works even when bT is freed before the backward pass (the
    // basis irfft2d makes for itself when given none).
    (save as tf.GradSaveFunc)([bT]);
    return {
      value: tf.matMul(v as tf.Tensor2D, b),
      gradFunc: (dy, saved) => tf.matMul(dy as tf.Tensor2D, saved[0] as tf.Tensor2D),
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * Lucid's spectrum scale: 1 / max(f, 1 / max(H, W)) · √(H·W) / 4, where f is
 * the frequency magnitude √(fx² + fy²) in cycles per pixel (numpy `fftfreq`),
 * at the spectrum's full size, in its layout (see {@link spectrumIndex}).
 */
function spectrumScale(h: number, w: number, k: number, c: number, split: boolean): tf.Tensor {
  const fw = Math.floor(w / 2) + 1;
  const at = spectrumIndex(h, w, split);
  const out = new Float32Array(k * c * fw * 2 * h);
  const floor = 1 / Math.max(h, w);
  for (let y = 0; y < h; y++) {
    const fy = (y <= (h - 1) / 2 ? y : y - h) / h;
    for (let x = 0; x < fw; x++) {
      const fx = x / w;
      const v = (Math.sqrt(h * w) / 4) / Math.max(Math.hypot(fx, fy), floor);
      for (let part = 0; part < 2; part++) {
        for (let j = 0; j < k * c; j++) out[at(j, x, part, y)] = v;
      }
    }
  }
  return tf.tensor(out, split ? [k, c, fw, 2, 2, h / 2] : [k, c, fw, 2, h]);
}

/**
 * Where coefficient (part, ky, kx) of image-channel j lies in the flat
 * spectrum: [K·C, fw, 2, H] for {@link irfft2d}, or with `split`
 * [K·C, fw, 2 (ky mod 2), 2, H/2] for {@link irfft2dSplit}.
 */
function spectrumIndex(
  h: number,
  w: number,
  split: boolean,
): (j: number, kx: number, part: number, ky: number) => number {
  const fw = Math.floor(w / 2) + 1;
  return split
    ? (j, kx, part, ky) => ((((j * fw + kx) * 2 + (ky & 1)) * 2 + part) * h) / 2 + (ky >> 1)
    : (j, kx, part, ky) => ((j * fw + kx) * 2 + part) * h + ky;
}

/** A trainable variable from a tensor, freeing the tensor (the variable keeps its data). */
function toVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, true);
  init.dispose();
  return v;
}

/**
 * Lucid's colour mixing, `flat [P, 3] · Mᵀ` with M normalised by its largest
 * column norm, as a row-major 3×3 (entry [i·3 + j] = Mᵀ[i][j] = M[j][i]).
 */
function colorMixing(m: ColorMatrix): Float32Array {
  checkColorMatrix(m);
  let maxNorm = 0;
  for (let j = 0; j < 3; j++) {
    maxNorm = Math.max(maxNorm, Math.hypot(m[0]![j]!, m[1]![j]!, m[2]![j]!));
  }
  const t = new Float32Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) t[i * 3 + j] = m[j]![i]! / maxNorm;
  return t;
}
