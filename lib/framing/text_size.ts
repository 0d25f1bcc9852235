/**
 * The size of a text frame in bytes (UTF-8, as it crossed the wire), measured only where it
 * matters: a JavaScript string's `length` counts UTF-16 code units, and a code unit takes 1 to
 * 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4). So a text of `length` L holds between
 * L and 3L bytes: above the limit when L is, within it when 3L is, and counted otherwise.
 *
 * @module
 */

/**
 * Whether a text frame holds more than `max` bytes of UTF-8.
 *
 * @param text The frame.
 * @param max The limit in bytes.
 * @returns True when its UTF-8 encoding is longer than `max` bytes.
 * @example Two-byte characters count twice
 * ```ts
 * import { textOverLimit } from "./text_size.ts";
 * if (textOverLimit("éé", 4) || !textOverLimit("éé", 3)) throw new Error("unreachable");
 * ```
 */
export function textOverLimit(text: string, max: number): boolean {
  const units = text.length;
  if (units > max) return true;
  if (units * 3 <= max) return false;
  return utf8Length(text, max) > max;
}

/** Code units encoded per step: a step's bytes fit the scratch buffer (at most 3 per unit). */
const STEP = 16_384;
const encoder = new TextEncoder();
let scratch: Uint8Array | undefined;

/**
 * The UTF-8 length of a text, counting no further than just past `stopAfter` bytes. The
 * runtime's encoder counts (`encodeInto`, into one 48 KiB buffer shared by every connection,
 * step by step), which is far faster than a JavaScript loop over code units.
 *
 * @param text The text (a lone surrogate counts 3 bytes: it is encoded as U+FFFD).
 * @param stopAfter Stop counting once the count passes this. Default: count it all.
 * @returns The byte length, or a number past `stopAfter` when it is longer.
 * @example
 * ```ts
 * import { utf8Length } from "./text_size.ts";
 * if (utf8Length("a€😀") !== 1 + 3 + 4) throw new Error("unreachable");
 * ```
 */
export function utf8Length(text: string, stopAfter = Infinity): number {
  scratch ??= new Uint8Array(STEP * 3);
  const units = text.length;
  let bytes = 0;
  for (let start = 0; start < units && bytes <= stopAfter;) {
    let end = Math.min(units, start + STEP);
    // Never split a surrogate pair: its halves would count 3 + 3 bytes instead of 4.
    const last = text.charCodeAt(end - 1);
    if (end < units && last >= 0xd800 && last < 0xdc00) end--;
    bytes += encoder.encodeInto(text.substring(start, end), scratch).written;
    start = end;
  }
  return bytes;
}
