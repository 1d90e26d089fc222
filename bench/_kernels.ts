/**
 * Times the WASM convolution gradient kernels of
 * `engine/kernels/wasm_gradients.ts` against the forward conv they are built
 * from: `deno run -A bench/_kernels.ts`.
 *
 * @module
 */
import { tf } from "../engine/deps.ts";
import { useBackend } from "../engine/backend.ts";

await useBackend("wasm", { quiet: true });

/** Wall time of `run`, its output read back. */
async function once(run: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const out = run();
  await out.data();
  const t = performance.now() - t0;
  out.dispose();
  return t;
}

/**
 * Median times of several runs, interleaved round by round after a warm-up,
 * so that load from other processes hits all of them alike.
 */
async function medians(runs: Array<() => tf.Tensor>, rounds = 9): Promise<number[]> {
  const times: number[][] = runs.map(() => []);
  for (let r = 0; r <= rounds; r++) {
    for (const [i, run] of runs.entries()) {
      const t = await once(run);
      if (r > 0) times[i]?.push(t);
    }
  }
  return times.map((ts) => ts.sort((a, b) => a - b)[ts.length >> 1] as number);
}

interface Scenario {
  label: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  depthwise: boolean;
}

const scenarios: Scenario[] = [
  { label: "conv 3x3 3→16 s1", x: [64, 64, 64, 3], k: 3, cout: 16, stride: 1, depthwise: false },
  { label: "conv 3x3 32→32 s1", x: [64, 28, 28, 32], k: 3, cout: 32, stride: 1, depthwise: false },
  { label: "conv 3x3 32→64 s2", x: [64, 28, 28, 32], k: 3, cout: 64, stride: 2, depthwise: false },
  { label: "conv 3x3 64→64 s1", x: [64, 8, 8, 64], k: 3, cout: 64, stride: 1, depthwise: false },
  { label: "depthwise 3x3 m1 s1", x: [64, 28, 28, 32], k: 3, cout: 1, stride: 1, depthwise: true },
  { label: "depthwise 3x3 m1 s2", x: [64, 28, 28, 32], k: 3, cout: 1, stride: 2, depthwise: true },
  // Multiplier 2: the JavaScript path (the SIMD kernel takes multiplier 1).
  { label: "depthwise 3x3 m2 s1", x: [64, 28, 28, 8], k: 3, cout: 2, stride: 1, depthwise: true },
];

for (const s of scenarios) {
  const [n, h, w, cin] = s.x;
  const x = tf.randomNormal(s.x) as tf.Tensor4D;
  const filter = tf.randomNormal([s.k, s.k, cin, s.cout]) as tf.Tensor4D;
  const forward = () =>
    s.depthwise
      ? tf.depthwiseConv2d(x, filter, s.stride, "same")
      : tf.conv2d(x, filter, s.stride, "same");
  const y = forward();
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  y.dispose();
  const attrs = { strides: s.stride, pad: "same", dataFormat: "NHWC", dilations: 1 };
  const input = s.depthwise ? "DepthwiseConv2dNativeBackpropInput" : "Conv2DBackpropInput";
  const filt = s.depthwise ? "DepthwiseConv2dNativeBackpropFilter" : "Conv2DBackpropFilter";
  const [fwd, dx, dw] = await medians([
    forward,
    () => tf.engine().runKernel(input, { dy, filter }, { ...attrs, inputShape: [n, h, w, cin] }),
    () => tf.engine().runKernel(filt, { x, dy }, { ...attrs, filterShape: filter.shape }),
  ]) as [number, number, number];
  const fmt = (ms: number) => `${ms.toFixed(1)} ms (${(ms / fwd).toFixed(2)}×)`;
  console.log(
    `${s.label} x=[${s.x}]: forward ${fwd.toFixed(1)} ms, input grad ${fmt(dx)}, filter grad ${
      fmt(dw)
    }`,
  );
  tf.dispose([x, filter, dy]);
}
