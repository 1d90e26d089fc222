import assert from "node:assert/strict";
import { useBackend } from "../../engine/backend.ts";
import { tf } from "../../engine/deps.ts";
import { canonize, disposeCanonical } from "../../engine/lrp/canonize.ts";
import {
  type AssignOptions,
  assignRules,
  COMPOSITES,
  type CompositeSpec,
  getComposite,
} from "../../engine/lrp/composites.ts";
import { flatRule } from "../../engine/lrp/rules.ts";
import { wrapModel } from "../../engine/net/net.ts";
import { concatNet, mobilenetLike, vggLike } from "../_nets.ts";

await useBackend((Deno.env.get("NL_TEST_BACKEND") ?? "wasm") as "wasm", { quiet: true });

/** The rule names each linear step gets (ops joined by "+"), checking for leaks. */
function rulesOf(
  build: () => Parameters<typeof wrapModel>[0],
  composite: CompositeSpec,
  options: AssignOptions = {},
): Record<string, string> {
  const model = build();
  const net = wrapModel(model);
  const before = tf.memory().numTensors;
  const c = canonize(net);
  try {
    const rules = assignRules(net, c, { ...options, composite });
    return Object.fromEntries([...rules].map(([k, v]) => [k, v.map((r) => r.name).join("+")]));
  } finally {
    disposeCanonical(c);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  }
}

Deno.test("presets assign rules by layer kind; z^B only at the layers reading the pixels", () => {
  assert.deepEqual(rulesOf(vggLike, "epsilon"), {
    conv1: "epsilon",
    conv2: "epsilon",
    fc: "epsilon",
    out: "epsilon",
  });
  assert.deepEqual(rulesOf(vggLike, "epsilonPlus"), {
    conv1: "zB",
    conv2: "zPlus",
    fc: "epsilon",
    out: "epsilon",
  });
  assert.deepEqual(rulesOf(vggLike, "epsilonAlphaBeta").conv2, "alphaBeta");
  assert.deepEqual(rulesOf(vggLike, "epsilonGamma").conv2, "gamma");
  assert.deepEqual(rulesOf(vggLike, "epsilonPlusFlat").conv1, "flat");
  // Both branches of the concat net read the pixels.
  const cat = rulesOf(concatNet, "epsilonPlus");
  assert.deepEqual([cat.branch_a, cat.branch_b, cat.merge_conv], ["zB", "zB", "zPlus"]);
  // A separable conv has two ops; BatchNorms are folded, so they get no rule.
  const mob = rulesOf(mobilenetLike, "epsilonGamma");
  assert.equal(mob.sep1, "gamma+gamma");
  assert.equal(mob.conv1, "zB");
  assert.ok(!("bn1" in mob));
});

Deno.test("inputRule, user maps and rule parameters override the preset", () => {
  const r = rulesOf(vggLike, "epsilon", {
    inputRule: "zB",
    rules: { fc: "zPlus", out: flatRule() },
    params: { low: -1, high: 1 },
  });
  assert.deepEqual(r, { conv1: "zB", conv2: "epsilon", fc: "zPlus", out: "flat" });
  assert.throws(() => rulesOf(vggLike, "epsilon", { rules: { nope: "epsilon" } }), RangeError);
  assert.throws(
    () => rulesOf(mobilenetLike, "epsilon", { rules: { bn1: "epsilon" } }),
    (e: Error) => e instanceof TypeError && /folded into "conv1"/.test(e.message),
  );
});

Deno.test("composite registry: presets by name, objects pass, unknown names list the known ones", () => {
  assert.equal(getComposite("zPlus"), COMPOSITES.zPlus);
  const custom = { name: "mine", conv: "gamma" as const, dense: "zero" as const };
  assert.equal(getComposite(custom), custom);
  assert.throws(
    () => getComposite("plus" as "zPlus"),
    (e: Error) =>
      e instanceof TypeError && /"plus"/.test(e.message) && /epsilonGamma/.test(e.message),
  );
});
