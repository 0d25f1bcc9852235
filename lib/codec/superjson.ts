/**
 * The superjson codec: Date, Map, Set, BigInt, RegExp, undefined, URL, NaN/±Infinity/-0 and
 * Error survive a round trip, negotiated per connection with `rpc.hello`.
 *
 * Wire form: an ordinary JSON-RPC 2.0 message whose payload (`params`, `result` or
 * `error.data`) is superjson's `json` part, plus one extra member `"superjson"` holding the
 * `meta.values` annotation tree of each payload that needed one, keyed `params`, `result` or
 * `data`. A message without rich values has no extra member and is byte-for-byte plain JSON
 * (the fast path: one cheap scan, then `JSON.stringify`).
 *
 * Incoming metadata is untrusted. Before superjson sees it, the codec checks it against an
 * allow-list of annotation types (no `class`, `custom`, `symbol` or `typed-array`: nothing is
 * instantiated from the wire but the built-in types above), refuses path segments
 * `__proto__`, `prototype` and `constructor`, bounds the nesting depth of payload and
 * metadata, and ignores referential-equality annotations (so the wire cannot build cycles).
 *
 * The superjson package is loaded by a dynamic import awaited at the top level, so that a
 * host that cannot resolve it still loads this module (and `mod.ts`, which exports it): Deno
 * importing `mod.ts` by a raw URL with no import map entry for `superjson`. There the codec
 * throws a `TypeError` saying so when used; JSON, the default codec, works.
 *
 * @module
 */

import type { Codec } from "./codec.ts";
import { frameText } from "./json.ts";
import { isPlainJson } from "./plain_json.ts";

/**
 * Options of {@linkcode createSuperjsonCodec}.
 *
 * @example Types only
 * ```ts
 * import type { SuperjsonCodecOptions } from "./superjson.ts";
 * const options: SuperjsonCodecOptions = { maxDepth: 32 };
 * if (options.maxDepth !== 32) throw new Error("unreachable");
 * ```
 */
export interface SuperjsonCodecOptions {
  /** Deepest nesting of a payload or of its annotations, both ways. Default 64. */
  readonly maxDepth?: number;
}

/** The annotation types accepted from the wire: built-ins only, nothing registered. */
const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  "undefined",
  "bigint",
  "Date",
  "regexp",
  "set",
  "map",
  "number",
  "URL",
  "Error",
]);

const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);

/** The part of a `SuperJSON` instance this codec uses (typed here: no type import of it). */
interface SuperJsonInstance {
  serialize(value: never): { json: unknown; meta?: { values?: unknown } };
  deserialize(payload: { json: never; meta: { values: never; v: number } }): unknown;
}

/** superjson's class, or why it could not be loaded. */
const SUPERJSON: (new () => SuperJsonInstance) | Error = await import("superjson").then(
  (module) => module.SuperJSON as unknown as new () => SuperJsonInstance,
  (error: unknown) =>
    new Error(
      "Switchboard: the superjson codec needs the superjson package, which this host cannot " +
        'resolve: map "superjson" to "npm:superjson@^2.2.6" in your import map, or import ' +
        "the served client.js, which inlines it",
      { cause: error },
    ),
);

/** Where each payload lives in a message, and its key in the `superjson` member. */
type Slot = "params" | "result" | "data";

/**
 * Make a superjson codec.
 *
 * @param options Depth limit.
 * @returns The codec, named `"superjson"`.
 * @throws {RangeError} If `maxDepth` is not a positive integer.
 * @example Dates and Maps survive
 * ```ts
 * import { createSuperjsonCodec } from "./superjson.ts";
 * const codec = createSuperjsonCodec({ maxDepth: 16 });
 * const when = new Date(0);
 * const text = codec.encode({ jsonrpc: "2.0", id: 1, result: { when, m: new Map([[1, 2]]) } });
 * const back = codec.decode(text) as { result: { when: Date; m: Map<number, number> } };
 * if (back.result.when.getTime() !== 0 || back.result.m.get(1) !== 2) throw new Error();
 * ```
 */
export function createSuperjsonCodec(options: SuperjsonCodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? 64;
  if (!Number.isSafeInteger(maxDepth) || maxDepth <= 0) {
    throw new RangeError(`Switchboard: maxDepth must be a positive integer: got ${maxDepth}`);
  }
  // A private instance: classes, symbols and custom transformers registered on superjson's
  // default instance by application code are never reachable from the wire.
  const instance = SUPERJSON instanceof Error ? undefined : new SUPERJSON();
  const loaded = (): SuperJsonInstance => {
    if (instance !== undefined) return instance;
    throw new TypeError((SUPERJSON as Error).message, { cause: SUPERJSON });
  };
  return Object.freeze({
    name: "superjson",
    encode(message: unknown): string {
      const sj = loaded();
      if (Array.isArray(message)) {
        return `[${message.map((m) => encodeOne(sj, m, maxDepth)).join(",")}]`;
      }
      return encodeOne(sj, message, maxDepth);
    },
    decode(frame: string | Uint8Array): unknown {
      const sj = loaded();
      const value: unknown = JSON.parse(frameText(frame));
      if (Array.isArray(value)) return value.map((m) => decodeOne(sj, m, maxDepth));
      return decodeOne(sj, value, maxDepth);
    },
  });
}

/**
 * The superjson codec with default options (depth 64).
 *
 * @example
 * ```ts
 * import { superjsonCodec } from "./superjson.ts";
 * const text = superjsonCodec.encode({ jsonrpc: "2.0", id: 1, result: 10n }) as string;
 * if ((superjsonCodec.decode(text) as { result: bigint }).result !== 10n) throw new Error();
 * if (superjsonCodec.encode({ jsonrpc: "2.0", id: 1, result: 1 }) !== '{"jsonrpc":"2.0","id":1,"result":1}') {
 *   throw new Error("the fast path is plain JSON");
 * }
 * ```
 */
export const superjsonCodec: Codec = createSuperjsonCodec();

function slotOf(message: Record<string, unknown>): Slot | undefined {
  if ("method" in message) return "params";
  if ("result" in message) return "result";
  if ("error" in message) return "data";
  return undefined;
}

function encodeOne(sj: SuperJsonInstance, message: unknown, maxDepth: number): string {
  if (typeof message !== "object" || message === null) return JSON.stringify(message);
  const msg = message as Record<string, unknown>;
  const slot = slotOf(msg);
  if (slot === undefined) return JSON.stringify(msg);
  const holder = slot === "data" ? msg.error as Record<string, unknown> | undefined : msg;
  if (typeof holder !== "object" || holder === null || !(slot in holder)) {
    return JSON.stringify(msg);
  }
  const payload = holder[slot];
  if (isPlainJson(payload, maxDepth)) return JSON.stringify(msg);
  const { json, meta } = sj.serialize(payload as never);
  const out: Record<string, unknown> = slot === "data"
    ? { ...msg, error: { ...holder, data: json } }
    : { ...msg, [slot]: json };
  if (meta?.values !== undefined) out.superjson = { [slot]: meta.values };
  return JSON.stringify(out);
}

function decodeOne(sj: SuperJsonInstance, value: unknown, maxDepth: number): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const msg = value as Record<string, unknown>;
  if (!Object.hasOwn(msg, "superjson")) return msg;
  const annotations = msg.superjson;
  const { superjson: _, ...rest } = msg;
  if (typeof annotations !== "object" || annotations === null || Array.isArray(annotations)) {
    throw new SyntaxError("Switchboard: superjson member must be an object");
  }
  const slot = slotOf(rest);
  for (const key of Object.keys(annotations)) {
    if (key !== slot) throw new SyntaxError(`Switchboard: superjson annotation for ${key}`);
  }
  if (slot === undefined || !Object.hasOwn(annotations, slot)) return rest;
  const tree = (annotations as Record<string, unknown>)[slot];
  checkTree(tree, maxDepth);
  const holder = slot === "data" ? rest.error : rest;
  if (typeof holder !== "object" || holder === null) {
    throw new SyntaxError("Switchboard: superjson annotation without a payload");
  }
  const json = (holder as Record<string, unknown>)[slot];
  checkDepth(json, maxDepth);
  let payload: unknown;
  try {
    payload = sj.deserialize({ json: json as never, meta: { values: tree as never, v: 1 } });
  } catch (error) {
    throw new SyntaxError("Switchboard: invalid superjson annotations", { cause: error });
  }
  if (slot === "data") return { ...rest, error: { ...holder, data: payload } };
  return { ...rest, [slot]: payload };
}

/** Check an annotation tree: allowed types, safe path segments, bounded depth. */
function checkTree(tree: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[tree, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) throw new SyntaxError("Switchboard: superjson annotations too deep");
    if (Array.isArray(node)) {
      const [type, children] = node as unknown[];
      if (node.length > 2 || typeof type !== "string" || !ALLOWED_TYPES.has(type)) {
        throw new SyntaxError(`Switchboard: superjson annotation not allowed: ${String(type)}`);
      }
      if (children !== undefined) stack.push([children, depth + 1]);
      continue;
    }
    if (typeof node !== "object" || node === null) {
      throw new SyntaxError("Switchboard: malformed superjson annotations");
    }
    for (const [key, child] of Object.entries(node)) {
      for (const segment of key.split(".")) {
        if (FORBIDDEN_SEGMENTS.has(segment.replaceAll("\\", ""))) {
          throw new SyntaxError(`Switchboard: superjson path segment not allowed: ${segment}`);
        }
      }
      stack.push([child, depth + 1]);
    }
  }
}

/** Bound the nesting of a decoded payload before superjson walks it recursively. */
function checkDepth(value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= maxDepth) throw new SyntaxError("Switchboard: superjson payload too deep");
    for (const child of Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
}
