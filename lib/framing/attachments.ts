/**
 * Finding binary values inside a message and putting them back.
 *
 * {@linkcode extractAttachments} walks plain objects and arrays, replaces each `Uint8Array`,
 * other typed array, `DataView`, `ArrayBuffer` or `Blob` by `null` (copying only the
 * containers on the way, never the caller's objects or bytes) and lists where each was.
 * {@linkcode insertAttachments} checks such a list from the wire and puts same-typed values
 * back in the same places.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_codes.ts";
import { FrameError } from "./frame.ts";

/** The attachment types on the wire. */
const TYPED_ARRAYS: Readonly<Record<string, { readonly BYTES_PER_ELEMENT: number }>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);

/** One path segment: an object key or an array index. */
export type PathSegment = string | number;

/**
 * One attachment found in an outgoing message.
 *
 * @example Types only
 * ```ts
 * import type { OutgoingAttachment } from "./attachments.ts";
 * const a: OutgoingAttachment = { path: ["params", 0], type: "Uint8Array", size: 1, value: new Uint8Array(1) };
 * if (a.size !== 1) throw new Error("unreachable");
 * ```
 */
export interface OutgoingAttachment {
  /** Where it sits, from the message (or batch) root. */
  readonly path: readonly PathSegment[];
  /** `Uint8Array`, another typed array name, `DataView`, `ArrayBuffer` or `Blob`. */
  readonly type: string;
  /** Its length in bytes. */
  readonly size: number;
  /** The bytes as a view (no copy), or the Blob to read. */
  readonly value: Uint8Array | Blob;
  /** A Blob's MIME type, when not empty. */
  readonly mime?: string;
}

/**
 * One entry of the attachment table read from the wire.
 *
 * @example Types only
 * ```ts
 * import type { TableEntry } from "./attachments.ts";
 * const entry: TableEntry = { path: ["result"], type: "ArrayBuffer", size: 0 };
 * if (entry.type !== "ArrayBuffer") throw new Error("unreachable");
 * ```
 */
export interface TableEntry {
  /** Where it goes. */
  readonly path: readonly PathSegment[];
  /** Which type to rebuild. */
  readonly type: string;
  /** Its length in bytes. */
  readonly size: number;
  /** A Blob's MIME type. */
  readonly mime?: string;
}

/**
 * Whether a message (or batch) carries binary values where attachments may sit: its
 * `params`, `result` or `error.data`. Cheap and allocation-free: the send path asks this of
 * every message and only extracts when it answers true.
 *
 * @param message A JSON-RPC message or batch.
 * @param maxDepth Deepest container searched.
 * @returns True if a typed array, DataView, ArrayBuffer or Blob is found.
 * @example
 * ```ts
 * import { hasAttachments } from "./attachments.ts";
 * if (hasAttachments({ jsonrpc: "2.0", id: 1, result: [1, 2] }, 64)) throw new Error();
 * if (!hasAttachments({ jsonrpc: "2.0", method: "m", params: [new Uint8Array(1)] }, 64)) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function hasAttachments(message: unknown, maxDepth: number): boolean {
  if (Array.isArray(message)) {
    for (const item of message) if (hasAttachments(item, maxDepth)) return true;
    return false;
  }
  if (typeof message !== "object" || message === null) return false;
  const m = message as { params?: unknown; result?: unknown; error?: { data?: unknown } };
  const payload = m.params !== undefined
    ? m.params
    : m.result !== undefined
    ? m.result
    : m.error?.data;
  return typeof payload === "object" && payload !== null && containsBinary(payload, maxDepth - 1);
}

function containsBinary(value: object, depth: number): boolean {
  // Arrays and plain objects, the usual payloads, are never binary themselves: test them first
  // and spare them the three prototype walks of the binary checks below.
  if (Array.isArray(value)) {
    if (depth <= 0) return false;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && containsBinary(item, depth - 1)) {
        return true;
      }
    }
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    // Not a plain object: binary, or a class instance (walked no further).
    return ArrayBuffer.isView(value) || value instanceof ArrayBuffer ||
      (typeof Blob === "function" && value instanceof Blob);
  }
  if (depth <= 0) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null && containsBinary(item, depth - 1)) {
      return true;
    }
  }
  return false;
}

/**
 * Replace every binary value in a message by `null` and list them.
 *
 * @param message A message or batch.
 * @param maxDepth Deepest container walked; deeper values are left alone.
 * @returns The message with placeholders (the same object when nothing was found) and the
 * attachments in walk order.
 * @example
 * ```ts
 * import { extractAttachments } from "./attachments.ts";
 * const bytes = new Uint8Array([1, 2, 3]);
 * const { message, attachments } = extractAttachments({ params: [{ img: bytes }] }, 64);
 * if (attachments[0]!.path.join(".") !== "params.0.img") throw new Error();
 * if ((message as { params: [{ img: unknown }] }).params[0].img !== null) throw new Error();
 * ```
 */
export function extractAttachments(
  message: unknown,
  maxDepth: number,
): { message: unknown; attachments: OutgoingAttachment[] } {
  const attachments: OutgoingAttachment[] = [];
  const out = walk(message, [], attachments, maxDepth);
  return { message: out, attachments };
}

function walk(
  value: unknown,
  path: PathSegment[],
  found: OutgoingAttachment[],
  maxDepth: number,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  const binary = asAttachment(value, path);
  if (binary !== undefined) {
    found.push(binary);
    return null;
  }
  if (path.length >= maxDepth) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== "object" || item === null) continue;
      path.push(i);
      const next = walk(item, path, found, maxDepth);
      path.pop();
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== "object" || item === null) continue;
    path.push(key);
    const next = walk(item, path, found, maxDepth);
    path.pop();
    if (next !== item) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

function asAttachment(value: object, path: PathSegment[]): OutgoingAttachment | undefined {
  if (value instanceof ArrayBuffer) {
    return {
      path: [...path],
      type: "ArrayBuffer",
      size: value.byteLength,
      value: new Uint8Array(value),
    };
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    const type = tag === "DataView" || tag in TYPED_ARRAYS ? tag : "Uint8Array";
    return { path: [...path], type, size: value.byteLength, value: bytes };
  }
  if (typeof Blob === "function" && value instanceof Blob) {
    const base = { path: [...path], type: "Blob", size: value.size, value };
    return value.type === "" ? base : { ...base, mime: value.type };
  }
  return undefined;
}

/**
 * Encode an attachment table as UTF-8 JSON.
 *
 * @param attachments The attachments.
 * @returns The table bytes.
 * @example
 * ```ts
 * import { encodeTable } from "./attachments.ts";
 * const bytes = encodeTable([{ path: ["result"], type: "Uint8Array", size: 2, value: new Uint8Array(2) }]);
 * if (!new TextDecoder().decode(bytes).includes('"size":2')) throw new Error("unreachable");
 * ```
 */
export function encodeTable(attachments: readonly OutgoingAttachment[]): Uint8Array {
  const entries = attachments.map(({ path, type, size, mime }) =>
    mime === undefined ? { path, type, size } : { path, type, size, mime }
  );
  return new TextEncoder().encode(JSON.stringify(entries));
}

/**
 * Parse and check an attachment table from the wire, before any attachment memory exists.
 *
 * @param bytes The table section.
 * @param limits Most attachments, most bytes in total, deepest path.
 * @returns The entries and their total size.
 * @throws {FrameError} 1007 for a malformed table, 1009 past a limit.
 * @example
 * ```ts
 * import { parseTable } from "./attachments.ts";
 * const bytes = new TextEncoder().encode('[{"path":["params",0],"type":"Blob","size":3}]');
 * const { total } = parseTable(bytes, { maxAttachments: 4, maxAttachmentBytes: 10, maxDepth: 8 });
 * if (total !== 3) throw new Error("unreachable");
 * ```
 */
export function parseTable(
  bytes: Uint8Array,
  limits: { maxAttachments: number; maxAttachmentBytes: number; maxDepth: number },
): { entries: TableEntry[]; total: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment table is not valid JSON");
  }
  if (!Array.isArray(raw)) {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment table must be an array");
  }
  if (raw.length > limits.maxAttachments) {
    throw new FrameError(CloseCode.MessageTooBig, `More than ${limits.maxAttachments} attachments`);
  }
  let total = 0;
  const entries: TableEntry[] = [];
  for (const item of raw) {
    const entry = checkEntry(item, limits.maxDepth);
    total += entry.size;
    if (total > limits.maxAttachmentBytes) {
      throw new FrameError(
        CloseCode.MessageTooBig,
        `Attachments exceed ${limits.maxAttachmentBytes} bytes`,
      );
    }
    entries.push(entry);
  }
  return { entries, total };
}

function checkEntry(item: unknown, maxDepth: number): TableEntry {
  if (typeof item !== "object" || item === null) {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment table entry must be an object");
  }
  const { path, type, size, mime } = item as Record<string, unknown>;
  if (!Array.isArray(path) || path.length === 0 || path.length > maxDepth + 1) {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment path must be a non-empty array");
  }
  for (const segment of path) {
    const ok = typeof segment === "string"
      ? !FORBIDDEN_KEYS.has(segment)
      : Number.isSafeInteger(segment) && (segment as number) >= 0;
    if (!ok) throw new FrameError(CloseCode.InvalidPayload, "Attachment path segment not allowed");
  }
  if (typeof type !== "string" || !isKnownType(type)) {
    throw new FrameError(CloseCode.InvalidPayload, "Unknown attachment type");
  }
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw new FrameError(
      CloseCode.InvalidPayload,
      "Attachment size must be a non-negative integer",
    );
  }
  const width = TYPED_ARRAYS[type]?.BYTES_PER_ELEMENT ?? 1;
  if ((size as number) % width !== 0) {
    throw new FrameError(
      CloseCode.InvalidPayload,
      `Attachment size is not a multiple of ${width} for ${type}`,
    );
  }
  if (mime !== undefined && (typeof mime !== "string" || mime.length > 255)) {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment mime must be a short string");
  }
  const entry = { path: path as PathSegment[], type, size: size as number };
  return mime === undefined ? entry : { ...entry, mime: mime as string };
}

function isKnownType(type: string): boolean {
  return type === "ArrayBuffer" || type === "DataView" || type === "Blob" ||
    Object.hasOwn(TYPED_ARRAYS, type);
}

/**
 * Put attachments back at their paths, as their original types. Each path must lead,
 * through existing own properties, to a `null` placeholder.
 *
 * @param message The decoded message with placeholders (modified in place).
 * @param entries The checked table.
 * @param data One exactly-sized `Uint8Array` per entry, each owning its whole buffer.
 * @returns The message.
 * @throws {FrameError} 1007 when a path does not lead to a placeholder.
 * @example
 * ```ts
 * import { insertAttachments } from "./attachments.ts";
 * const msg = { result: { file: null } };
 * insertAttachments(msg, [{ path: ["result", "file"], type: "ArrayBuffer", size: 1 }], [new Uint8Array(1)]);
 * if (!(msg.result.file as unknown instanceof ArrayBuffer)) throw new Error("unreachable");
 * ```
 */
export function insertAttachments(
  message: unknown,
  entries: readonly TableEntry[],
  data: readonly Uint8Array[],
): unknown {
  entries.forEach((entry, index) => {
    const { path } = entry;
    let holder: unknown = message;
    for (let i = 0; i < path.length - 1; i++) {
      holder = childOf(holder, path[i]!);
    }
    const last = path[path.length - 1]!;
    if (childOf(holder, last) !== null) {
      throw new FrameError(
        CloseCode.InvalidPayload,
        "Attachment path does not lead to a placeholder",
      );
    }
    (holder as Record<PathSegment, unknown>)[last] = materialize(entry, data[index]!);
  });
  return message;
}

function childOf(holder: unknown, key: PathSegment): unknown {
  if (typeof holder !== "object" || holder === null || !Object.hasOwn(holder, key)) {
    throw new FrameError(
      CloseCode.InvalidPayload,
      "Attachment path does not lead to a placeholder",
    );
  }
  if (Array.isArray(holder) !== (typeof key === "number")) {
    throw new FrameError(CloseCode.InvalidPayload, "Attachment path does not match the message");
  }
  return (holder as Record<PathSegment, unknown>)[key];
}

function materialize(entry: TableEntry, bytes: Uint8Array): unknown {
  switch (entry.type) {
    case "Uint8Array":
      return bytes;
    case "ArrayBuffer":
      return bytes.buffer;
    case "DataView":
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    case "Blob":
      return new Blob(
        [bytes as Uint8Array<ArrayBuffer>],
        entry.mime === undefined ? {} : { type: entry.mime },
      );
    default: {
      const Ctor = TYPED_ARRAYS[entry.type] as unknown as new (
        buffer: ArrayBufferLike,
        offset: number,
        length: number,
      ) => unknown;
      const width = TYPED_ARRAYS[entry.type]!.BYTES_PER_ELEMENT;
      return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
    }
  }
}
