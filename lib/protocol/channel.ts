/**
 * Names and framing of the channel (multiplexing) extension: docs/PROTOCOL.md §6.
 *
 * @module
 */

import { Method } from "./methods.ts";

/**
 * The channel extension's method names (a subset of {@linkcode Method}).
 *
 * @example
 * ```ts
 * import { ChannelMethod } from "./channel.ts";
 * if (ChannelMethod.Message !== "rpc.channel") throw new Error("unreachable");
 * ```
 */
export const ChannelMethod: {
  /** Request, client to server: open a channel; result `{ "channel": id }`. */
  readonly Open: typeof Method.ChannelOpen;
  /** Notification, either way: `{ "channel": id, "message": <a JSON-RPC message or batch> }`. */
  readonly Message: typeof Method.Channel;
  /** Notification, either way: `{ "channel": id, "code"?: n, "reason"?: s }`. */
  readonly Close: typeof Method.ChannelClose;
} = {
  Open: Method.ChannelOpen,
  Message: Method.Channel,
  Close: Method.ChannelClose,
};

const CHANNEL_PREFIX = `{"jsonrpc":"2.0","method":"${Method.Channel}","params":{"channel":`;

/**
 * Wrap one encoded channel frame (JSON text) in an `rpc.channel` notification, without
 * parsing it again.
 *
 * @param channel The channel id.
 * @param frame The channel's encoded message (JSON text: the JSON or superjson codec).
 * @returns The frame to send on the shared socket.
 * @example
 * ```ts
 * import { wrapChannelFrame } from "./channel.ts";
 * const frame = wrapChannelFrame(2, '{"jsonrpc":"2.0","method":"x"}');
 * if (JSON.parse(frame).params.message.method !== "x") throw new Error("unreachable");
 * ```
 */
export function wrapChannelFrame(channel: number, frame: string): string {
  return `${CHANNEL_PREFIX}${channel},"message":${frame}}}`;
}
