/**
 * The CAM driver (METHODS.md §2): validates the net, layer, target and
 * images once, runs a CAM method (by name from the registry, or any
 * `CamMethod` function) on chunks of `batchSize` images, applies the final
 * ReLU of map = ReLU(Σ_k w_k ⊙ A_k), upsamples to the input and normalises.
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam, camAllLayers } from "./cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: "c2" }),
 *   tfl.layers.globalAveragePooling2d({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const net = wrapModel(model);
 * const x = tf.randomUniform([3, 6, 6, 1], 0, 1, "float32", 1);
 * const m = await cam(net, x); // Grad-CAM at the last conv layer, top-1 class
 * if (!(m.layer === "c2" && m.shape.join() === "3,6,6" && m.rawShape.join() === "3,2,2")) throw new Error("example failed");
 * const all = await camAllLayers(net, x, { method: "layerCam" });
 * if (!(all.map((r) => r.layer).join() === "c1,c2")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 *
 * @module
 */
import { tf } from "../deps.ts";
import { finishMaps, type MapOptions, type MapResult } from "../maps/map.ts";
import { type ImagesInput, toImageTensor } from "../maps/input.ts";
import { convLayers, getConvLayer, type Net } from "../net/net.ts";
import { checkTarget, type Target } from "../net/targets.ts";
import { type CamMethodName, getCamMethod } from "./registry.ts";
import type { CamMethod, CamOutput } from "./types.ts";

/** Options shared by {@link cam} and {@link camAllLayers}. */
export interface CamCommonOptions extends MapOptions {
  /**
   * The method: a name of `CAM_METHODS` or any {@link CamMethod} function.
   * Default: "gradCam".
   */
  method?: CamMethodName | CamMethod;
  /** Apply the final ReLU of ReLU(Σ_k w_k A_k). Default: true. */
  relu?: boolean;
  /** Method-specific options, e.g. `{ shallowScaling: true }` for LayerCAM. Default: {}. */
  options?: Readonly<Record<string, unknown>>;
}

/** Options of {@link cam}. */
export interface CamOptions extends CamCommonOptions {
  /** The conv layer whose activations are weighted. Default: the last conv layer. */
  layer?: string;
}

/** Options of {@link camAllLayers}. */
export interface CamAllLayersOptions extends CamCommonOptions {
  /** The conv layers to compute maps at. Default: every conv layer, in execution order. */
  layers?: readonly string[];
}

/**
 * Class activation maps of any CAM method at a conv layer (METHODS.md §2:
 * ReLU(Σ_k w_k ⊙ A_k); Zhou et al. 2016 and the methods of `CAM_METHODS`).
 *
 * @param net the network
 * @param images [N, H, W, C] images (a tensor, not disposed, or `{ images, shape }`)
 * @param options see {@link CamOptions}; the method's options go in `options.options`
 * @returns a {@link MapResult} naming the method and layer: values [N, H, W],
 *   raw maps [N, h, w] (after the ReLU unless `relu: false`), classes and scores
 * @throws {TypeError} for an unknown method (listing the known ones), a layer
 *   that is not a convolution (listing the conv layers) or NaN pixels;
 *   {@link RangeError} for an unknown layer, a class out of range, images of
 *   the wrong shape or a bad `batchSize`
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { cam } from "./cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: "conv" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 3 }),
 * ] });
 * const x = tf.randomUniform([2, 4, 4, 1], 0, 1, "float32", 1);
 * const m = await cam(wrapModel(model), x, { method: "gradCamPlusPlus", target: { kind: "class", index: 2 } });
 * if (!(m.classes.join() === "2,2" && m.values.every((v) => v >= 0 && v <= 1))) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function cam(
  net: Net,
  images: ImagesInput,
  options: CamOptions = {},
): Promise<MapResult> {
  const method = resolveMethod(options.method);
  const layer = options.layer ?? defaultLayer(net);
  getConvLayer(net, layer);
  const batchSize = checkBatchSize(options.batchSize);
  const x = await toImageTensor(net, images);
  try {
    const target = options.target ?? { kind: "class" };
    checkTarget(net, target, x.shape[0]);
    return await runCam(net, x, layer, method, target, batchSize, options);
  } finally {
    x.dispose();
  }
}

/**
 * The maps of one CAM method at every conv layer (or the chosen ones), e.g.
 * for per-layer evaluation or LayerCAM fusion. Images are validated once.
 *
 * @param net the network
 * @param images [N, H, W, C] images (a tensor, not disposed, or `{ images, shape }`)
 * @param options see {@link CamAllLayersOptions}
 * @returns one {@link MapResult} per layer, in the order of `layers`
 * @throws the errors of {@link cam}; {@link TypeError} when the net has no conv
 *   layer; {@link RangeError} for an empty `layers` list
 *
 * @example
 * ```ts
 * import { tf, tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { camAllLayers } from "./cam.ts";
 * import { fuseLayerCams } from "./layer_cam.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: "c2" }),
 *   tfl.layers.flatten({}),
 *   tfl.layers.dense({ units: 2 }),
 * ] });
 * const x = tf.randomUniform([1, 6, 6, 1], 0, 1, "float32", 1);
 * const maps = await camAllLayers(wrapModel(model), x, { method: "layerCam" });
 * const fused = fuseLayerCams(maps);
 * if (!(maps.length === 2 && fused.shape.join() === "1,6,6")) throw new Error("example failed");
 * x.dispose();
 * model.dispose();
 * ```
 */
export async function camAllLayers(
  net: Net,
  images: ImagesInput,
  options: CamAllLayersOptions = {},
): Promise<MapResult[]> {
  const method = resolveMethod(options.method);
  if (options.layers?.length === 0) {
    throw new RangeError(
      "camAllLayers was given an empty list of layers; omit it for every conv layer",
    );
  }
  const layers = options.layers ?? convLayers(net).map((l) => l.name);
  if (layers.length === 0) {
    throw new TypeError(`${net.name} has no conv layer to compute class activation maps at`);
  }
  for (const layer of layers) getConvLayer(net, layer);
  const batchSize = checkBatchSize(options.batchSize);
  const x = await toImageTensor(net, images);
  try {
    const target = options.target ?? { kind: "class" };
    checkTarget(net, target, x.shape[0]);
    const out: MapResult[] = [];
    for (const layer of layers) {
      out.push(await runCam(net, x, layer, method, target, batchSize, options));
    }
    return out;
  } finally {
    x.dispose();
  }
}

/** Runs a validated method on chunks of images and packages the result. */
async function runCam(
  net: Net,
  x: tf.Tensor4D,
  layer: string,
  method: { fn: CamMethod; name: string },
  target: Target,
  batchSize: number,
  options: CamCommonOptions,
): Promise<MapResult> {
  const n = x.shape[0];
  if (n === 0) {
    throw new RangeError("No images given: expected at least one image [N ≥ 1, H, W, C]");
  }
  const maps: tf.Tensor[] = [];
  const classes: tf.Tensor[] = [];
  const scores: tf.Tensor[] = [];
  const joined: tf.Tensor[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const batch = end - start === n ? x : tf.slice(x, [start, 0, 0, 0], [end - start]);
      try {
        const out = await method.fn({
          net,
          layer,
          images: batch,
          target: sliceTarget(target, start, end),
          seed: options.seed ?? 0,
          batchSize,
          options: options.options ?? {},
        });
        maps.push(out.maps);
        classes.push(out.classes);
        scores.push(out.scores);
        checkOutput(method.name, net, layer, out, end - start);
      } finally {
        if (batch !== x) batch.dispose();
      }
    }
    const raw = tf.tidy(() => {
      const all = tf.concat(maps);
      return options.relu === false ? all : tf.relu(all);
    });
    joined.push(raw, tf.concat(classes), tf.concat(scores));
    const [cls, sc] = await Promise.all([joined[1]!.data(), joined[2]!.data()]);
    return await finishMaps(raw, [x.shape[1], x.shape[2]], {
      method: method.name,
      layer,
      normalize: options.normalize ?? true,
      classes: Int32Array.from(cls),
      scores: Float32Array.from(sc),
    });
  } finally {
    tf.dispose([...maps, ...classes, ...scores, ...joined]);
  }
}

/** A plug-in's output must fit the batch and the layer, or concatenation fails obscurely. */
function checkOutput(name: string, net: Net, layer: string, out: CamOutput, m: number): void {
  const [h, w] = getConvLayer(net, layer).outputShape;
  const ok = out.maps.shape.join() === [m, h, w].join() &&
    out.classes.shape.join() === String(m) && out.scores.shape.join() === String(m);
  if (!ok) {
    throw new RangeError(
      `CAM method ${name} returned maps [${out.maps.shape.join(", ")}], classes [${
        out.classes.shape.join(", ")
      }] and scores [${out.scores.shape.join(", ")}] for ${m} images at layer "${layer}"; ` +
        `expected [${m}, ${h}, ${w}], [${m}] and [${m}]`,
    );
  }
}

function resolveMethod(method: CamMethodName | CamMethod | undefined): {
  fn: CamMethod;
  name: string;
} {
  if (method === undefined) return { fn: getCamMethod("gradCam"), name: "gradCam" };
  if (typeof method === "function") return { fn: method, name: method.name || "custom" };
  if (typeof method !== "string") {
    throw new TypeError(`CAM method must be a name or a function; got ${typeof method}`);
  }
  return { fn: getCamMethod(method), name: method };
}

function defaultLayer(net: Net): string {
  const convs = convLayers(net);
  const last = convs[convs.length - 1];
  if (!last) {
    throw new TypeError(`${net.name} has no conv layer to compute class activation maps at`);
  }
  return last.name;
}

function checkBatchSize(batchSize: number | undefined): number {
  const b = batchSize ?? 32;
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`batchSize is ${batchSize}; expected a positive integer`);
  }
  return b;
}

/** The part of a per-image target (class list, labels) that belongs to images [start, end). */
function sliceTarget(target: Target, start: number, end: number): Target {
  if (target.kind === "class" && typeof target.index === "object") {
    return { ...target, index: target.index.slice(start, end) };
  }
  if (target.kind === "loss") {
    return { ...target, labels: Array.from(target.labels).slice(start, end) };
  }
  return target;
}
