/**
 * Receptive fields of conv layers: which input pixels an output position can
 * see, from the layer graph (the recurrences of Araujo, Norris & Sim 2019,
 * "Computing Receptive Fields of Convolutional Neural Networks", Distill).
 *
 * Per axis, position i of a layer sees input pixels
 * [offset + i·stride, offset + i·stride + size − 1]. Walking the graph from
 * the input: a kernel k with dilation d (effective k' = d(k − 1) + 1), stride
 * s and left padding p maps (offset, stride, size) to
 * (offset − p·stride, stride·s, size + (k' − 1)·stride). "same" padding is
 * TensorFlow's: total pad = max((⌈n/s⌉ − 1)·s + k' − n, 0), left = ⌊total/2⌋.
 * Element-wise layers (BatchNorm, activations, dropout) change nothing;
 * merges (Add, Concatenate, …) take the union of their branches' boxes.
 * The box may reach outside the image (padding): offsets can be negative.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "../net/net.ts";
 * import { receptiveField } from "./receptive_field.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 1, kernelSize: 3, name: "a" }),
 *   tfl.layers.conv2d({ filters: 1, kernelSize: 3, name: "b" }),
 * ] }));
 * const rf = receptiveField(net, "b");
 * if (!(rf.size.join() === "5,5" && rf.stride.join() === "1,1")) throw new Error("example failed");
 * net.model.dispose();
 * ```
 *
 * @module
 */
import type { ImageSet } from "../data/types.ts";
import type { Step } from "../net/graph.ts";
import { getConvLayer, type Net } from "../net/net.ts";

/** The receptive field of every output position of one layer. */
export interface ReceptiveField {
  /** Layer name. */
  layer: string;
  /** [rows, cols] of input pixels each position sees. */
  size: [number, number];
  /** [rows, cols] input pixels between neighbouring positions. */
  stride: [number, number];
  /** [top, left] input pixel of the box of position (0, 0); negative reaches into padding. */
  offset: [number, number];
  /** [H, W] of the layer's output. */
  outputSize: [number, number];
}

/** An input-pixel box, rows [top, bottom) × cols [left, right); may extend past the image. */
export interface Box {
  /** First row. */
  top: number;
  /** First column. */
  left: number;
  /** One past the last row. */
  bottom: number;
  /** One past the last column. */
  right: number;
}

interface Axis {
  offset: number;
  stride: number;
  size: number;
}

const ELEMENTWISE = new Set([
  "BatchNormalization",
  "LayerNormalization",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "PReLU",
  "ELU",
  "ThresholdedReLU",
  "Softmax",
  "Dropout",
  "SpatialDropout2D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "NestedModel",
  "InputLayer",
]);
const MERGES = new Set([
  "Add",
  "Concatenate",
  "Multiply",
  "Average",
  "Maximum",
  "Minimum",
  "Subtract",
]);
const KERNELS = new Set(["Conv2D", "DepthwiseConv2D", "SeparableConv2D"]);
const POOLS = new Set(["MaxPooling2D", "AveragePooling2D"]);

/**
 * The receptive field of a conv layer's output positions.
 *
 * @param net the network
 * @param layer a conv layer name
 * @returns size, stride and offset per axis
 * @throws {RangeError} for an unknown layer; {@link TypeError} for a layer
 *   that is not a conv layer, or when the path from the input holds a layer
 *   whose spatial mapping is not known (e.g. UpSampling2D), or merges
 *   branches of different strides
 */
export function receptiveField(net: Net, layer: string): ReceptiveField {
  const info = getConvLayer(net, layer);
  const { graph } = net;
  const axes = new Map<number, [Axis, Axis]>();
  const sizes = new Map<number, [number, number]>();
  const [h, w] = net.inputShape;
  for (const s of graph.inputSlots) {
    axes.set(s, [{ offset: 0, stride: 1, size: 1 }, { offset: 0, stride: 1, size: 1 }]);
    sizes.set(s, [h, w]);
  }
  for (const step of graph.steps) {
    const ins = step.inputs.map((s) => axes.get(s));
    // Steps off the spatial path (e.g. after a flatten) are never asked for.
    if (ins.some((a) => a === undefined)) continue;
    const inSize = sizes.get(step.inputs[0]!)!;
    const out = mapStep(step, ins as [Axis, Axis][], inSize);
    if (out === null) continue;
    step.outputs.forEach((s, i) => {
      const shape = step.outputShapes[i] ?? [];
      if (shape.length !== 4) return;
      axes.set(s, out);
      sizes.set(s, [shape[1] ?? 0, shape[2] ?? 0]);
    });
    if (step.name === layer) break;
  }
  const found = axes.get(graph.byName.get(layer)!.outputs[0]!)!;
  return {
    layer,
    size: [found[0].size, found[1].size],
    stride: [found[0].stride, found[1].stride],
    offset: [found[0].offset, found[1].offset],
    outputSize: [info.outputShape[0]!, info.outputShape[1]!],
  };
}

/** The per-axis mapping through one step, or null for a non-spatial step. */
function mapStep(step: Step, ins: [Axis, Axis][], inSize: [number, number]): [Axis, Axis] | null {
  const cls = step.className;
  if ((step.outputShapes[0] ?? []).length !== 4) return null;
  if (ELEMENTWISE.has(cls)) return ins[0]!;
  if (MERGES.has(cls)) {
    return [
      union(ins.map((a) => a[0]), step, "rows"),
      union(ins.map((a) => a[1]), step, "columns"),
    ];
  }
  const config = step.layer!.getConfig() as Record<string, unknown>;
  if (KERNELS.has(cls) || POOLS.has(cls)) {
    const kernel = pair(KERNELS.has(cls) ? config.kernelSize : config.poolSize, 1);
    const strides = pair(config.strides, 1);
    const dilation = pair(config.dilationRate, 1);
    const same = config.padding === "same";
    return [0, 1].map((a) => {
      const k = dilation[a]! * (kernel[a]! - 1) + 1;
      const s = strides[a]!;
      const n = inSize[a]!;
      const pad = same ? Math.floor(Math.max((Math.ceil(n / s) - 1) * s + k - n, 0) / 2) : 0;
      const x = ins[0]![a]!;
      return {
        offset: x.offset - pad * x.stride,
        stride: x.stride * s,
        size: x.size + (k - 1) * x.stride,
      };
    }) as [Axis, Axis];
  }
  if (cls === "ZeroPadding2D" || cls === "Cropping2D") {
    const p = (cls === "ZeroPadding2D" ? config.padding : config.cropping) as number[][];
    const sign = cls === "ZeroPadding2D" ? -1 : 1;
    return [0, 1].map((a) => {
      const x = ins[0]![a]!;
      return { ...x, offset: x.offset + sign * p[a]![0]! * x.stride };
    }) as [Axis, Axis];
  }
  throw new TypeError(
    `Cannot compute a receptive field through ${step.name} (${cls}); supported: ` +
      [...KERNELS, ...POOLS, "ZeroPadding2D", "Cropping2D", ...MERGES, ...ELEMENTWISE].join(", "),
  );
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0] ?? fallback), Number(v[1] ?? v[0] ?? fallback)];
  if (typeof v === "number") return [v, v];
  return [fallback, fallback];
}

/** The smallest box covering every branch's box, for every position. */
function union(axes: Axis[], step: Step, what: string): Axis {
  const stride = axes[0]!.stride;
  if (axes.some((a) => a.stride !== stride)) {
    throw new TypeError(
      `${step.name} (${step.className}) merges branches with ${what} strides ` +
        `${axes.map((a) => a.stride).join(", ")}; a receptive field needs equal strides`,
    );
  }
  const offset = Math.min(...axes.map((a) => a.offset));
  const end = Math.max(...axes.map((a) => a.offset + a.size));
  return { offset, stride, size: end - offset };
}

/**
 * The input box seen by output position (i, j).
 *
 * @param rf a receptive field
 * @param position [i, j] in the layer's output
 * @returns the box (half-open), possibly reaching outside the image
 * @throws {RangeError} for a position outside the layer's output
 *
 * @example
 * ```ts
 * import { receptiveBox } from "./receptive_field.ts";
 * const rf = { layer: "c", size: [3, 3] as [number, number], stride: [2, 2] as [number, number],
 *   offset: [-1, -1] as [number, number], outputSize: [4, 4] as [number, number] };
 * const b = receptiveBox(rf, [1, 2]);
 * if (!(b.top === 1 && b.left === 3 && b.bottom === 4 && b.right === 6)) throw new Error("example failed");
 * ```
 */
export function receptiveBox(rf: ReceptiveField, position: readonly [number, number]): Box {
  const [i, j] = position;
  if (
    !(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 &&
      i < rf.outputSize[0] && j < rf.outputSize[1])
  ) {
    throw new RangeError(
      `Position [${i}, ${j}] is outside the [${rf.outputSize.join(", ")}] output of ${rf.layer}`,
    );
  }
  const top = rf.offset[0] + i * rf.stride[0];
  const left = rf.offset[1] + j * rf.stride[1];
  return { top, left, bottom: top + rf.size[0], right: left + rf.size[1] };
}

/**
 * Cuts the receptive field of position (i, j) out of one image of a set,
 * with zeros where the box lies outside the image.
 *
 * @param set the images (NHWC)
 * @param index image index
 * @param rf the receptive field
 * @param position [i, j] in the layer's output
 * @returns [rows, cols, C] pixels, row-major
 * @throws {RangeError} for an image index or position out of range
 *
 * @example
 * ```ts
 * import { cropReceptiveField } from "./receptive_field.ts";
 * const set = { images: Float32Array.from([1, 2, 3, 4]), shape: [1, 2, 2, 1] as [number, number, number, number] };
 * const rf = { layer: "c", size: [2, 2] as [number, number], stride: [1, 1] as [number, number],
 *   offset: [-1, -1] as [number, number], outputSize: [2, 2] as [number, number] };
 * if (cropReceptiveField(set, 0, rf, [0, 0]).join() !== "0,0,0,1") throw new Error("example failed");
 * ```
 */
export function cropReceptiveField(
  set: Pick<ImageSet, "images" | "shape">,
  index: number,
  rf: ReceptiveField,
  position: readonly [number, number],
): Float32Array {
  const [n, h, w, c] = set.shape;
  if (!(Number.isInteger(index) && index >= 0 && index < n)) {
    throw new RangeError(`Image index ${index} is outside 0..${n - 1}`);
  }
  const box = receptiveBox(rf, position);
  const rows = rf.size[0];
  const cols = rf.size[1];
  const out = new Float32Array(rows * cols * c);
  const base = index * h * w * c;
  // Copy whole in-image row segments; the rest stays 0 (the padding value).
  const c0 = Math.max(box.left, 0);
  const c1 = Math.min(box.right, w);
  if (c1 <= c0) return out;
  for (let y = Math.max(box.top, 0); y < Math.min(box.bottom, h); y++) {
    const src = base + (y * w + c0) * c;
    const dst = ((y - box.top) * cols + (c0 - box.left)) * c;
    out.set(set.images.subarray(src, src + (c1 - c0) * c), dst);
  }
  return out;
}
