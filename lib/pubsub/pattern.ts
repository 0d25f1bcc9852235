/**
 * Topic patterns: `*` matches exactly one segment, a final `**` matches one or more.
 * Compiled once into segments; matching walks both names once, allocating nothing.
 *
 * @module
 */

/**
 * A compiled pattern.
 *
 * @example
 * ```ts
 * import { Pattern } from "./pattern.ts";
 * const p = new Pattern("ticker.*");
 * if (!p.matches("ticker.ACME") || p.matches("ticker.ACME.eu")) throw new Error("unreachable");
 * if (!new Pattern("chat.**").matches("chat.room.1")) throw new Error("unreachable");
 * ```
 */
export class Pattern {
  /** The pattern as written. */
  readonly source: string;
  readonly #segments: readonly string[];
  readonly #tail: boolean;

  /** @param source A pattern already checked by `validateTopic(…, true)`. */
  constructor(source: string) {
    this.source = source;
    const segments = source.split(".");
    this.#tail = segments[segments.length - 1] === "**";
    this.#segments = this.#tail ? segments.slice(0, -1) : segments;
  }

  /**
   * Whether a topic name matches.
   *
   * @param topic An exact topic name.
   * @returns True on a match.
   * @example
   * ```ts
   * import { Pattern } from "./pattern.ts";
   * if (new Pattern("a.**").matches("a")) throw new Error("** needs at least one segment");
   * ```
   */
  matches(topic: string): boolean {
    const segments = this.#segments;
    let start = 0;
    for (let i = 0; i < segments.length; i++) {
      if (start > topic.length) return false;
      let end = topic.indexOf(".", start);
      if (end === -1) end = topic.length;
      const want = segments[i]!;
      if (want !== "*") {
        if (end - start !== want.length || !topic.startsWith(want, start)) return false;
      } else if (end === start) {
        return false;
      }
      start = end + 1;
    }
    // All pattern segments consumed: `start` is past the end iff the topic ended there.
    return this.#tail ? start < topic.length : start === topic.length + 1;
  }
}
