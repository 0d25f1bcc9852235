/**
 * The library's version, reported by `rpc.hello`. Kept equal to deno.json's `version`
 * (a test checks it).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * if (!/^\d+\.\d+\.\d+/.test(VERSION)) throw new Error("unreachable");
 * ```
 *
 * @module
 */

/** The library's semantic version. */
export const VERSION: string = "0.1.0";
