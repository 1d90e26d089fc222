/**
 * The plug-in interface of the CAM family: a method maps one batch of images
 * and a target layer to raw class activation maps at the layer's resolution.
 * The driver (`cam()`) validates inputs, batches, applies the final ReLU
 * (unless turned off), upsamples, normalises and packages a `MapResult`.
 *
 * Adding a method = one file exporting a {@link CamMethod}, one registry line,
 * one row in the shared method table test.
 *
 * @module
 */
import type { tf } from "../deps.ts";
import type { Net } from "../net/net.ts";
import type { Target } from "../net/targets.ts";

/** What a CAM method receives: one batch, already validated. */
export interface CamInput {
  /** The network. */
  net: Net;
  /** A conv layer of `net` (validated) whose activations A_k are weighted. */
  layer: string;
  /** One batch [n, H, W, C] (not owned by the method: never dispose it). */
  images: tf.Tensor4D;
  /** What to explain (class targets default to each image's top-1 class). */
  target: Target;
  /** Seed for anything random. */
  seed: number;
  /**
   * Largest batch the method may send through the net at once (Score-CAM and
   * Ablation-CAM expand each image into one input per channel).
   */
  batchSize: number;
  /** Method-specific options (documented by each method). */
  options: Readonly<Record<string, unknown>>;
}

/** Raw maps of one batch; the caller owns (and disposes) every tensor. */
export interface CamOutput {
  /** Σ_k w_k ⊙ A_k before the final ReLU, [n, h, w] at the layer's resolution. */
  maps: tf.Tensor3D;
  /** The explained class per image (int32), -1 for neuron targets. */
  classes: tf.Tensor1D;
  /** The target's score per image. */
  scores: tf.Tensor1D;
}

/** A CAM method (Grad-CAM, Score-CAM, …). May be async (e.g. batched loops). */
export type CamMethod = (input: CamInput) => CamOutput | Promise<CamOutput>;
