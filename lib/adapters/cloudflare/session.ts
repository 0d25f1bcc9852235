/**
 * A hibernating socket's session, kept with the socket by `serializeAttachment`: what the
 * Durable Object needs to rebuild the connection when it wakes (its id, negotiated codec and
 * binary frames, subscriptions, and the application's data such as the authenticated user).
 *
 * Kept as one JSON string, so its size is known before the runtime's 2,048-byte limit is
 * hit: the serialized form is the string plus a few bytes of structured-clone header.
 *
 * @module
 */

/**
 * Most UTF-8 bytes of a session's JSON (the runtime refuses attachments over 2,048 bytes of
 * structured clone; the margin covers its header).
 *
 * @example
 * ```ts
 * import { MAX_SESSION_BYTES } from "./session.ts";
 * if (MAX_SESSION_BYTES >= 2048) throw new Error("unreachable");
 * ```
 */
export const MAX_SESSION_BYTES: number = 2000;

/**
 * One socket's session.
 *
 * @example Types only
 * ```ts
 * import type { Session } from "./session.ts";
 * const s: Session = { id: "c1", codec: "json", binary: false, topics: ["news"], data: {} };
 * if (s.topics[0] !== "news") throw new Error("unreachable");
 * ```
 */
export interface Session {
  /** The connection id (also the socket's tag). */
  readonly id: string;
  /** The codec `rpc.hello` agreed: `json` or `superjson`. */
  codec: string;
  /** Whether binary frames were agreed. */
  binary: boolean;
  /** Subscribed topics and patterns, in order. */
  topics: string[];
  /** The connection's application data (the `context` hook's result and later changes). */
  data: Record<string, unknown>;
}

const encoder = new TextEncoder();

/**
 * Encode a session for `serializeAttachment`.
 *
 * @param session The session.
 * @param limit Most UTF-8 bytes. Default {@linkcode MAX_SESSION_BYTES}.
 * @returns The JSON string.
 * @throws {RangeError} When it exceeds `limit` (the socket could not survive hibernation).
 * @throws {TypeError} When the data is not JSON (a cycle, a BigInt).
 * @example
 * ```ts
 * import { decodeSession, encodeSession } from "./session.ts";
 * const text = encodeSession({ id: "c1", codec: "json", binary: true, topics: [], data: { user: "ada" } });
 * if (decodeSession(text)?.data.user !== "ada") throw new Error("unreachable");
 * ```
 */
export function encodeSession(session: Session, limit: number = MAX_SESSION_BYTES): string {
  const text = JSON.stringify({
    v: 1,
    id: session.id,
    c: session.codec,
    b: session.binary,
    t: session.topics,
    d: session.data,
  });
  // Most sessions are ASCII: a length under a third of the limit cannot exceed it in UTF-8.
  const bytes = text.length * 3 <= limit ? text.length : encoder.encode(text).byteLength;
  if (bytes > limit) {
    throw new RangeError(
      `Switchboard: session of ${session.id} is ${bytes} bytes, over the ${limit} that survive hibernation`,
    );
  }
  return text;
}

/**
 * Decode what `deserializeAttachment` returned.
 *
 * @param value The attachment.
 * @returns The session, or `undefined` when it is not one.
 * @example
 * ```ts
 * import { decodeSession } from "./session.ts";
 * if (decodeSession(null) !== undefined || decodeSession("{}") !== undefined) throw new Error();
 * ```
 */
export function decodeSession(value: unknown): Session | undefined {
  if (typeof value !== "string") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // Not ours (another library's attachment): the caller closes that socket.
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const r = parsed as Record<string, unknown>;
  if (
    r.v !== 1 || typeof r.id !== "string" || typeof r.c !== "string" ||
    typeof r.b !== "boolean" || !Array.isArray(r.t) ||
    !r.t.every((topic) => typeof topic === "string") ||
    typeof r.d !== "object" || r.d === null || Array.isArray(r.d)
  ) {
    return undefined;
  }
  return {
    id: r.id,
    codec: r.c,
    binary: r.b,
    topics: r.t as string[],
    data: r.d as Record<string, unknown>,
  };
}
