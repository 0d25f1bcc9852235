/**
 * Transport plumbing of a {@linkcode Peer}: what a transport (the server's connection, the
 * client's socket, the HTTP handler, a channel) does to the peer it carries. Internal to
 * Switchboard: not exported from any entry point, so embedding code cannot call it by
 * accident.
 *
 * @module
 */

import type { Transport } from "../framing/transport.ts";
import type { Wire } from "../framing/wire.ts";
import type { ErrorObject, Params } from "../protocol/types.ts";
import { shutdown } from "./close.ts";
import { handleValue, type Output, receiveFrame } from "./incoming.ts";
import { type CallOptions, sendCall } from "./outgoing.ts";
import { type Peer, peerState } from "./peer.ts";
import type { DropHandler } from "./pending.ts";

export type { Output } from "./incoming.ts";

/**
 * Hand an incoming frame to the peer. Oversize frames close the connection with 1009, binary
 * frames with 1003 until binary is negotiated, malformed binary frames with 1007;
 * unparsable messages are answered with -32700.
 *
 * @param peer The peer.
 * @param frame The frame as received.
 * @param refusal When given (the connection is over a rate limit), every request in the
 * frame is answered with this error instead of running; responses to this side's calls and
 * the session's own `rpc.cancel` and stream-credit notifications are still handled; other
 * notifications are dropped.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { receive } from "./internal.ts";
 * const sent: string[] = [];
 * const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} });
 * receive(peer, "{ not json");
 * if (!sent[0]!.includes("-32700")) throw new Error("unreachable");
 * ```
 */
export function receive(
  peer: Peer,
  frame: string | ArrayBuffer | Uint8Array,
  refusal?: ErrorObject,
): void {
  receiveFrame(peerState(peer), frame, refusal);
}

/**
 * Tell the peer its transport has closed. Same effects as `Peer.close` without closing the
 * transport again.
 *
 * @param peer The peer.
 * @param code The close code received.
 * @param reason The reason received.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { transportClosed } from "./internal.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * transportClosed(peer, 1006, "");
 * if ((await peer.closed).local) throw new Error("unreachable");
 * ```
 */
export function transportClosed(peer: Peer, code: number, reason: string): void {
  shutdown(peerState(peer), { code, reason, local: false });
}

/**
 * Process one decoded message or batch and return what to answer, without sending it.
 * Transports that are not message streams (HTTP) use this.
 *
 * @param peer The peer.
 * @param value A decoded message or batch array.
 * @returns The response, the batch of responses, nothing, or a promise of one of those.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { handle } from "./internal.ts";
 * const out = handle(new Peer({ send() {}, close() {} }), { jsonrpc: "2.0", id: 1, method: "x" });
 * if (!out || out instanceof Promise || Array.isArray(out) || !("error" in out)) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function handle(peer: Peer, value: unknown): Output | Promise<Output> {
  return handleValue(peerState(peer), value);
}

/**
 * Encode and send one message; failures are reported (`onError`), not thrown.
 *
 * @param peer The peer.
 * @param message A message or batch.
 * @returns Whether it was handed to the transport.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { sendMessage } from "./internal.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * if (!sendMessage(peer, { jsonrpc: "2.0", method: "x" })) throw new Error("unreachable");
 * ```
 */
export function sendMessage(peer: Peer, message: unknown): boolean {
  return peerState(peer).sendMessage(message);
}

/**
 * `Peer.call`, except that if the connection drops while the call is pending, `onDrop` takes
 * the call over instead of the -32001 rejection (the reconnecting client resends it on the
 * next socket or rejects it with -32007).
 *
 * @param peer The peer.
 * @param method The method name.
 * @param params Params by position (array) or by name (object).
 * @param options Timeout and abort signal; handed back to `onDrop` as they are.
 * @param onDrop Takes the call over on a drop; undefined: reject as `call` does.
 * @returns The result, as `Peer.call`.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { callOrHandOver } from "./internal.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const call = callOrHandOver(peer, "x", [1], undefined, (dropped) => dropped.resolve("again"));
 * peer.close();
 * if ((await call) !== "again") throw new Error("unreachable");
 * ```
 */
export function callOrHandOver(
  peer: Peer,
  method: string,
  params: Params | undefined,
  options: CallOptions | undefined,
  onDrop: DropHandler | undefined,
): Promise<unknown> {
  return sendCall(peerState(peer), method, params, options, onDrop);
}

/**
 * The peer's wire: its codec and binary framing (switched by `rpc.hello`).
 *
 * @param peer The peer.
 * @returns The wire.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { wireOf } from "./internal.ts";
 * if (wireOf(new Peer({ send() {}, close() {} })).codec.name !== "json") throw new Error("!");
 * ```
 */
export function wireOf(peer: Peer): Wire {
  return peerState(peer).wire;
}

/**
 * The transport the peer's frames go through.
 *
 * @param peer The peer.
 * @returns The transport.
 * @example
 * ```ts
 * import { Peer } from "./peer.ts";
 * import { transportOf } from "./internal.ts";
 * const transport = { send() {}, close() {} };
 * if (transportOf(new Peer(transport)) !== transport) throw new Error("unreachable");
 * ```
 */
export function transportOf(peer: Peer): Transport {
  return peerState(peer).transport;
}
