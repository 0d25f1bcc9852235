/**
 * JSON-RPC 2.0 over HTTP POST: one message or one batch per request, answered in the
 * response body. The server cannot call back over HTTP: a procedure that tries gets -32004.
 *
 * @module
 */

import { extractAttachments } from "../framing/attachments.ts";
import { refuseBinary } from "../framing/refuse.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Limits } from "../protocol/limits.ts";
import type { Peer } from "../peer/peer.ts";
import type { Transport } from "../peer/transport.ts";

/**
 * What {@linkcode handleHttpPost} needs from the server.
 *
 * @example
 * ```ts
 * import type { HttpOptions } from "./http.ts";
 * import { DEFAULT_LIMITS } from "../protocol/limits.ts";
 * import { Peer } from "../peer/peer.ts";
 * const options: HttpOptions = { limits: DEFAULT_LIMITS, createPeer: (t) => new Peer(t) };
 * if (options.limits.maxBatchSize !== 1000) throw new Error("unreachable");
 * ```
 */
export interface HttpOptions {
  /** Limits: `maxMessageSize` bounds the body (413 past it). */
  readonly limits: Limits;
  /** Make the one-request peer that answers the body. */
  readonly createPeer: (transport: Transport) => Peer;
}

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * Answer one JSON-RPC over HTTP POST request.
 *
 * Status codes: 200 with a JSON-RPC body (including JSON-RPC errors such as -32700), 204 when
 * the body held only notifications, 405 for a method other than POST, 413 for a body over
 * `maxMessageSize`, 415 for a content type other than `application/json`.
 *
 * @param request The HTTP request.
 * @param options Limits and the peer factory.
 * @returns The HTTP response.
 * @example
 * ```ts
 * import { handleHttpPost } from "./http.ts";
 * import { DEFAULT_LIMITS } from "../protocol/limits.ts";
 * import { Peer } from "../peer/peer.ts";
 * const res = await handleHttpPost(
 *   new Request("http://x/", { method: "POST", headers: { "content-type": "application/json" }, body: "[" }),
 *   { limits: DEFAULT_LIMITS, createPeer: (t) => new Peer(t) },
 * );
 * if ((await res.json()).error.code !== -32700) throw new Error("unreachable");
 * ```
 */
export async function handleHttpPost(request: Request, options: HttpOptions): Promise<Response> {
  if (request.method !== "POST") {
    return new Response("Use POST for JSON-RPC over HTTP", {
      status: 405,
      headers: { allow: "POST" },
    });
  }
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return new Response("Content-Type must be application/json", { status: 415 });
  }
  const max = options.limits.maxMessageSize;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) return tooLarge(max);
  const text = await readBounded(request, max);
  if (text === undefined) return tooLarge(max);

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return Response.json(
      { jsonrpc: "2.0", id: null, error: { code: ErrorCode.ParseError, message: "Parse error" } },
    );
  }
  const peer = options.createPeer(httpTransport);
  try {
    const output = await peer.handle(value);
    if (output === undefined) return new Response(null, { status: 204 });
    // HTTP carries no attachments: a response holding binary becomes a -32004 error.
    const { attachments } = extractAttachments(output, 64);
    const body = attachments.length === 0 ? output : refuseBinary(output, attachments);
    return new Response(JSON.stringify(body), { headers: JSON_HEADERS });
  } finally {
    peer.close();
  }
}

/** A transport with no way back: calls from the server reject with -32004. */
const httpTransport: Transport = {
  send(): void {
    throw new RpcError(
      ErrorCode.Unsupported,
      "Switchboard: cannot call or notify the client of an HTTP request; use WebSocket",
    );
  },
  close(): void {
    // Nothing to close: the HTTP response ends the exchange.
  },
};

function tooLarge(max: number): Response {
  return new Response(`Body exceeds ${max} bytes`, { status: 413 });
}

/**
 * The body of a request from a caller that has not authenticated, read to at most `max`
 * bytes whether it declares a `Content-Length` or is chunked, as a request that can be read
 * again; `undefined` when it is longer (nothing past `max` is read).
 *
 * @param request The request.
 * @param max The most bytes to read.
 * @returns A new request with the same URL, method and headers, or undefined.
 * @example
 * ```ts
 * import { readPreAuthBody } from "./http.ts";
 * const long = new Request("http://x/", { method: "POST", body: "x".repeat(600) });
 * if (await readPreAuthBody(long, 512) !== undefined) throw new Error("unreachable");
 * const short = await readPreAuthBody(new Request("http://x/", { method: "POST", body: "{}" }), 512);
 * if (await short?.text() !== "{}") throw new Error("unreachable");
 * ```
 */
export async function readPreAuthBody(
  request: Request,
  max: number,
): Promise<Request | undefined> {
  if (Number(request.headers.get("content-length") ?? "0") > max) return undefined;
  const text = await readBounded(request, max);
  if (text === undefined) return undefined;
  return new Request(request.url, { method: request.method, headers: request.headers, body: text });
}

/** Read the body as text, giving up (undefined) as soon as it passes `max` bytes. */
async function readBounded(request: Request, max: number): Promise<string | undefined> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
