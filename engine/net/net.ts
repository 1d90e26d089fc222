/**
 * `Net`: a tfjs LayersModel with its flattened graph, a description of every
 * layer, and knowledge of its classification head.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "./net.ts";
 * const model = tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: "c1" }),
 *   tfl.layers.flatten({ name: "f" }),
 *   tfl.layers.dense({ units: 3, activation: "softmax", name: "out" }),
 * ] });
 * const net = wrapModel(model);
 * if (!(net.layers.map((l) => l.name).join() === "c1,f,out")) throw new Error("example failed");
 * if (!(net.head.activation === "softmax" && net.numClasses === 3)) throw new Error("example failed");
 * model.dispose();
 * ```
 *
 * @module
 */
import type { tfl } from "../deps.ts";
import { buildGraph, type Graph, type Step } from "./graph.ts";

/** Layer classes whose output channels are neurons of a convolution. */
const CONV_CLASSES = new Set(["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"]);

/** What a layer is, for choosing methods: conv and dense layers have neurons. */
export type LayerKind = "input" | "conv" | "dense" | "pool" | "norm" | "merge" | "other";

/** A readable description of one layer (one step of the graph). */
export interface LayerInfo {
  /** Unique name (nested: `outer/inner`; reused: `name#k`). */
  name: string;
  /** tfjs class name, e.g. "Conv2D". */
  className: string;
  /** Coarse kind used to validate method arguments. */
  kind: LayerKind;
  /** Output shape without the batch dimension, e.g. [26, 26, 32]. */
  outputShape: number[];
  /** Neurons (units): the last output dimension. */
  units: number;
  /** Trainable parameters of this layer. */
  params: number;
}

/** How the model turns logits into its output. */
export interface NetHead {
  /** The final activation applied to the logits. */
  activation: "softmax" | "sigmoid" | "linear";
  /**
   * Where it is applied: fused into the last layer (`fused`), a separate
   * Activation/Softmax layer (`separate`), or nowhere (`none`).
   */
  placement: "fused" | "separate" | "none";
  /** The step whose output (with `fused`: before its activation) is the logits. */
  logitsStep: string;
}

/** A model ready for the executor. */
export interface Net {
  /** The wrapped model (owned by the caller: `disposeNet` frees it). */
  model: tfl.LayersModel;
  /** A name for reports. */
  name: string;
  /** Input shape without batch, [H, W, C]. */
  inputShape: [number, number, number];
  /** Every layer in execution order. */
  layers: LayerInfo[];
  /** Classes (the last dimension of the logits). */
  numClasses: number;
  /** Class names when known (from the model's metadata), else "0", "1", … */
  classNames: string[];
  /** The classification head. */
  head: NetHead;
  /** The flattened graph (for the executor). */
  graph: Graph;
}

/** Options of {@link wrapModel}. */
export interface WrapOptions {
  /** Report name. Default: the model's name. */
  name?: string;
  /** Class names. Default: `userDefinedMetadata.classNames`, else indices. */
  classNames?: string[];
}

/**
 * Wraps an in-memory LayersModel (single image input, single output).
 *
 * @param model a built model; the Net refers to it, it is not copied
 * @param options see {@link WrapOptions}
 * @returns the Net
 * @throws {TypeError} when the model has several inputs or outputs, or an
 *   input that is not an image [H, W, C]
 */
export function wrapModel(model: tfl.LayersModel, options: WrapOptions = {}): Net {
  const graph = buildGraph(model);
  if (graph.inputSlots.length !== 1 || graph.outputSlots.length !== 1) {
    throw new TypeError(
      `neurolens expects one image input and one output; model "${model.name}" has ` +
        `${graph.inputSlots.length} inputs and ${graph.outputSlots.length} outputs`,
    );
  }
  const inShape = model.inputs[0]!.shape.slice(1);
  if (inShape.length !== 3 || inShape.some((d) => d === null)) {
    throw new TypeError(
      `Model input must be an image of fixed shape [H, W, C]; got [${inShape.join(", ")}]`,
    );
  }
  const layers = graph.steps.map(describeStep);
  const outShape = model.outputs[0]!.shape;
  const numClasses = outShape[outShape.length - 1] ?? 1;
  const meta = (model.getUserDefinedMetadata?.() ?? {}) as { classNames?: unknown };
  const metaNames = Array.isArray(meta.classNames) ? meta.classNames.map(String) : undefined;
  const classNames = options.classNames ?? metaNames ??
    Array.from({ length: numClasses }, (_, i) => String(i));
  if (classNames.length !== numClasses) {
    throw new TypeError(
      `${classNames.length} class names given for a model with ${numClasses} outputs`,
    );
  }
  return {
    model,
    name: options.name ?? model.name,
    inputShape: inShape as [number, number, number],
    layers,
    numClasses,
    classNames,
    head: findHead(graph),
    graph,
  };
}

/**
 * Looks a layer up by name.
 *
 * @throws {RangeError} naming the unknown layer and listing the known ones
 */
export function getLayer(net: Net, name: string): LayerInfo {
  const found = net.layers.find((l) => l.name === name);
  if (!found) {
    throw new RangeError(
      `Unknown layer "${name}" in ${net.name}; known layers: ${
        net.layers.map((l) => l.name).join(", ")
      }`,
    );
  }
  return found;
}

/**
 * Looks a layer up and checks that it is convolutional.
 *
 * @throws {RangeError} for an unknown name; {@link TypeError} for another kind,
 *   listing the conv layers
 */
export function getConvLayer(net: Net, name: string): LayerInfo {
  const layer = getLayer(net, name);
  if (layer.kind !== "conv" || layer.outputShape.length !== 3) {
    throw new TypeError(
      `Layer "${name}" is a ${layer.className}, not a convolution with a [H, W, C] output; ` +
        `conv layers: ${convLayers(net).map((l) => l.name).join(", ")}`,
    );
  }
  return layer;
}

/** The conv layers of a net, in execution order. */
export function convLayers(net: Net): LayerInfo[] {
  return net.layers.filter((l) => l.kind === "conv" && l.outputShape.length === 3);
}

/** Frees the model's weights. */
export function disposeNet(net: Net): void {
  net.model.dispose();
}

function describeStep(step: Step): LayerInfo {
  const shape = (step.outputShapes[0] ?? []).slice(1).map((d) => d ?? -1);
  return {
    name: step.name,
    className: step.className,
    kind: kindOf(step.className),
    outputShape: shape,
    units: shape[shape.length - 1] ?? 0,
    params: step.layer ? step.layer.countParams() : 0,
  };
}

function kindOf(className: string): LayerKind {
  if (CONV_CLASSES.has(className)) return "conv";
  if (className === "Dense") return "dense";
  if (className === "InputLayer") return "input";
  if (/Pool/.test(className)) return "pool";
  if (className === "BatchNormalization" || className === "LayerNormalization") return "norm";
  if (["Add", "Concatenate", "Multiply", "Average", "Maximum", "Subtract"].includes(className)) {
    return "merge";
  }
  return "other";
}

function activationName(layer: tfl.layers.Layer): string | null {
  const act = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return act ? act.getClassName().toLowerCase() : null;
}

function findHead(graph: Graph): NetHead {
  const outSlot = graph.outputSlots[0]!;
  let last = graph.steps.find((s) => s.outputs.includes(outSlot));
  // A nested model's identity step: the head is the step that feeds it.
  while (last && last.className === "NestedModel") {
    const src = last.inputs[0];
    last = graph.steps.find((s) => s.outputs.includes(src!));
  }
  if (!last || !last.layer) return { activation: "linear", placement: "none", logitsStep: "" };
  if (last.className === "Softmax") {
    return { activation: "softmax", placement: "separate", logitsStep: producerOf(graph, last) };
  }
  if (last.className === "Activation") {
    const name = activationName(last.layer);
    if (name === "softmax" || name === "sigmoid") {
      return { activation: name, placement: "separate", logitsStep: producerOf(graph, last) };
    }
  }
  const fused = activationName(last.layer);
  if (fused === "softmax" || fused === "sigmoid") {
    return { activation: fused, placement: "fused", logitsStep: last.name };
  }
  return { activation: "linear", placement: "none", logitsStep: last.name };
}

function producerOf(graph: Graph, step: Step): string {
  const src = step.inputs[0];
  return graph.steps.find((s) => s.outputs.includes(src!))?.name ?? "";
}
