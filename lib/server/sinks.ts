/**
 * How requests and sockets that are not a server's own WebSockets reach it: HTTP POST calls
 * (one short-lived peer per request), the refusal of a `context` hook, and the subscriber of
 * a multiplexed channel.
 *
 * @module
 */

import { RpcError } from "../protocol/errors.ts";
import type { Limits } from "../protocol/limits.ts";
import { Peer } from "../peer/peer.ts";
import type { Transport } from "../peer/transport.ts";
import type { ConnectionInfo, Registry } from "../router/registry.ts";
import type { Subscriber } from "../pubsub/subscriber.ts";
import { handleHttpPost } from "./http.ts";
import type { SwitchboardOptions } from "./options.ts";

/**
 * Turn a `context` hook's refusal into an HTTP response.
 *
 * @param error What the hook threw.
 * @returns 403 with the error as a JSON-RPC error body (an RpcError keeps its message).
 */
export function refusal(error: unknown): Response {
  const body = error instanceof RpcError
    ? error.toJSON()
    : { code: -32603, message: "Connection refused" };
  return Response.json({ jsonrpc: "2.0", id: null, error: body }, { status: 403 });
}

/**
 * Answer one HTTP POST request with a peer of its own (no hello, no binary frames).
 *
 * @param request The POST request.
 * @param data Application data from the server's `context` hook.
 * @param limits The server's limits.
 * @param procedures The server's procedures.
 * @param options The server's options (error exposure, hooks).
 * @returns The HTTP response.
 * @example
 * ```ts
 * import { serveHttpPost } from "./sinks.ts";
 * import { Registry } from "../router/registry.ts";
 * import { DEFAULT_LIMITS } from "../protocol/limits.ts";
 * const procedures = new Registry();
 * procedures.register("two", () => 2);
 * const res = await serveHttpPost(new Request("http://x/", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: '{"jsonrpc":"2.0","id":1,"method":"two"}',
 * }), {}, DEFAULT_LIMITS, procedures, {});
 * if ((await res.json()).result !== 2) throw new Error("unreachable");
 * ```
 */
export function serveHttpPost(
  request: Request,
  data: Record<string, unknown>,
  limits: Limits,
  procedures: Registry,
  options: SwitchboardOptions,
): Promise<Response> {
  return handleHttpPost(request, {
    limits,
    createPeer: (transport) =>
      new Peer(transport, {
        procedures,
        limits,
        exposeErrors: options.exposeErrors ?? false,
        negotiable: false,
        info: { id: crypto.randomUUID(), headers: request.headers, data },
        onError: options.onError,
        authorize: options.authorize,
      }),
  });
}

/**
 * The broker's view of a channel of a multiplexed socket. It has no `sendEncoded`: events
 * carrying binary cannot reach a channel (reported by the broker). Closing goes through the
 * channel's peer.
 *
 * @param info The channel's connection info.
 * @param transport The channel's transport.
 * @param peer The channel's peer.
 * @returns The subscriber.
 * @example
 * ```ts
 * import { channelSubscriber } from "./sinks.ts";
 * import { Peer } from "../peer/peer.ts";
 * const frames: unknown[] = [];
 * const transport = { send: (f: string | Uint8Array) => void frames.push(f), close() {} };
 * const peer = new Peer(transport);
 * const subscriber = channelSubscriber(peer.info, transport, peer);
 * subscriber.send("x");
 * if (frames.length !== 1 || subscriber.sendEncoded !== undefined) throw new Error();
 * ```
 */
export function channelSubscriber(
  info: ConnectionInfo,
  transport: Transport,
  peer: Peer,
): Subscriber {
  return {
    info,
    get codec() {
      return peer.wire.codec;
    },
    send: (frame) => transport.send(frame),
    bufferedAmount: () => transport.bufferedAmount?.() ?? 0,
    close: (code, reason) => peer.close(code, reason),
  };
}
