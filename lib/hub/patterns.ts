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

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
