/**
 * Multiply–add counts of a Net's forward pass, for "effective GFLOP/s" in
 * benchmarks (1 multiply–add = 2 FLOP). Counts convolutions and dense layers,
 * which dominate; element-wise layers, pooling and BatchNorm are ignored.
 *
 * @example
 * ```ts
 * import { tfl } from "../deps.ts";
 * import { wrapModel } from "./net.ts";
 * import { forwardFlops } from "./flops.ts";
 * const net = wrapModel(tfl.sequential({ layers: [
 *   tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }),
 * ] }));
 * // 2 × (2·2 positions) × (3·3·1 weights) × 2 filters = 144
 * if (!(forwardFlops(net) === 144)) throw new Error("example failed");
 * net.model.dispose();
 * ```
 *
 * @module
 */
import type { Net } from "./net.ts";

/**
 * FLOPs of one image's forward pass through the conv and dense layers.
 *
 * @param net the network
 * @returns floating-point operations per image
 */
export function forwardFlops(net: Net): number {
  let total = 0;
  for (const step of net.graph.steps) {
    const layer = step.layer as unknown as {
      kernelSize?: number[];
      filters?: number;
      depthMultiplier?: number;
      units?: number;
    } | null;
    if (!layer) continue;
    const out = (step.outputShapes[0] ?? []).slice(1).map((d) => d ?? 0);
    const inShape = inputShapeOf(net, step.inputs[0]);
    const cin = inShape[inShape.length - 1] ?? 0;
    const positions = out.length === 3 ? out[0]! * out[1]! : 1;
    const k = layer.kernelSize ? layer.kernelSize[0]! * layer.kernelSize[1]! : 0;
    switch (step.className) {
      case "Conv2D":
      case "Conv2DTranspose":
        total += 2 * positions * k * cin * out[2]!;
        break;
      case "DepthwiseConv2D":
        total += 2 * positions * k * out[2]!;
        break;
      case "SeparableConv2D":
        total += 2 * positions * (k * cin * (layer.depthMultiplier ?? 1) +
          cin * (layer.depthMultiplier ?? 1) * out[2]!);
        break;
      case "Dense":
        total += 2 * cin * out[out.length - 1]!;
        break;
    }
  }
  return total;
}

function inputShapeOf(net: Net, slot: number | undefined): number[] {
  if (slot === undefined) return [];
  if (slot === net.graph.inputSlots[0]) return [...net.inputShape];
  const producer = net.graph.steps.find((s) => s.outputs.includes(slot));
  return (producer?.outputShapes[producer.outputs.indexOf(slot)] ?? []).slice(1).map((d) => d ?? 0);
}
