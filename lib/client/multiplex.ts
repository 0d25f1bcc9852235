/**
 * Client multiplexing: clients of the same URL that ask for it share one WebSocket, each on
 * its own channel (a separate session on the server). The socket's own session only carries
 * the channel messages of docs/PROTOCOL.md §6: `rpc.channel.open` (request, answers
 * the channel id), `rpc.channel` (notification wrapping one message of a channel) and
 * `rpc.channel.close` (notification, either way). The socket closes with its last channel.
 *
 * @module
 */

import { Peer } from "../peer/peer.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Registry } from "../router/registry.ts";
import { CloseCode } from "../peer/transport.ts";
import { ChannelMethod, wrapChannelFrame } from "../protocol/channel.ts";
import type { Link, LinkHooks } from "./link.ts";
import { type Receiver, SocketTransport, type SocketTransportOptions } from "./socket_transport.ts";

const shared = new Map<string, SharedSocket>();
/** Most messages held for a channel whose open answer is still on its way. */
const MAX_EARLY = 256;

/**
 * Open a channel on the shared socket of a URL (opening the socket if needed).
 *
 * @param url The server's WebSocket URL.
 * @param options Socket options (the first client of a URL chooses them) and queue size.
 * @param hooks Told when the channel opens and closes.
 * @returns The channel, as a link for one client session.
 * @example
 * ```ts ignore
 * import { openChannel } from "./multiplex.ts";
 * const link = openChannel("ws://127.0.0.1:8000/rpc", {}, {});
 * await link.opened;
 * ```
 */
export function openChannel(
  url: string,
  options: SocketTransportOptions,
  hooks: LinkHooks,
): Link {
  const key = `${url}\n${[options.protocols ?? []].flat().join(",")}`;
  let socket = shared.get(key);
  if (socket === undefined || socket.closing) {
    socket = new SharedSocket(url, options, () => {
      if (shared.get(key) === socket) shared.delete(key);
    });
    shared.set(key, socket);
  }
  return socket.open(hooks, options.maxQueued ?? 1000);
}

/**
 * How many shared sockets are open in this process (for tests and leak checks).
 *
 * @returns The count.
 * @example
 * ```ts
 * import { sharedSockets } from "./multiplex.ts";
 * if (sharedSockets() < 0) throw new Error("unreachable");
 * ```
 */
export function sharedSockets(): number {
  return shared.size;
}

/** One WebSocket carrying the channels of several clients. */
class SharedSocket {
  closing = false;
  readonly #transport: SocketTransport;
  readonly #peer: Peer;
  readonly #channels = new Map<number, ChannelLink>();
  readonly #links = new Set<ChannelLink>();
  readonly #forget: () => void;
  /** Messages for channels whose `rpc.channel.open` answer has not arrived yet. */
  readonly #early = new Map<number, string[]>();
  #opening = 0;

  constructor(url: string, options: SocketTransportOptions, forget: () => void) {
    this.#forget = forget;
    this.#transport = new SocketTransport(url, {
      WebSocket: options.WebSocket,
      protocols: options.protocols,
      maxQueued: Infinity,
      onClose: (event) => {
        this.#stop();
        for (const link of [...this.#links]) link.dropped(event.code, event.reason, event.wasClean);
      },
    });
    const registry = new Registry();
    registry.registerReserved(ChannelMethod.Message, (params) => this.#deliver(params));
    registry.registerReserved(ChannelMethod.Close, (params) => this.#remoteClose(params));
    this.#peer = new Peer(this.#transport, { procedures: registry, timeout: 0 });
    this.#transport.attach(this.#peer);
  }

  open(hooks: LinkHooks, maxQueued: number): ChannelLink {
    const link = new ChannelLink(this, hooks, maxQueued);
    this.#links.add(link);
    this.#opening++;
    const opening = this.#peer.call(ChannelMethod.Open).finally(() => {
      if (--this.#opening === 0) this.#early.clear();
    });
    opening.then((result) => {
      const channel = (result as { channel?: unknown } | null)?.channel;
      if (typeof channel !== "number") {
        throw new RpcError(ErrorCode.InternalError, "Switchboard: bad rpc.channel.open result");
      }
      if (!this.#links.has(link)) {
        this.#peer.notify(ChannelMethod.Close, { channel });
        return;
      }
      this.#channels.set(channel, link);
      link.granted(channel);
      const early = this.#early.get(channel);
      this.#early.delete(channel);
      for (const frame of early ?? []) link.receive(frame);
    }).catch((error: unknown) => {
      if (!this.#links.has(link)) return;
      this.#remove(link);
      const closed = error instanceof RpcError && error.code === ErrorCode.ConnectionClosed;
      const info = (error as RpcError).data as { code?: number; reason?: string } | undefined;
      link.dropped(
        closed ? info?.code ?? CloseCode.Abnormal : CloseCode.PolicyViolation,
        closed
          ? info?.reason ?? ""
          : `Switchboard: the server cannot multiplex: ${(error as Error).message}`,
        false,
      );
    });
    return link;
  }

  /** Send a channel's frame on the socket. */
  send(channel: number, frame: string): void {
    this.#transport.send(wrapChannelFrame(channel, frame));
  }

  bufferedAmount(): number {
    return this.#transport.bufferedAmount();
  }

  /** A client closed its channel. */
  closeChannel(link: ChannelLink, code: number, reason: string): void {
    if (!this.#links.has(link)) return;
    const channel = link.channel;
    this.#remove(link);
    if (channel !== undefined && !this.closing) {
      this.#peer.notify(ChannelMethod.Close, { channel, code, reason });
    }
  }

  #remove(link: ChannelLink): void {
    this.#links.delete(link);
    if (link.channel !== undefined) this.#channels.delete(link.channel);
    if (this.#links.size === 0 && !this.closing) {
      this.#stop();
      this.#peer.close(CloseCode.Normal, "Last channel closed");
    }
  }

  #stop(): void {
    if (this.closing) return;
    this.closing = true;
    this.#forget();
  }

  #deliver(params: unknown): void {
    const { channel, message } = (params ?? {}) as { channel?: unknown; message?: unknown };
    if (typeof channel !== "number" || message === undefined) return;
    const link = this.#channels.get(channel);
    if (link !== undefined) {
      link.receive(JSON.stringify(message));
    } else if (this.#opening > 0) {
      // The server may speak on a channel (an onOpen hook) before its open answer arrives.
      const early = this.#early.get(channel) ?? [];
      if (early.length < MAX_EARLY) early.push(JSON.stringify(message));
      this.#early.set(channel, early);
    }
  }

  #remoteClose(params: unknown): void {
    const { channel, code, reason } = (params ?? {}) as Record<string, unknown>;
    if (typeof channel !== "number") return;
    const link = this.#channels.get(channel);
    if (link === undefined) return;
    this.#remove(link);
    link.dropped(
      typeof code === "number" ? code : CloseCode.Normal,
      typeof reason === "string" ? reason : "",
      true,
    );
  }
}

/** One client's channel of a shared socket. */
class ChannelLink implements Link {
  readonly opened: Promise<void>;
  channel: number | undefined;
  #opened = false;
  #closed = false;
  #queue: string[] = [];
  #receiver: Receiver | undefined;
  readonly #socket: SharedSocket;
  readonly #hooks: LinkHooks;
  readonly #maxQueued: number;
  #resolveOpened!: () => void;
  #rejectOpened!: (error: unknown) => void;

  constructor(socket: SharedSocket, hooks: LinkHooks, maxQueued: number) {
    this.#socket = socket;
    this.#hooks = hooks;
    this.#maxQueued = maxQueued;
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    // Nobody may await `opened`; the failure is also reported through the receiver.
    this.opened.catch(() => {});
  }

  get wasOpened(): boolean {
    return this.#opened;
  }

  attach(receiver: Receiver): void {
    this.#receiver = receiver;
  }

  send(frame: string | Uint8Array): void {
    if (this.#closed) {
      throw new RpcError(ErrorCode.ConnectionClosed, "Switchboard: channel is closed");
    }
    if (typeof frame !== "string") {
      throw new RpcError(ErrorCode.Unsupported, "Switchboard: no binary frames on a channel");
    }
    if (this.channel !== undefined) {
      this.#socket.send(this.channel, frame);
      return;
    }
    if (this.#queue.length >= this.#maxQueued) {
      throw new RpcError(
        ErrorCode.LimitExceeded,
        `Switchboard: ${this.#maxQueued} messages already queued while connecting`,
      );
    }
    this.#queue.push(frame);
  }

  bufferedAmount(): number {
    return this.#socket.bufferedAmount();
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#socket.closeChannel(this, code, reason);
    this.#rejectOpened(new RpcError(ErrorCode.ConnectionClosed, "Switchboard: channel closed"));
    queueMicrotask(() => this.#hooks.onClose?.({ code, reason, wasClean: true }));
  }

  receive(frame: string): void {
    this.#receiver?.receive(frame);
  }

  granted(channel: number): void {
    this.channel = channel;
    this.#opened = true;
    const queue = this.#queue;
    this.#queue = [];
    for (const frame of queue) this.#socket.send(channel, frame);
    this.#resolveOpened();
    this.#hooks.onOpen?.();
  }

  dropped(code: number, reason: string, wasClean: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#rejectOpened(new RpcError(ErrorCode.ConnectionClosed, "Switchboard: channel closed"));
    this.#receiver?.transportClosed(code, reason);
    this.#hooks.onClose?.({ code, reason, wasClean });
  }
}
