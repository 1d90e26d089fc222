/**
 * A flat, topologically ordered list of steps for any LayersModel.
 *
 * Nested models are flattened: their inner layers become steps named
 * `outer/inner`, followed by an identity step named `outer` that carries the
 * nested model's output, so the nested model as a whole can be captured or
 * replaced too. A layer applied more than once gets the names `name`,
 * `name#1`, `name#2`, … for its successive applications.
 *
 * @module
 */
import type { tfl } from "../deps.ts";
import { isContainer, readContainer, type SymbolicRef } from "./_internals.ts";

type Layer = tfl.layers.Layer;

/** One layer application: read the input slots, write the output slots. */
export interface Step {
  /** Unique name in this graph (see the module doc for nesting and reuse). */
  name: string;
  /** The tfjs layer, or null for the identity step that ends a nested model. */
  layer: Layer | null;
  /** The layer's class, e.g. "Conv2D"; "NestedModel" for the identity step. */
  className: string;
  /** Slots this step reads, in the order the layer expects them. */
  inputs: number[];
  /** Slots this step writes. */
  outputs: number[];
  /** Extra call arguments recorded when the graph was built. */
  callArgs: Record<string, unknown>;
  /** Symbolic output shapes, batch dimension null. */
  outputShapes: (number | null)[][];
}

/** The whole model as slots and steps. */
export interface Graph {
  /** Slots fed by the model inputs. */
  inputSlots: number[];
  /** Slots that hold the model outputs. */
  outputSlots: number[];
  /** Steps in an order where every input is ready before it is read. */
  steps: Step[];
  /** Step by name. */
  byName: Map<string, Step>;
  /** Number of slots. */
  slotCount: number;
}

/**
 * Flattens a built LayersModel (Sequential, functional or nested) into steps.
 *
 * @param model a built tfjs-layers model
 * @returns the graph the executor runs
 */
export function buildGraph(model: tfl.LayersModel): Graph {
  const steps: Step[] = [];
  let slotCount = 0;
  const newSlot = () => slotCount++;
  const usedNames = new Map<string, number>();

  function uniqueName(base: string): string {
    const n = usedNames.get(base) ?? 0;
    usedNames.set(base, n + 1);
    return n === 0 ? base : `${base}#${n}`;
  }

  /** Adds the steps of a container whose inputs are already in `inputSlots`. */
  function flatten(container: unknown, inputSlots: number[], prefix: string): number[] {
    const graph = readContainer(container);
    const slotOf = new Map<number, number>();
    graph.inputs.forEach((ref, i) => slotOf.set(ref.id, inputSlots[i]!));
    const inputRefIds = new Set(graph.inputs.map((r) => r.id));
    for (const node of graph.nodes) {
      const layer = node.outboundLayer;
      // InputLayer nodes produce the container inputs: nothing to compute.
      if (node.outputTensors.every((t) => inputRefIds.has(t.id))) continue;
      const ins = node.inputTensors.map((ref) => {
        const s = slotOf.get(ref.id);
        if (s === undefined) throw new Error(`Graph walk reached ${layer.name} before its input`);
        return s;
      });
      const name = uniqueName(prefix + layer.name);
      let outs: number[];
      if (isContainer(layer)) {
        const inner = flatten(layer, ins, `${name}/`);
        outs = node.outputTensors.map(() => newSlot());
        steps.push({
          name,
          layer: null,
          className: "NestedModel",
          inputs: inner,
          outputs: outs,
          callArgs: {},
          outputShapes: node.outputTensors.map(shapeOf),
        });
      } else {
        outs = node.outputTensors.map(() => newSlot());
        steps.push({
          name,
          layer,
          className: layer.getClassName(),
          inputs: ins,
          outputs: outs,
          callArgs: { ...(node.callArgs ?? {}) },
          outputShapes: node.outputTensors.map(shapeOf),
        });
      }
      node.outputTensors.forEach((ref, i) => slotOf.set(ref.id, outs[i]!));
    }
    return graph.outputs.map((ref) => {
      const s = slotOf.get(ref.id);
      if (s === undefined) throw new Error(`Output ${ref.name} of ${graph.name} is never computed`);
      return s;
    });
  }

  const top = readContainer(model);
  const inputSlots = top.inputs.map(() => newSlot());
  const outputSlots = flatten(model, inputSlots, "");
  const byName = new Map(steps.map((s) => [s.name, s]));
  return { inputSlots, outputSlots, steps, byName, slotCount };
}

function shapeOf(ref: SymbolicRef): (number | null)[] {
  return [...ref.shape];
}

/**
 * Names of the steps that `target` depends on, itself included.
 *
 * @param graph the graph
 * @param target a step name
 * @returns the set of ancestor step names
 */
export function ancestorsOf(graph: Graph, target: string): Set<string> {
  const producer = new Map<number, Step>();
  for (const step of graph.steps) for (const s of step.outputs) producer.set(s, step);
  const found = new Set<string>();
  const stack = [graph.byName.get(target)];
  while (stack.length > 0) {
    const step = stack.pop();
    if (!step || found.has(step.name)) continue;
    found.add(step.name);
    for (const s of step.inputs) stack.push(producer.get(s));
  }
  return found;
}
