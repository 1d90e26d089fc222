/**
 * LayerCAM (Jiang et al. 2021, "LayerCAM: Exploring Hierarchical Class
 * Activation Maps for Localization", IEEE TIP, eq. 5–6): every position keeps
 * its own weight, the positive gradient, map = Σ_k ReLU(∂y/∂A_k) ⊙ A_k. That
 * makes it reliable at shallow layers too, where the paper scales maps by
 * tanh(γ · M / max M), γ = 2 (eq. 7) and fuses layers by an element-wise
 * maximum ({@link fuseLayerCams}).
 *
 * @module
 */
import { tf } from "../deps.ts";
import type { MapResult } from "../maps/map.ts";
import { gradientCam } from "./_gradients.ts";
import type { CamInput, CamOutput } from "./types.ts";

/** Method-specific options of {@link layerCam} (given as `cam(..., { options })`). */
export interface LayerCamOptions {
  /** Scale the map by tanh(γ · M / max M), the paper's treatment of shallow layers. Default: false. */
  shallowScaling?: boolean;
  /** γ of the shallow-layer scaling (a positive number). Default: 2. */
  gamma?: number;
}

/**
 * LayerCAM maps of one batch (Jiang et al. 2021, eq. 5–6, and eq. 7 with
 * `shallowScaling`): Σ_k ReLU(G_k) ⊙ A_k.
 *
 * The scaling divides by each image's largest map value; an image whose map
 * has no positive value is left unscaled (the final ReLU zeroes it anyway,
 * and tanh commutes with that ReLU).
 *
 * @param input one validated batch, the layer, the target, and
 *   `options`: {@link LayerCamOptions}
 * @returns raw maps [n, h, w] before the ReLU, classes and scores
 * @throws {TypeError} for a non-boolean `shallowScaling`; {@link RangeError} for a
 *   `gamma` that is not a positive finite number
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, {
 *   method: "layerCam",
 *   options: { shallowScaling: true },
 * });
 * if (!(m.raw.every((v) => v >= 0 && v <= 1))) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export function layerCam(input: CamInput): CamOutput {
  const { shallowScaling, gamma } = layerCamOptions(input.options);
  return gradientCam(input, (a, g) => {
    const map = tf.sum(tf.mul(tf.relu(g), a), 3);
    if (!shallowScaling) return map;
    const top = tf.max(map, [1, 2], true);
    const scale = tf.where(tf.greater(top, 0), top, tf.onesLike(top));
    return tf.tanh(tf.mul(tf.div(map, scale), gamma));
  });
}

function layerCamOptions(options: Readonly<Record<string, unknown>>): Required<LayerCamOptions> {
  const shallowScaling = options.shallowScaling ?? false;
  const gamma = options.gamma ?? 2;
  if (typeof shallowScaling !== "boolean") {
    throw new TypeError(`layerCam option shallowScaling is ${shallowScaling}; expected a boolean`);
  }
  if (typeof gamma !== "number" || !Number.isFinite(gamma) || gamma <= 0) {
    throw new RangeError(`layerCam option gamma is ${gamma}; expected a positive number`);
  }
  return { shallowScaling, gamma };
}

/**
 * Multi-layer fusion of LayerCAM (Jiang et al. 2021, Sec. III-C): the
 * element-wise maximum of the maps of several layers, each upsampled to the
 * input and min–max normalised per image (maps computed with
 * `normalize: false` are normalised here first, so layers with larger raw
 * values do not dominate).
 *
 * @param maps results of `cam` (typically LayerCAM with `shallowScaling` on
 *   shallow layers) for the same images and classes, e.g. from `camAllLayers`
 * @returns one result: `values` = `raw` = the fused [N, H, W] maps; `layer` the
 *   fused layer names joined with "+"
 * @throws {RangeError} for an empty list, or maps of different shapes or classes
 *
 * @example
 * ```ts
 * import { fuseLayerCams } from "./layer_cam.ts";
 * const one = (values: number[], layer: string) => ({
 *   method: "layerCam", layer, values: Float32Array.from(values), shape: [1, 1, 2] as [number, number, number],
 *   raw: Float32Array.from(values), rawShape: [1, 1, 2] as [number, number, number],
 *   classes: Int32Array.of(0), scores: Float32Array.of(1), extras: {},
 * });
 * const fused = fuseLayerCams([one([0, 1], "a"), one([1, 0], "b")]);
 * if (!(fused.values.join() === "1,1" && fused.layer === "a+b")) throw new Error("example failed");
 * ```
 */
export function fuseLayerCams(maps: readonly MapResult[]): MapResult {
  const first = maps[0];
  if (!first) throw new RangeError("fuseLayerCams needs at least one map; got none");
  for (const m of maps) {
    if (m.shape.join() !== first.shape.join()) {
      throw new RangeError(
        `Cannot fuse maps of shape [${m.shape.join(", ")}] (layer ${m.layer}) with [${
          first.shape.join(", ")
        }] (layer ${first.layer})`,
      );
    }
    if (m.classes.join() !== first.classes.join()) {
      throw new RangeError(
        `Cannot fuse maps of different classes: layer ${m.layer} explains [${m.classes}], ` +
          `layer ${first.layer} explains [${first.classes}]`,
      );
    }
  }
  const [n, h, w] = first.shape;
  const size = h * w;
  const fused = new Float32Array(n * size);
  for (const m of maps) {
    for (let i = 0; i < n; i++) {
      const img = m.values.subarray(i * size, (i + 1) * size);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of img) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      // Same rule as normalizeMaps: a constant map has nothing to rank → zeros.
      const span = hi > lo ? hi - lo : 0;
      for (let j = 0; j < size; j++) {
        const v = span > 0 ? (img[j]! - lo) / span : 0;
        const at = i * size + j;
        if (v > fused[at]!) fused[at] = v;
      }
    }
  }
  return {
    method: `${first.method} (fused)`,
    layer: maps.map((m) => m.layer).join("+"),
    values: fused,
    shape: [n, h, w],
    raw: Float32Array.from(fused),
    rawShape: [n, h, w],
    classes: Int32Array.from(first.classes),
    scores: Float32Array.from(first.scores),
    extras: {},
  };
}
