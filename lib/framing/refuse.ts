/**
 * What happens to binary values on a connection that did not agree to binary frames (a peer
 * that never said `rpc.hello` with `binary: true`, a plain JSON-RPC server, HTTP POST): they
 * are never turned into JSON objects silently. A request or notification that carries them
 * is refused with a `TypeError` naming the method; a response that carries them becomes a
 * `-32004 Unsupported` error response for the caller.
 *
 * @module
 */

import { ErrorCode } from "../protocol/errors.ts";
import type { OutgoingAttachment, PathSegment } from "./attachments.ts";

/** The `message` of the error response that replaces a result holding binary. */
export const BINARY_NOT_NEGOTIATED = "Binary not negotiated";

/**
 * Replace the responses of a message (or batch) that carry binary values by `-32004` error
 * responses; refuse requests and notifications that carry them.
 *
 * @param message The message or batch, as given to the wire.
 * @param attachments The binary values found in it (non-empty).
 * @returns The message to send instead.
 * @throws {TypeError} When a request or notification carries binary: the message names the
 * method and the place of the first value.
 * @example A result holding bytes becomes an error for the caller
 * ```ts
 * import { extractAttachments } from "./attachments.ts";
 * import { refuseBinary } from "./refuse.ts";
 * const message = { jsonrpc: "2.0", id: 4, result: { png: new Uint8Array(3) } };
 * const { attachments } = extractAttachments(message, 64);
 * const out = refuseBinary(message, attachments) as { error: { code: number } };
 * if (out.error.code !== -32004) throw new Error("unreachable");
 * ```
 * @example A call holding bytes is refused
 * ```ts
 * import { extractAttachments } from "./attachments.ts";
 * import { refuseBinary } from "./refuse.ts";
 * const message = { jsonrpc: "2.0", id: 1, method: "save", params: [new Uint8Array(1)] };
 * let threw = false;
 * try { refuseBinary(message, extractAttachments(message, 64).attachments); }
 * catch (e) { threw = e instanceof TypeError && e.message.includes("save"); }
 * if (!threw) throw new Error("unreachable");
 * ```
 */
export function refuseBinary(
  message: unknown,
  attachments: readonly OutgoingAttachment[],
): unknown {
  if (!Array.isArray(message)) return refuseOne(message, attachments, []);
  const byIndex = new Map<number, OutgoingAttachment[]>();
  for (const attachment of attachments) {
    const index = attachment.path[0] as number;
    const list = byIndex.get(index) ?? [];
    list.push(attachment);
    byIndex.set(index, list);
  }
  return message.map((item, index) => {
    const found = byIndex.get(index);
    return found === undefined ? item : refuseOne(item, found, [index]);
  });
}

function refuseOne(
  message: unknown,
  attachments: readonly OutgoingAttachment[],
  prefix: readonly PathSegment[],
): unknown {
  const first = attachments[0]!;
  const where = `${first.type} at ${first.path.slice(prefix.length).join(".")}`;
  const msg = (typeof message === "object" && message !== null ? message : {}) as Record<
    string,
    unknown
  >;
  if (typeof msg.method === "string" || !("id" in msg)) {
    throw new TypeError(
      `Switchboard: ${String(msg.method)} carries binary (${where}) but binary frames were ` +
        "not negotiated on this connection",
    );
  }
  return {
    jsonrpc: "2.0",
    id: msg.id,
    error: {
      code: ErrorCode.Unsupported,
      message: BINARY_NOT_NEGOTIATED,
      data: {
        reason: `The response carries binary (${where}) but binary frames were not ` +
          "negotiated on this connection",
      },
    },
  };
}
