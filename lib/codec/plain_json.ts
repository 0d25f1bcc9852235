/**
 * Whether a value survives plain JSON unchanged, so that a codec can skip superjson's walk.
 *
 * @module
 */

/**
 * True when `JSON.stringify` alone round-trips the value: strings, booleans, finite numbers other
 * than -0, null, arrays and plain objects of those. Used to skip superjson's walk.
 *
 * @param value The value.
 * @param maxDepth The deepest nesting allowed.
 * @param depth The value's own depth (0 at the top).
 * @returns Whether plain JSON carries it unchanged.
 * @throws {RangeError} When it nests deeper than `maxDepth`.
 * @example
 * ```ts
 * import { isPlainJson } from "./plain_json.ts";
 * if (!isPlainJson({ a: [1, "two", null] }, 8)) throw new Error("unreachable");
 * if (isPlainJson({ when: new Date(0) }, 8) || isPlainJson(-0, 8)) throw new Error("unreachable");
 * ```
 */
export function isPlainJson(value: unknown, maxDepth: number, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= maxDepth) {
        throw new RangeError(`Switchboard: payload nested deeper than ${maxDepth}`);
      }
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!isPlainJson(value[i], maxDepth, depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!isPlainJson((value as Record<string, unknown>)[key], maxDepth, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}
