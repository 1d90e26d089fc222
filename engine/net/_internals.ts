/**
 * The one place that reads tfjs-layers internals (the node graph of a
 * container). tfjs-layers does not export its graph, but `predict` itself
 * walks `nodesByDepth`, `inputTensors` and `outputTensors`; this file mirrors
 * that walk (`Container.runInternalGraph` in tfjs-layers 4.22) so that the
 * executor can capture, replace and mask any node's output.
 *
 * If a tfjs upgrade renames these fields, only this file changes, and
 * {@link readContainer} throws instead of producing a wrong graph.
 *
 * @module
 */
import type { tfl } from "../deps.ts";

type Layer = tfl.layers.Layer;

/** A symbolic tensor of the layers graph; only its identity matters here. */
export interface SymbolicRef {
  id: number;
  name: string;
  shape: (number | null)[];
}

/** One application of a layer to symbolic inputs. */
export interface GraphNodeInternal {
  outboundLayer: Layer;
  inputTensors: SymbolicRef[];
  outputTensors: SymbolicRef[];
  callArgs: Record<string, unknown> | null;
}

/** The graph of a LayersModel, Sequential or nested model. */
export interface ContainerInternal {
  name: string;
  inputs: SymbolicRef[];
  outputs: SymbolicRef[];
  /** Nodes in topological order (decreasing depth, as `predict` runs them). */
  nodes: GraphNodeInternal[];
}

/** Whether a layer is itself a model with an inner graph (nested model). */
export function isContainer(layer: unknown): boolean {
  const c = layer as { nodesByDepth?: unknown; layers?: unknown };
  return typeof c === "object" && c !== null && typeof c.nodesByDepth === "object" &&
    c.nodesByDepth !== null && Array.isArray(c.layers);
}

/**
 * Reads a container's inputs, outputs and nodes in execution order.
 *
 * @throws {Error} when the internals are not where tfjs-layers 4.22 keeps them
 */
export function readContainer(model: unknown): ContainerInternal {
  // A Sequential builds its inner graph lazily, on its first call.
  const seq = model as { getClassName?(): string; model?: unknown; build?(): void };
  if (seq.getClassName?.() === "Sequential" && seq.model == null) seq.build?.();
  const c = model as {
    name?: string;
    inputs?: SymbolicRef[];
    outputs?: SymbolicRef[];
    nodesByDepth?: Record<string, GraphNodeInternal[]>;
  };
  if (!isContainer(model) || !Array.isArray(c.inputs) || !Array.isArray(c.outputs)) {
    throw new Error(
      "This model's layer graph is not readable (expected a built tfjs-layers LayersModel or " +
        "Sequential with inputs, outputs and nodesByDepth). Build it (e.g. call predict once) first.",
    );
  }
  const depths = Object.keys(c.nodesByDepth!).map(Number).sort((a, b) => b - a);
  const nodes: GraphNodeInternal[] = [];
  for (const depth of depths) {
    for (const node of c.nodesByDepth![String(depth)] ?? []) {
      if (!node.outboundLayer || !Array.isArray(node.inputTensors)) {
        throw new Error(`Unreadable node at depth ${depth} of model ${c.name}`);
      }
      nodes.push(node);
    }
  }
  return { name: c.name ?? "model", inputs: c.inputs!, outputs: c.outputs!, nodes };
}
