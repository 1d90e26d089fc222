import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import {
  applyTransforms,
  disposePlan,
  drawTransforms,
  LUCID_DEGREES,
  LUCID_SCALES,
  samplingPlan,
  type TransformDraw,
  transformSettings,
} from "../../engine/featureviz/transforms.ts";
import { createRng } from "../../engine/random.ts";

await useBackend("wasm", { quiet: true });

const NONE: TransformDraw = { dy: 0, dx: 0, scale: 1, degrees: 0 };
const IDENTITY = transformSettings(1, false);

function resample(x: tf.Tensor4D, draws: TransformDraw[], settings = IDENTITY): tf.Tensor4D {
  const plan = samplingPlan(x.shape, draws, settings);
  try {
    return applyTransforms(x, plan);
  } finally {
    disposePlan(plan);
  }
}

Deno.test("Lucid's amounts scaled to 28, 64 and 224 px", () => {
  const pick = (s: ReturnType<typeof transformSettings>) => [s.pad, s.jitter, s.finalJitter];
  assert.deepEqual(pick(transformSettings(28)), [2, 1, 1]);
  assert.deepEqual(pick(transformSettings(64)), [3, 2, 1]);
  assert.deepEqual(pick(transformSettings(224)), [12, 8, 4]);
  assert.deepEqual(LUCID_SCALES.map((s) => Math.round(s * 100)), [
    90,
    92,
    94,
    96,
    98,
    100,
    102,
    104,
    106,
    108,
    110,
  ]);
  assert.equal(LUCID_DEGREES.length, 26);
  assert.equal(Math.min(...LUCID_DEGREES), -10);
  assert.equal(Math.max(...LUCID_DEGREES), 10);
});

Deno.test("all amounts zero: the transform is exactly the identity", async () => {
  const before = tf.memory().numTensors;
  const x = tf.randomUniform([3, 5, 7, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const y = resample(x, [NONE, NONE, NONE]);
  assert.deepEqual(y.shape, x.shape);
  assert.deepEqual(await y.data(), await x.data());
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("hand-worked shift and 180° rotation; outside reads the pad value", async () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
  const shifted = await resample(x, [{ ...NONE, dx: 1 }]).data();
  assert.deepEqual(Array.from(shifted), [
    2,
    3,
    4,
    0.5,
    6,
    7,
    8,
    0.5,
    10,
    11,
    12,
    0.5,
    14,
    15,
    16,
    0.5,
  ]);
  const half = await resample(x, [{ ...NONE, dy: 0.5 }]).data();
  assert.deepEqual(Array.from(half).slice(0, 4), [3, 4, 5, 6]);
  const rotated = Array.from(await resample(x, [{ ...NONE, degrees: 180 }]).data());
  rotated.forEach((v, i) => assert.ok(Math.abs(v - (16 - i)) < 1e-5, `${i}: ${v}`));
  x.dispose();
});

Deno.test("random transforms keep the shape, stay in range, and are seeded per image", async () => {
  const settings = transformSettings(28);
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const run = async (seed: number) => {
    const draws = drawTransforms([0, 1, 2, 3].map((i) => createRng(seed + i)), settings);
    const y = resample(x, draws, settings);
    assert.deepEqual(y.shape, [4, 28, 28, 1]);
    const v = await y.data();
    y.dispose();
    return v;
  };
  const a = await run(10), b = await run(10), c = await run(20);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  for (const d of drawTransforms([createRng(5), createRng(6)], settings)) {
    assert.ok(Math.abs(d.dy) <= 1 && Math.abs(d.dx) <= 1);
    assert.ok(LUCID_SCALES.includes(d.scale) && LUCID_DEGREES.includes(d.degrees));
  }
  x.dispose();
});

Deno.test("the gradient is the adjoint of the resampling (scatter back, pad row dropped)", async () => {
  const settings = transformSettings(12);
  const draws = drawTransforms([createRng(1), createRng(2)], settings);
  const plan = samplingPlan([2, 12, 12, 3], draws, settings);
  const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const g = tf.randomNormal([2, 12, 12, 3], 0, 1, "float32", 4);
  const before = tf.memory().numTensors;
  const grad = tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(applyTransforms(t as tf.Tensor4D, plan), g))
  )(x);
  assert.equal(tf.memory().numTensors, before + 1);
  // T(x) = A·x + b (b from the pad value): ⟨T(x) − T(0), g⟩ = ⟨x, Aᵀg⟩.
  const lhs = tf.tidy(() =>
    tf.sum(tf.mul(tf.sub(applyTransforms(x, plan), applyTransforms(tf.zerosLike(x), plan)), g))
  );
  const rhs = tf.sum(tf.mul(x, grad));
  const [l, r] = [(await lhs.data())[0]!, (await rhs.data())[0]!];
  assert.ok(Math.abs(l - r) < 1e-3 * Math.max(1, Math.abs(l)), `${l} vs ${r}`);
  tf.dispose([x, g, grad, lhs, rhs]);
  disposePlan(plan);
});

Deno.test("images that do not match the plan: RangeError", () => {
  const plan = samplingPlan([1, 4, 4, 1], [NONE], IDENTITY);
  const x = tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;
  assert.throws(
    () => applyTransforms(x, plan),
    (e) => e instanceof RangeError && /sampling plan/.test(e.message),
  );
  x.dispose();
  disposePlan(plan);
  assert.throws(() => samplingPlan([2, 4, 4, 1], [NONE], IDENTITY), /one draw per image/);
});

Deno.test("the heap path (WASM) equals the device path: values and gradients", async () => {
  const settings = transformSettings(16);
  const draws = drawTransforms([createRng(7), createRng(8), createRng(9)], settings);
  const x = tf.randomUniform([3, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const g = tf.randomNormal([3, 16, 16, 3], 0, 1, "float32", 6);
  const before = tf.memory().numTensors;
  const run = async (where: "heap" | "device") => {
    const plan = samplingPlan(x.shape, draws, settings, { run: where });
    assert.equal(plan.device === null, where === "heap");
    try {
      const { value, grad: grads } = tf.valueAndGrad((t: tf.Tensor) =>
        tf.sum(tf.mul(applyTransforms(t as tf.Tensor4D, plan), g))
      )(x);
      const y = applyTransforms(x, plan);
      const out = [await y.data(), await grads.data(), await value.data()] as Float32Array[];
      tf.dispose([value, grads, y]);
      return out;
    } finally {
      disposePlan(plan);
    }
  };
  const [heap, device] = [await run("heap"), await run("device")];
  for (let i = 0; i < 3; i++) {
    const [a, b] = [heap[i]!, device[i]!];
    assert.equal(a.length, b.length);
    for (let j = 0; j < a.length; j++) {
      assert.ok(Math.abs(a[j]! - b[j]!) <= 1e-5 * Math.max(1, Math.abs(b[j]!)), `${i}/${j}`);
    }
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, g]);
});

Deno.test('run: "heap" off the WASM backend, or an unknown run: RangeError', async () => {
  assert.throws(
    () => samplingPlan([1, 4, 4, 1], [NONE], IDENTITY, { run: "gpu" as "heap" }),
    /run must be "heap" or "device"/,
  );
  // The CPU backend has no heap: a subprocess, since this one stays on WASM.
  const code = `
    import { useBackend } from "${new URL("../../engine/backend.ts", import.meta.url).href}";
    import { samplingPlan, transformSettings } from "${
    new URL("../../engine/featureviz/transforms.ts", import.meta.url).href
  }";
    await useBackend("cpu", { quiet: true });
    const none = { dy: 0, dx: 0, scale: 1, degrees: 0 };
    const plan = samplingPlan([1, 4, 4, 1], [none], transformSettings(4, false));
    if (plan.device === null) throw new Error("cpu took the heap path");
    try {
      samplingPlan([1, 4, 4, 1], [none], transformSettings(4, false), { run: "heap" });
    } catch (e) { console.log(String(e)); Deno.exit(0); }
    Deno.exit(3);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /needs the wasm backend; the backend is cpu/);
});

Deno.test("a plan disposed before the backward pass still gives its own gradient", async () => {
  // A heap plan's taps must stay valid for a pending gradient after
  // disposePlan, even when new plans of the same size are made meanwhile.
  const settings = transformSettings(12);
  const shifted: TransformDraw = { dy: 1, dx: -1, scale: 1.04, degrees: 5 };
  const x = tf.variable(tf.randomUniform([1, 12, 12, 3], 0, 1, "float32", 8));
  const g = tf.randomNormal([1, 12, 12, 3], 0, 1, "float32", 9);
  const gradient = async (disposeEarly: boolean) => {
    const first = samplingPlan([1, 12, 12, 3], [shifted], settings);
    const others: ReturnType<typeof samplingPlan>[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const a = applyTransforms(x as unknown as tf.Tensor4D, first);
      if (disposeEarly) disposePlan(first);
      // New plans of the same size, made before the gradient runs.
      let sum = a;
      for (let i = 0; i < 2; i++) {
        const plan = samplingPlan([1, 12, 12, 3], [NONE], settings);
        others.push(plan);
        sum = tf.add(sum, tf.mul(applyTransforms(x as unknown as tf.Tensor4D, plan), 0.5));
      }
      return tf.sum(tf.mul(sum, g)) as tf.Scalar;
    }, [x]);
    const out = await grads[x.name]!.data();
    tf.dispose([value, ...Object.values(grads)]);
    if (!disposeEarly) disposePlan(first);
    others.forEach(disposePlan);
    return out;
  };
  const [late, early] = [await gradient(false), await gradient(true)];
  late.forEach((v, i) => assert.equal(early[i], v, `entry ${i}`));
  tf.dispose([x, g]);
});
