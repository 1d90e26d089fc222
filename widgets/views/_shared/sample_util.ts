/**
 * Helpers for the views' sample states (tests, screenshots, the XSS check).
 *
 * @module
 */

/** A label that would run code if a view ever parsed user text as HTML. */
export const XSS_LABEL = `<img src=x onerror="globalThis.__xss=1">`;

/** A tiny seeded generator (mulberry32) so samples need no engine import. */
export function createRngLite(seed: number): { next(): number; normal(): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(next(), 1e-12), v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return { next, normal };
}
