/**
 * Server side of multiplexing: a client may open channels on its WebSocket
 * (`rpc.channel.open`); each channel gets a virtual transport and a full {@linkcode Peer}, so
 * it is a session of its own (its own `peer.info.id`, entry in `sb.peers`, subscriptions,
 * streams, hub routes). Wire format: docs/PROTOCOL.md §6.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Peer } from "../peer/peer.ts";
import type { CloseInfo, Transport } from "../peer/transport.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import type { CallContext, Registry } from "../router/registry.ts";
import { ChannelMethod, wrapChannelFrame } from "../protocol/channel.ts";

/**
 * The extension methods multiplexing adds, as the server announces them in `rpc.hello`
 * (when `maxChannels` is above 0).
 *
 * @example
 * ```ts
 * import { CHANNEL_EXTENSIONS } from "./channels.ts";
 * if (!CHANNEL_EXTENSIONS.includes("rpc.channel.open")) throw new Error("unreachable");
 * ```
 */
export const CHANNEL_EXTENSIONS: readonly string[] = Object.freeze(Object.values(ChannelMethod));

/**
 * Creates the session of a new channel.
 *
 * @example
 * ```ts
 * import type { SessionFactory } from "./channels.ts";
 * import { Peer } from "../peer/peer.ts";
 * const open: SessionFactory = (transport) => new Peer(transport);
 * if (typeof open !== "function") throw new Error("unreachable");
 * ```
 */
export type SessionFactory = (transport: Transport, socket: Peer) => Peer;

/** The channels of one WebSocket. */
interface SocketChannels {
  readonly transport: Transport;
  readonly channels: Map<number, Peer>;
  next: number;
}

/**
 * The channels of every WebSocket of a server.
 *
 * @example
 * ```ts
 * import { ChannelHost } from "./channels.ts";
 * import { Peer } from "../peer/peer.ts";
 * import { Registry } from "../router/registry.ts";
 * const host = new ChannelHost((t) => new Peer(t), 8);
 * host.register(new Registry());
 * if (host.channelCount !== 0) throw new Error("unreachable");
 * ```
 */
export class ChannelHost {
  readonly #open: SessionFactory;
  readonly #maxChannels: number;
  /** Whether a session's transport is a WebSocket's (only those carry channels). */
  readonly #isSocket: (transport: Transport) => boolean;
  /** The channels of sockets that opened one (made on the first). */
  readonly #sockets = new Map<Peer, SocketChannels>();

  /**
   * @param open Creates a channel's session (a Peer registered like a socket's).
   * @param maxChannels Most channels per WebSocket (-32005 past it); 0 turns multiplexing off.
   * @param isSocket Whether a session's transport is a WebSocket's own (default: any is).
   */
  constructor(
    open: SessionFactory,
    maxChannels: number,
    isSocket: (transport: Transport) => boolean = () => true,
  ) {
    if (!Number.isSafeInteger(maxChannels) || maxChannels < 0) {
      throw new RangeError(`Switchboard: maxChannels must be an integer >= 0: got ${maxChannels}`);
    }
    this.#open = open;
    this.#maxChannels = maxChannels;
    this.#isSocket = isSocket;
  }

  /** How many channels are open on all sockets. */
  get channelCount(): number {
    let count = 0;
    for (const socket of this.#sockets.values()) count += socket.channels.size;
    return count;
  }

  /**
   * Register the channel methods (reserved) on the server's procedures.
   *
   * @param registry The server's registry.
   */
  register(registry: Registry): void {
    registry.registerReserved(ChannelMethod.Open, (_params, ctx) => this.#openChannel(ctx));
    registry.registerReserved(ChannelMethod.Message, (params, ctx) => {
      const { channel, message } = channelParams(params);
      if (message === undefined) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", "message is missing");
      }
      const peer = this.#sockets.get(ctx.peer as Peer)?.channels.get(channel);
      // A message for a channel that just closed is dropped, as on a closed socket.
      peer?.receive(JSON.stringify(message));
    });
    registry.registerReserved(ChannelMethod.Close, (params, ctx) => {
      const { channel, code, reason } = channelParams(params);
      const socket = this.#sockets.get(ctx.peer as Peer);
      const peer = socket?.channels.get(channel);
      if (socket === undefined || peer === undefined) return false;
      socket.channels.delete(channel);
      peer.transportClosed(code ?? CloseCode.Normal, reason ?? "");
      return true;
    });
  }

  /**
   * A WebSocket closed: its channels close with the same code.
   *
   * @param socket The socket's own session.
   * @param info How it closed.
   */
  detach(socket: Peer, info: CloseInfo): void {
    const state = this.#sockets.get(socket);
    if (state === undefined) return;
    this.#sockets.delete(socket);
    for (const peer of state.channels.values()) peer.transportClosed(info.code, info.reason);
    state.channels.clear();
  }

  #openChannel(ctx: CallContext): { channel: number } {
    const socket = ctx.peer as Peer;
    // A socket's own session, looked up through its transport: no record per socket.
    const socketTransport = socket.transport;
    if (this.#maxChannels === 0 || socket.isClosed || !this.#isSocket(socketTransport)) {
      throw new RpcError(ErrorCode.Unsupported, "Unsupported", "No channels on this connection");
    }
    if (socket.wire.codec.name !== "json" || socket.wire.binary) {
      throw new RpcError(
        ErrorCode.Unsupported,
        "Unsupported",
        "Channels need the socket's own session to speak plain JSON",
      );
    }
    let state = this.#sockets.get(socket);
    if (state === undefined) {
      state = { transport: socketTransport, channels: new Map(), next: 1 };
      this.#sockets.set(socket, state);
    }
    const sockets = state;
    if (sockets.channels.size >= this.#maxChannels) {
      throw new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", {
        reason: "maxChannels",
        limit: this.#maxChannels,
      });
    }
    const channel = sockets.next++;
    let closed = false;
    const transport: Transport = {
      send: (frame) => {
        if (closed) throw new RpcError(ErrorCode.ConnectionClosed, "Switchboard: channel closed");
        if (typeof frame !== "string") {
          throw new RpcError(ErrorCode.Unsupported, "Switchboard: no binary frames on a channel");
        }
        sockets.transport.send(wrapChannelFrame(channel, frame));
      },
      bufferedAmount: () => sockets.transport.bufferedAmount?.() ?? 0,
      close: (code, reason) => {
        closed = true;
        if (sockets.channels.get(channel) === undefined) return;
        sockets.channels.delete(channel);
        sockets.transport.send(JSON.stringify({
          jsonrpc: "2.0",
          method: ChannelMethod.Close,
          params: { channel, code, reason },
        }));
      },
    };
    const peer = this.#open(transport, socket);
    sockets.channels.set(channel, peer);
    peer.closed.then(() => closed = true);
    return { channel };
  }
}

function channelParams(
  params: unknown,
): { channel: number; message?: unknown; code?: number; reason?: string } {
  const p = params as Record<string, unknown> | null | undefined;
  const channel = p?.channel;
  if (typeof p !== "object" || p === null || !Number.isSafeInteger(channel)) {
    throw new RpcError(ErrorCode.InvalidParams, "Invalid params", "channel must be an integer");
  }
  const code = typeof p.code === "number" ? p.code : undefined;
  const reason = typeof p.reason === "string" ? p.reason : undefined;
  return {
    channel: channel as number,
    ...(p.message === undefined ? {} : { message: p.message }),
    ...(code === undefined ? {} : { code }),
    ...(reason === undefined ? {} : { reason }),
  };
}
