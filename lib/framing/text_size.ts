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

/**
 * The UTF-8 length of a text, counting no further than just past `stopAfter` bytes.
 *
 * @param text The text (a lone surrogate counts 3 bytes: it is encoded as U+FFFD).
 * @param stopAfter Stop counting once the count passes this. Default: count it all.
 * @returns The byte length, or a number just past `stopAfter` when it is longer.
 * @example
 * ```ts
 * import { utf8Length } from "./text_size.ts";
 * if (utf8Length("a€😀") !== 1 + 3 + 4) throw new Error("unreachable");
 * ```
 */
export function utf8Length(text: string, stopAfter = Infinity): number {
  let bytes = 0;
  const units = text.length;
  for (let i = 0; i < units && bytes <= stopAfter; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < units) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}
