/**
 * Name patterns of the hub's rules: `*` matches any run of characters (dots included), every
 * other character matches itself. `"math.*"` matches `math.add` and `math.trig.sin`; `"*"`
 * matches every name.
 *
 * @module
 */

/**
 * Compile a pattern into a predicate.
 *
 * @param pattern The pattern, e.g. `"math.*"`.
 * @returns A function telling whether a name matches.
 * @example
 * ```ts
 * import { compilePattern } from "./patterns.ts";
 * const matches = compilePattern("math.*");
 * if (!matches("math.add") || matches("mathadd")) throw new Error("unreachable");
 * ```
 */
export function compilePattern(pattern: string): (name: string) => boolean {
  if (typeof pattern !== "string") {
    throw new TypeError(`Switchboard hub: a pattern must be a string: got ${typeof pattern}`);
  }
  if (pattern === "*") return () => true;
  if (!pattern.includes("*")) return (name) => name === pattern;
  const source = pattern.split("*").map(escape).join(".*");
  const regex = new RegExp(`^${source}$`, "s");
  return (name) => regex.test(name);
}

/**
 * Whether some name matches both patterns (each `*` standing for any run of characters).
 *
 * @param a A pattern.
 * @param b Another pattern.
 * @returns True if they overlap.
 * @example
 * ```ts
 * import { patternsOverlap } from "./patterns.ts";
 * if (!patternsOverlap("secret.*", "*.passwords")) throw new Error("secret.passwords");
 * if (patternsOverlap("secret.*", "chat.*")) throw new Error("unreachable");
 * ```
 */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.replace(/\*+/g, "*");
  const y = b.replace(/\*+/g, "*");
  // seen[i * (y.length + 1) + j]: the suffixes x[i..] and y[j..] were already explored.
  const seen = new Uint8Array((x.length + 1) * (y.length + 1));
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const key = i * (y.length + 1) + j;
    if (seen[key] === 1) continue;
    seen[key] = 1;
    if (i === x.length && j === y.length) return true;
    if (x[i] === "*") {
      stack.push([i + 1, j]);
      if (j < y.length) stack.push([i, j + 1]);
    }
    if (y[j] === "*") {
      stack.push([i, j + 1]);
      if (i < x.length) stack.push([i + 1, j]);
    }
    if (i < x.length && j < y.length && x[i] === y[j] && x[i] !== "*") stack.push([i + 1, j + 1]);
  }
  return false;
}

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
