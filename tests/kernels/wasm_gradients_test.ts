/**
 * The WASM convolution gradient kernels against the CPU backend's, against
 * finite differences, inside a tfjs-layers model, and for leaks.
 *
 * CPU references are computed with `tf.setBackend("cpu")` while no tensor
 * exists, read back, disposed, and the backend set back to WASM.
 */
import assert from "node:assert/strict";
import { tf, tfl } from "../../engine/deps.ts";
import { useBackend } from "../../engine/backend.ts";
import {
  registerWasmGradients,
  setFilterChunkFloats,
} from "../../engine/kernels/wasm_gradients.ts";

await useBackend("wasm", { quiet: true });

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;

/** Host-side tensor: values and shape, so it can cross backends. */
interface Host {
  values: Float32Array;
  shape: number[];
}

/** Deterministic values in [-1, 1) (a 32-bit LCG), so every run sees the same data. */
function host(shape: number[], seed: number): Host {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = s / 2 ** 31 - 1;
  }
  return { values, shape };
}

/** Runs one kernel on the current backend and reads its output back. */
async function runKernel(
  name: string,
  inputs: Record<string, Host>,
  attrs: tf.NamedAttrMap,
): Promise<Host> {
  const tensors: tf.NamedTensorMap = {};
  for (const [key, h] of Object.entries(inputs)) tensors[key] = tf.tensor(h.values, h.shape);
  try {
    const out = tf.engine().runKernel<tf.Tensor>(name, tensors, attrs);
    try {
      return { values: new Float32Array(await out.data()), shape: out.shape };
    } finally {
      out.dispose();
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Runs `body` on the CPU backend and returns to WASM; tensors must not outlive it. */
async function onCpu<T>(body: () => Promise<T>): Promise<T> {
  assert.equal(tf.memory().numTensors, 0, "switching backends with live tensors");
  await tf.setBackend("cpu");
  try {
    const out = await body();
    assert.equal(tf.memory().numTensors, 0, "the CPU reference left tensors behind");
    return out;
  } finally {
    await tf.setBackend("wasm");
  }
}

function assertClose(actual: Host, expected: Host, rtol: number, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  let scale = 0;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i] as number;
    const e = expected.values[i] as number;
    // Relative to the tensor's scale: conv sums cancel, so single entries can be ~0.
    if (!(Math.abs(a - e) <= rtol * (Math.abs(e) + scale) + 1e-6)) {
      throw new Error(`${label}: entry ${i} is ${a}, expected ${e} (scale ${scale})`);
    }
  }
}

/**
 * The filter with (d−1) zeros between taps: a dilation-1 filter equivalent to
 * the dilated one, because the CPU backprop kernels ignore dilations.
 */
function dilateFilter(f: Host, d: number): Host {
  const [kh, kw, a, b] = f.shape as Shape4;
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const values = new Float32Array(eh * ew * a * b);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = (i * kw + j) * a * b;
      values.set(f.values.subarray(src, src + a * b), (i * d * ew + j * d) * a * b);
    }
  }
  return { values, shape: [eh, ew, a, b] };
}

/** The taps of a dilation-1 filter gradient that a dilated filter has. */
function undilateFilter(f: Host, d: number, kh: number, kw: number): Host {
  const [, ew, a, b] = f.shape as Shape4;
  const values = new Float32Array(kh * kw * a * b);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = (i * d * ew + j * d) * a * b;
      values.set(f.values.subarray(src, src + a * b), (i * kw + j) * a * b);
    }
  }
  return { values, shape: [kh, kw, a, b] };
}

interface Case {
  x: Shape4;
  k: number;
  cout: number;
  stride: number;
  dilation: number;
  pad: Pad;
  depthwise: boolean;
}

/** The forward output shape, or null when the filter does not fit. */
function outShape(c: Case): Shape4 | null {
  const [, , , cin] = c.x;
  if (c.dilation > 1 && c.k === 1) return null;
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k, c.k, cin, c.cout],
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    c.depthwise,
  );
  return info.outHeight >= 1 && info.outWidth >= 1 ? info.outShape : null;
}

function cases(): Case[] {
  const out: Case[] = [];
  // 4 and 16 channels take the SIMD depthwise filter gradient (multiplier 1).
  const inputs: Array<[Shape4, number]> = [
    [[2, 7, 7, 3], 4],
    [[2, 8, 6, 2], 5],
    [[2, 5, 9, 1], 3],
    [[2, 6, 7, 4], 8],
    [[1, 5, 5, 16], 4],
  ];
  // The second explicit pad is wider than a 3×3 filter reaches, so dy gets cropped.
  const explicit: Pad[] = [[[0, 0], [1, 2], [2, 0], [0, 0]], [[0, 0], [4, 0], [0, 5], [0, 0]]];
  for (const [x, cout] of inputs) {
    for (const k of [1, 3, 5]) {
      for (const [stride, dilation] of [[1, 1], [2, 1], [3, 1], [1, 2]] as const) {
        for (const pad of ["same", "valid", ...explicit] as Pad[]) {
          for (const depthwise of [false, true]) {
            const multiplier = x[3] % 4 === 0 ? 1 : 2;
            const c = {
              x,
              k,
              cout: depthwise ? multiplier : cout,
              stride,
              dilation,
              pad,
              depthwise,
            };
            if (outShape(c)) out.push(c);
          }
        }
      }
    }
  }
  return out;
}

function label(c: Case): string {
  const pad = typeof c.pad === "string" ? c.pad : JSON.stringify(c.pad);
  return `${c.depthwise ? "depthwise" : "conv"} x=[${c.x}] k=${c.k} cout/m=${c.cout} ` +
    `s=${c.stride} d=${c.dilation} pad=${pad}`;
}

interface Operands {
  x: Host;
  filter: Host;
  dy: Host;
}

function operands(c: Case, seed: number): Operands {
  const [, , , cin] = c.x;
  return {
    x: host(c.x, seed),
    filter: host([c.k, c.k, cin, c.cout], seed + 1),
    dy: host(outShape(c) as Shape4, seed + 2),
  };
}

const INPUT = { conv: "Conv2DBackpropInput", depthwise: "DepthwiseConv2dNativeBackpropInput" };
const FILTER = { conv: "Conv2DBackpropFilter", depthwise: "DepthwiseConv2dNativeBackpropFilter" };

/** Input and filter gradients of one case on the current backend, with dilation `d` as given. */
async function gradients(c: Case, o: Operands, filter: Host, d: number): Promise<[Host, Host]> {
  const kind = c.depthwise ? "depthwise" : "conv";
  const common = { strides: c.stride, pad: c.pad, dilations: d, dataFormat: "NHWC" } as const;
  const dx = await runKernel(INPUT[kind], { dy: o.dy, filter }, {
    ...common,
    inputShape: c.x,
  } as unknown as tf.NamedAttrMap);
  const dw = await runKernel(FILTER[kind], { x: o.x, dy: o.dy }, {
    ...common,
    filterShape: filter.shape,
  } as unknown as tf.NamedAttrMap);
  return [dx, dw];
}

Deno.test("registerWasmGradients registers the four kernels and is idempotent", () => {
  registerWasmGradients();
  const names = Object.values(INPUT).concat(Object.values(FILTER));
  const before = names.map((n) => tf.getKernel(n, "wasm")?.kernelFunc);
  registerWasmGradients();
  const after = names.map((n) => tf.getKernel(n, "wasm")?.kernelFunc);
  for (const [i, f] of before.entries()) {
    assert(f !== undefined, `${names[i]} is registered on wasm`);
    assert(f === after[i], `${names[i]} is unchanged by a second call`);
  }
});

Deno.test("the WASM gradient kernels match the CPU backend's", async () => {
  const grid = cases();
  const all = grid.map((c, i) => ({ c, o: operands(c, 17 * i + 1) }));
  // CPU ignores dilations in backprop, so its reference runs the zero-filled
  // dilation-1 filter and keeps the taps the dilated filter has.
  const refs = await onCpu(async () => {
    const out: Array<[Host, Host]> = [];
    for (const { c, o } of all) {
      const [dx, dw] = await gradients(c, o, dilateFilter(o.filter, c.dilation), 1);
      out.push([dx, undilateFilter(dw, c.dilation, c.k, c.k)]);
    }
    return out;
  });
  for (const [i, { c, o }] of all.entries()) {
    const [dx, dw] = await gradients(c, o, o.filter, c.dilation);
    const [rdx, rdw] = refs[i] as [Host, Host];
    assertClose(dx, rdx, 1e-4, `${label(c)} dx`);
    assertClose(dw, rdw, 1e-4, `${label(c)} dW`);
  }
  assert(all.length > 100, `grid has ${all.length} cases`);
});

Deno.test("the filter gradient matches the CPU backend for every register tile, with one image or all images per chunk", async () => {
  // 9 input channels take the path with one matmul per tap over views of x,
  // 2 the stacked-taps one; a one-float chunk budget forces one image per chunk.
  const grid: Case[] = [];
  // Channel counts that pick every kind of register tile: 3 or 2 or 4 or 1
  // input channels at a time, output vectors of 4 (1, 2 or 4 of them) and
  // scalar leftovers.
  const shapes: Array<[Shape4, number]> = [
    [[3, 7, 6, 9], 5],
    [[3, 6, 7, 2], 5],
    [[2, 5, 6, 4], 16],
    [[2, 6, 5, 1], 19],
  ];
  for (const [x, cout] of shapes) {
    for (const k of [2, 3]) {
      for (const [stride, dilation] of [[1, 1], [2, 1], [1, 2]] as const) {
        for (const pad of ["same", "valid", [[0, 0], [2, 1], [0, 3], [0, 0]]] as Pad[]) {
          const c = { x, k, cout, stride, dilation, pad, depthwise: false };
          if (outShape(c)) grid.push(c);
        }
      }
    }
  }
  const all = grid.map((c, i) => ({ c, o: operands(c, 29 * i + 3) }));
  const refs = await onCpu(async () => {
    const out: Host[] = [];
    for (const { c, o } of all) {
      const [, dw] = await gradients(c, o, dilateFilter(o.filter, c.dilation), 1);
      out.push(undilateFilter(dw, c.dilation, c.k, c.k));
    }
    return out;
  });
  for (const budget of [1, 1 << 30]) {
    const old = setFilterChunkFloats(budget);
    try {
      for (const [i, { c, o }] of all.entries()) {
        const [, dw] = await gradients(c, o, o.filter, c.dilation);
        assertClose(dw, refs[i] as Host, 1e-4, `${label(c)} chunk budget ${budget} dW`);
      }
    } finally {
      setFilterChunkFloats(old);
    }
  }
  assert(all.length >= 60, `grid has ${all.length} cases`);
});

Deno.test("a numeric pad with dimRoundingMode 'ceil' matches the CPU backend", async () => {
  const inputShape: Shape4 = [2, 9, 8, 3];
  const x = host(inputShape, 5);
  const filter = host([3, 3, 3, 4], 6);
  const attrs = { strides: 2, pad: 1, dimRoundingMode: "ceil", dataFormat: "NHWC" };
  // out = ceil((in + 2·1 − 3) / 2 + 1): 5 rows, and 5 columns where floor would give 4,
  // so the last column's window reaches past the input.
  const dy = host([2, 5, 5, 4], 7);
  const run = async (): Promise<[Host, Host]> => [
    await runKernel("Conv2DBackpropInput", { dy, filter }, { ...attrs, inputShape }),
    await runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: [3, 3, 3, 4] }),
  ];
  const [rdx, rdw] = await onCpu(run);
  const [dx, dw] = await run();
  assertClose(dx, rdx, 1e-4, "pad 1 ceil dx");
  assertClose(dw, rdw, 1e-4, "pad 1 ceil dW");
});

/** Central differences of `f` at every entry of `at`, against `grad`. */
function checkFiniteDifferences(
  f: (v: tf.Tensor4D) => tf.Scalar,
  at: tf.Tensor4D,
  grad: Float32Array,
  label: string,
): void {
  const base = at.dataSync();
  const h = 1e-2;
  // Every entry: with stride 2, a few chosen ones can all meet only the centre tap.
  for (let e = 0; e < base.length; e++) {
    const shifted = (delta: number) =>
      tf.tidy(() => {
        const v = Float32Array.from(base);
        v[e] = (v[e] as number) + delta;
        return f(tf.tensor4d(v, at.shape)).dataSync()[0] as number;
      });
    const fd = (shifted(h) - shifted(-h)) / (2 * h);
    const g = grad[e] as number;
    // f is quadratic, so central differences are exact up to float32 rounding of f.
    assert(Math.abs(fd - g) <= 1e-2 * Math.abs(g) + 2e-2, `${label}[${e}]: fd ${fd}, grad ${g}`);
  }
}

Deno.test("tf.grad through conv2d and depthwiseConv2d matches finite differences on WASM", () => {
  assert.equal(tf.getBackend(), "wasm");
  const x = tf.tensor4d(host([2, 6, 5, 3], 11).values, [2, 6, 5, 3]);
  const w = tf.tensor4d(host([3, 3, 3, 4], 12).values, [3, 3, 3, 4]);
  const dw = tf.tensor4d(host([3, 3, 3, 2], 13).values, [3, 3, 3, 2]);
  const half = (y: tf.Tensor) => tf.div(tf.sum(tf.square(y)), 2) as tf.Scalar;
  type Objective = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Scalar;
  const conv: Objective = (a, b) => half(tf.conv2d(a, b, 2, "same"));
  const depth: Objective = (a, b) => half(tf.depthwiseConv2d(a, b, 2, "valid"));
  try {
    for (const [name, f, filter] of [["conv2d", conv, w], ["depthwise", depth, dw]] as const) {
      const both = (a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D);
      const grads = tf.grads(both)([x, filter]);
      try {
        const [gx, gw] = grads.map((g) => g.dataSync() as Float32Array);
        checkFiniteDifferences((v) => f(v, filter), x, gx as Float32Array, `${name} dx`);
        checkFiniteDifferences((v) => f(x, v), filter, gw as Float32Array, `${name} dW`);
      } finally {
        tf.dispose(grads);
      }
    }
  } finally {
    tf.dispose([x, w, dw]);
  }
});

/** conv2d stride 2 → depthwise (multiplier 2) → dense, as tfjs-layers builds it. */
function smallModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [11, 10, 3],
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: "valid" }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4 }),
    ],
  });
}

/**
 * Loss gradients of every trainable weight, in layer order, and of the input
 * (as saliency methods take it), with the given weights.
 */
async function modelGradients(
  weights: Host[] | null,
): Promise<{ weights: Host[]; grads: Host[]; input: Host }> {
  const model = smallModel();
  const xs = tf.tensor4d(host([3, 11, 10, 3], 21).values, [3, 11, 10, 3]);
  const ys = tf.tensor2d(host([3, 4], 22).values, [3, 4]);
  try {
    if (weights) {
      const values = weights.map((w) => tf.tensor(w.values, w.shape));
      model.setWeights(values);
      tf.dispose(values);
    }
    const loss = (x: tf.Tensor) =>
      tf.losses.meanSquaredError(ys, model.apply(x) as tf.Tensor) as tf.Scalar;
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => loss(xs), vars);
    const input = tf.grad(loss)(xs);
    const read = async (t: tf.Tensor) => ({
      values: new Float32Array(await t.data()),
      shape: t.shape,
    });
    const out = {
      weights: await Promise.all(model.getWeights().map(read)),
      grads: await Promise.all(vars.map((v) => read(grads[v.name] as tf.Tensor))),
      input: await read(input),
    };
    tf.dispose([value, input, ...Object.values(grads)]);
    return out;
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

Deno.test("gradients of a tfjs-layers conv/depthwise/dense model match the CPU backend", async () => {
  const cpu = await onCpu(() => modelGradients(null));
  const before = tf.memory().numTensors;
  const wasm = await modelGradients(cpu.weights);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(wasm.grads.length, 6);
  for (const [i, g] of wasm.grads.entries()) {
    assertClose(g, cpu.grads[i] as Host, 1e-4, `gradient of weight ${i}`);
  }
  assertClose(wasm.input, cpu.input, 1e-4, "gradient of the input");
});

/** Σ a·b in doubles, and the Cauchy–Schwarz bound that scales its rounding error. */
function dot(a: Float32Array, b: Float32Array): { value: number; scale: number } {
  let value = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const u = a[i] as number;
    const v = b[i] as number;
    value += u * v;
    aa += u * u;
    bb += v * v;
  }
  return { value, scale: Math.sqrt(aa * bb) };
}

Deno.test("on a large layer (several image chunks), the gradients are adjoint to conv2d", async () => {
  // 256 channels × ~67k positions: the filter gradient splits the batch into
  // image chunks and runs one matmul per tap and chunk. Adjointness, <dW, W'> = <dy, conv(x, W')>
  // and <dx, x'> = <dy, conv(x', W)>, checks it without a slow CPU reference.
  const shape: Shape4 = [4, 128, 128, 256];
  const x = tf.tensor4d(host(shape, 41).values, shape);
  const x2 = tf.tensor4d(host(shape, 42).values, shape);
  const w = tf.tensor4d(host([3, 3, 256, 2], 43).values, [3, 3, 256, 2]);
  const w2 = tf.tensor4d(host([3, 3, 256, 2], 44).values, [3, 3, 256, 2]);
  const dy = tf.tensor4d(host([4, 128, 128, 2], 45).values, [4, 128, 128, 2]);
  const attrs = { strides: 1, pad: "same", dataFormat: "NHWC" };
  const tensors: tf.Tensor[] = [x, x2, w, w2, dy];
  try {
    const read = async (t: tf.Tensor) => {
      tensors.push(t);
      return new Float32Array(await t.data());
    };
    const dw = await read(
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        ...attrs,
        filterShape: [3, 3, 256, 2],
      }),
    );
    const dx = await read(
      tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
        ...attrs,
        inputShape: shape,
      }),
    );
    const dyv = await read(dy);
    const pairs = [
      [dot(dw, await read(w2)), dot(dyv, await read(tf.conv2d(x, w2, 1, "same")))],
      [dot(dx, await read(x2)), dot(dyv, await read(tf.conv2d(x2, w, 1, "same")))],
    ] as const;
    for (const [[lhs, rhs], what] of [[pairs[0], "filter"], [pairs[1], "input"]] as const) {
      const tol = 1e-5 * Math.max(lhs.scale, rhs.scale);
      assert(Math.abs(lhs.value - rhs.value) <= tol, `${what}: ${lhs.value} vs ${rhs.value}`);
    }
  } finally {
    tf.dispose(tensors);
  }
});

Deno.test("repeated gradient calls leak no tensors and no WASM buffers", () => {
  const x = tf.tensor4d(host([2, 9, 9, 8], 31).values, [2, 9, 9, 8]);
  const w = tf.tensor4d(host([3, 3, 8, 5], 32).values, [3, 3, 8, 5]);
  const dw = tf.tensor4d(host([3, 3, 8, 2], 33).values, [3, 3, 8, 2]);
  const w2 = tf.tensor4d(host([3, 3, 2, 3], 34).values, [3, 3, 2, 3]);
  // Both input-gradient paths (one phase, stride phases), both dense filter
  // gradients (per-tap views for 8 channels, stacked taps for 2) and the depthwise one.
  const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => {
    const [x4, w4, d4, e4] = [a, b, c, e] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const two = tf.slice(x4, [0, 0, 0, 0], [2, 9, 9, 2]);
    return tf.addN([
      tf.sum(tf.square(tf.conv2d(x4, w4, 2, "same"))),
      tf.sum(tf.square(tf.conv2d(x4, w4, 1, "valid"))),
      tf.sum(tf.square(tf.conv2d(two, e4, 1, "same"))),
      tf.sum(tf.square(tf.depthwiseConv2d(x4, d4, 2, "same"))),
    ]) as tf.Scalar;
  };
  const step = () => tf.dispose(tf.grads(loss)([x, w, dw, w2]));
  try {
    step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.backend().numDataIds(), buffers);
  } finally {
    tf.dispose([x, w, dw, w2]);
  }
});

Deno.test("NCHW and a wrong dy shape throw RangeErrors that say why", () => {
  const dy = tf.zeros([1, 4, 4, 2]);
  const filter = tf.zeros([3, 3, 2, 2]);
  const attrs = (format: string, inputShape: number[]) => ({
    strides: 1,
    pad: "same",
    dataFormat: format,
    inputShape,
  });
  try {
    const run = (format: string, inputShape: number[]) => () =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, attrs(format, inputShape));
    const nchw = assertThrowsRange(run("NCHW", [1, 2, 4, 4]));
    assert(nchw.includes("NHWC"), nchw);
    const shape = assertThrowsRange(run("NHWC", [1, 5, 5, 2]));
    assert(shape.includes("dy has shape [1,4,4,2]"), shape);
  } finally {
    tf.dispose([dy, filter]);
  }
});

function assertThrowsRange(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert(e instanceof RangeError, `expected a RangeError, got ${e}`);
    return e.message;
  }
  throw new Error("expected a RangeError, nothing was thrown");
}
