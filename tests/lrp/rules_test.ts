import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { linearBackward, linearForward, type LinearOp } from "../../engine/lrp/linear.ts";
import {
  alphaBetaRule,
  getRule,
  LRP_RULES,
  type RuleName,
  stabilizedDivide,
  zPlusRule,
} from "../../engine/lrp/rules.ts";
import { assertClose, read } from "./_helpers.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

// One dense layer, hand-weighted: W = [[1, −2], [3, 1]] (rows: inputs), b = [0.5, −1],
// input a = [2, 1], output relevance R = [1, 2]. Then z = aW + b = [5.5, −4].
function denseCase() {
  const op: LinearOp = {
    kind: "dense",
    kernel: tf.tensor2d([[1, -2], [3, 1]]),
    bias: tf.tensor1d([0.5, -1]),
  };
  const a = tf.tensor2d([[2, 1]]);
  const r = tf.tensor2d([[1, 2]]);
  return { op, a, r, dispose: () => tf.dispose([op.kernel, op.bias!, a, r]) };
}

// Expected values worked by hand (see each line's comment).
const EXPECTED: Record<RuleName, { params?: Record<string, number>; values: number[] }> = {
  // s = R/z = [1/5.5, −0.5]; c = W s = [1/5.5 + 1, 3/5.5 − 0.5]; R_in = a ⊙ c.
  zero: { values: [2.3636364, 0.0454545] },
  // z ± ε with ε = 0.5: [6, −4.5]; s = [1/6, −4/9]; c = [1/6 + 8/9, 1/2 − 4/9].
  epsilon: { params: { epsilon: 0.5 }, values: [2.1111111, 0.0555556] },
  // ρ(W) = [[1.25, −2], [3.75, 1.25]], ρ(b) = [0.625, −1]: z = [6.875, −3.75].
  gamma: { values: [2.4969697, -0.1212121] },
  // Positive contributions a_j w_jk: [[2, 0], [3, 1]] → z⁺ = [5, 1]; R_j = Σ_k (a w)⁺/z⁺ R_k.
  zPlus: { values: [0.4, 2.6] },
  // 2·z⁺ share − 1·negative share: negative contributions [[0, −4], [0, 0]] → [−1.2, 5.2].
  alphaBeta: { values: [-1.2, 5.2] },
  // Bounds l = −1, h = 2: z = aW − lW⁺ − hW⁻ = [9, 2]; R = a c − l c⁺ − h c⁻.
  zB: { params: { low: -1, high: 2 }, values: [1 / 3, 8 / 3] },
  // Each output spreads evenly over its 2 inputs: [0.5 + 1, 0.5 + 1].
  flat: { values: [1.5, 1.5] },
  // W² = [[1, 4], [9, 1]], column sums [10, 5]: [1/10 + 4·2/5, 9/10 + 2/5].
  wSquare: { values: [1.7, 1.3] },
};

for (const [name, { params, values }] of Object.entries(EXPECTED)) {
  Deno.test(`rule ${name}: hand-worked values on one dense layer`, async () => {
    const c = denseCase();
    const before = tf.memory().numTensors;
    const out = getRule(name as RuleName, params ?? {}).propagate(c.op, c.a, c.r);
    assertClose(await read(out), values, 1e-5, name);
    out.dispose();
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    c.dispose();
  });
}

Deno.test("rules are conservative where they should be: Σ R_in = Σ R_out without bias", async () => {
  const c = denseCase();
  const noBias: LinearOp = { ...c.op, bias: null };
  for (const name of ["zero", "epsilon", "zPlus", "zB", "flat", "wSquare", "gamma"] as const) {
    const out = getRule(name).propagate(noBias, c.a, c.r);
    const total = (await read(out)).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(total - 3) < 1e-4, `${name}: Σ R_in = ${total}, expected 3`);
    out.dispose();
  }
  c.dispose();
});

Deno.test("z⁺ with negative inputs uses the sign of each contribution a_j w_jk", async () => {
  // a = [2, −1], W = [[1, −2], [3, −1]]: contributions [[2, −4], [−3, 1]], z⁺ = [2, 1].
  const op: LinearOp = { kind: "dense", kernel: tf.tensor2d([[1, -2], [3, -1]]), bias: null };
  const a = tf.tensor2d([[2, -1]]);
  const r = tf.tensor2d([[1, 2]]);
  const out = zPlusRule().propagate(op, a, r);
  assertClose(await read(out), [1, 2], 1e-5, "z+");
  tf.dispose([op.kernel, a, r, out]);
});

Deno.test("z⁺ and α–β skip negative-input terms only when told the input is ≥ 0", async () => {
  const op: LinearOp = {
    kind: "conv",
    kernel: tf.randomNormal([3, 3, 2, 3], 0, 1, "float32", 1),
    bias: null,
    strides: [1, 1],
    padding: "same",
  };
  const a = tf.randomUniform([2, 5, 5, 2], 0, 1, "float32", 2);
  const r = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 3);
  for (const rule of [zPlusRule(), alphaBetaRule()]) {
    const full = rule.propagate(op, a, r);
    const fast = rule.propagate(op, a, r, { nonNegative: true });
    assertClose(await read(full), await read(fast), 1e-5, rule.name);
    tf.dispose([full, fast]);
  }
  tf.dispose([op.kernel, a, r]);
});

Deno.test("α–β with α = 1, β = 0 equals z⁺ (conv layer, mixed-sign input)", async () => {
  const op: LinearOp = {
    kind: "conv",
    kernel: tf.randomNormal([3, 3, 2, 4], 0, 1, "float32", 4),
    bias: tf.randomNormal([4], 0, 1, "float32", 5),
    strides: [2, 2],
    padding: "same",
  };
  const a = tf.randomNormal([2, 7, 7, 2], 0, 1, "float32", 6);
  const r = tf.randomUniform([2, 4, 4, 4], 0, 1, "float32", 7);
  const ab = getRule("alphaBeta", { alpha: 1, beta: 0 }).propagate(op, a, r);
  const zp = getRule("zPlus").propagate(op, a, r);
  assertClose(await read(ab), await read(zp), 1e-6, "α1β0 vs z+");
  tf.dispose([op.kernel, op.bias!, a, r, ab, zp]);
});

Deno.test("the VJP of every linear op equals autodiff of its forward (any stride/padding)", async () => {
  const cases: { op: LinearOp; x: number[] }[] = [
    {
      op: { kind: "dense", kernel: tf.randomNormal([6, 4], 0, 1, "float32", 1), bias: null },
      x: [3, 6],
    },
    ...(["same", "valid"] as const).flatMap((padding) =>
      [1, 2].flatMap((s) => [
        {
          op: {
            kind: "conv" as const,
            kernel: tf.randomNormal([3, 3, 2, 3], 0, 1, "float32", 2),
            bias: null,
            strides: [s, s] as [number, number],
            padding,
          },
          x: [2, 7, 6, 2],
        },
        {
          op: {
            kind: "depthwise" as const,
            kernel: tf.randomNormal([3, 3, 2, 2], 0, 1, "float32", 3),
            bias: null,
            strides: [s, s] as [number, number],
            padding,
          },
          x: [2, 7, 6, 2],
        },
      ])
    ),
    { op: { kind: "scale", kernel: tf.tensor1d([2, -1]), bias: null }, x: [1, 3, 3, 2] },
  ];
  for (const { op, x: shape } of cases) {
    const x = tf.randomUniform(shape, -1, 1, "float32", 9);
    const z = linearForward(op, x);
    const s = tf.randomNormal(z.shape, 0, 1, "float32", 10);
    const ours = linearBackward(op, s, { inputShape: x.shape });
    const auto = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(linearForward(op, v), s)))(x);
    assertClose(await read(ours), await read(auto), 1e-4, `${op.kind} ${JSON.stringify(op)}`);
    tf.dispose([x, z, s, ours, auto, op.kernel]);
  }
});

Deno.test("LRP-0 gives 0, not NaN, where z = 0; ε keeps the sign of z", async () => {
  const r = tf.tensor1d([1, 1, 1]);
  const z = tf.tensor1d([0, -2, 2]);
  const s0 = stabilizedDivide(r, z);
  const s1 = stabilizedDivide(r, z, { epsilon: 1 });
  assert.deepEqual(await read(s0), [0, -0.5, 0.5]);
  assertClose(await read(s1), [1, -1 / 3, 1 / 3], 1e-7);
  tf.dispose([r, z, s0, s1]);
});

Deno.test("rule registry: names, objects, unknown names and bad parameters", () => {
  assert.deepEqual(Object.keys(LRP_RULES).sort(), [
    "alphaBeta",
    "epsilon",
    "flat",
    "gamma",
    "wSquare",
    "zB",
    "zPlus",
    "zero",
  ]);
  const custom = zPlusRule();
  assert.equal(getRule(custom), custom);
  assert.equal(getRule("epsilon").params.epsilon, 1e-6);
  assert.equal(getRule("gamma").params.gamma, 0.25);
  assert.deepEqual(
    [getRule("alphaBeta").params.alpha, getRule("alphaBeta").params.beta],
    [2, 1],
  );
  assert.throws(
    () => getRule("lrp0" as RuleName),
    (e: Error) => e instanceof TypeError && /"lrp0"/.test(e.message) && /zPlus/.test(e.message),
  );
  assert.throws(() => getRule("epsilon", { epsilon: -1 }), RangeError);
  assert.throws(() => getRule("zB", { low: 1, high: 0 }), /low < high/);
});
