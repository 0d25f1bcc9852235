/**
 * One server-side WebSocket connection as a socket and a transport: the host's socket sink
 * (or Hono's events) on one side, its {@linkcode Peer}'s transport on the other, plus the
 * per-frame policies (traffic counters, heartbeat, outgoing bound, rate limit). The broker's
 * view of the connection is a separate object, `SubscriberPort`
 * (lib/server/subscriber_port.ts).
 *
 * Calls run one way only:
 * - Frames in: socket → {@linkcode Connection.socketMessage} → peer.
 * - Frames out: peer (its wire) → {@linkcode Connection.send} → socket. Events the broker
 *   delivers go subscriber port → peer's wire → `send`; nothing calls back up.
 * - Close: whoever ends the session calls `peer.close()`, which closes its transport:
 *   {@linkcode Connection.close} closes the socket and nothing else. The policies of this
 *   file that end a session (rate limit, outgoing bound) call {@linkcode Connection.terminate},
 *   which goes to the peer first; the socket's close event ends in `peer.transportClosed`.
 *
 * @module
 */

import type { WSContext, WSEvents } from "hono/ws";
import {
  isSocketOpen,
  type NativeSocket,
  readBufferedAmount,
  type RuntimeTopics,
  type SocketSink,
} from "./host.ts";
import type { Peer } from "../peer/peer.ts";
import type { Transport } from "../peer/transport.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import type { TimerHandle } from "../protocol/clock.ts";
import type { Backpressure, Buffering } from "./backpressure.ts";
import { type Metered, RATE_LIMIT_CLOSE, type RateLimiter, Verdict } from "./rate_limit.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import type { HeartbeatMonitor, Liveness } from "./heartbeat.ts";

/**
 * The {@linkcode ConnectionInfo} of a WebSocket connection: its `data` object is made on
 * first read, so a connection whose application keeps nothing in it costs no empty object.
 *
 * @example
 * ```ts
 * import { SocketInfo } from "./connection.ts";
 * const upgrade = new Headers({ "x-device": "d1", cookie: "s=1" });
 * const info = new SocketInfo("c1", upgrade, undefined, ["x-device"]);
 * info.data.user = "ada";
 * if (info.data.user !== "ada" || JSON.parse(JSON.stringify(info)).data.user !== "ada") {
 *   throw new Error("unreachable");
 * }
 * if (info.headers.get("x-device") !== "d1" || info.headers.has("cookie")) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export class SocketInfo implements ConnectionInfo {
  /** A unique id for this connection. */
  readonly id: string;
  /**
   * The kept headers packed into one string until first read, then their `Headers`. A
   * runtime's `Headers` keeps every name and value as an allocation of its own (on Bun about
   * 400 bytes natively for a plain handshake; a packed string is a third of that), and most
   * connections never read them after the upgrade.
   */
  #headers: Headers | string;
  #data: Record<string, unknown> | undefined;

  /**
   * @param id The connection id.
   * @param headers The upgrade request's headers, read now: on Deno a served request's
   * headers cannot be read once the upgrade has ended the request ("Request closed").
   * @param data Application data from the server's `context` hook, if it has one.
   * @param keep Which headers to keep: none (default, as a Switchboard's `keepHeaders`), all,
   * or these lower-case names.
   */
  constructor(
    id: string,
    headers: Headers,
    data?: Record<string, unknown>,
    keep: boolean | readonly string[] = false,
  ) {
    this.id = id;
    this.#headers = packHeaders(headers, keep);
    this.#data = data;
  }

  /** The kept request headers of the upgrade (a `Headers` made on first read). */
  get headers(): Headers {
    const held = this.#headers;
    return typeof held === "string" ? this.#headers = unpackHeaders(held) : held;
  }

  /** The application's own per-connection data. */
  get data(): Record<string, unknown> {
    return this.#data ??= {};
  }

  /**
   * The same JSON as a plain `{ id, headers, data }` object.
   *
   * @returns A plain object.
   */
  toJSON(): ConnectionInfo {
    return { id: this.id, headers: this.headers, data: this.data };
  }
}

/** The kept headers as one string: names and values alternate, separated by newlines. */
function packHeaders(headers: Headers, keep: boolean | readonly string[]): string {
  if (keep === false) return "";
  const parts: string[] = [];
  // Names and values cannot hold a newline (fetch rejects one), so it can separate them.
  if (keep === true) {
    for (const [name, value] of headers) parts.push(name, value);
  } else {
    // One lookup per name: on Deno this reads single headers and leaves the request's full
    // list unmade (making it costs 1.6 KB per connection, kept as long as the socket).
    for (const name of keep) {
      const value = headers.get(name);
      if (value !== null) parts.push(name, value);
    }
  }
  // join, not +=: concatenation keeps a rope of every piece until the string is read.
  return parts.join("\n");
}

/** The `Headers` of a packed string. */
function unpackHeaders(packed: string): Headers {
  const headers = new Headers();
  if (packed === "") return headers;
  const parts = packed.split("\n");
  for (let i = 0; i < parts.length; i += 2) headers.append(parts[i]!, parts[i + 1]!);
  return headers;
}

/**
 * What a connection needs from its server: make the peer once the socket is open, and count
 * traffic.
 *
 * @example Types only
 * ```ts
 * import type { ConnectionHost } from "./connection.ts";
 * function opened(host: ConnectionHost): number {
 *   return host.traffic.bytesSent;
 * }
 * if (typeof opened !== "function") throw new Error("unreachable");
 * ```
 */
export interface ConnectionHost {
  /** Traffic counters, incremented per frame. */
  readonly traffic: { bytesSent: number; bytesReceived: number };
  /** Create and register the peer of a connection whose socket just opened. */
  open(connection: Connection): Peer;
  /** The server's heartbeat, told of every incoming frame (one property write). */
  readonly heartbeat?: HeartbeatMonitor | undefined;
  /** The outgoing bound every frame sent passes (lib/server/backpressure.ts). */
  readonly backpressure?: Backpressure | undefined;
  /** The rate limits every frame received passes (lib/server/rate_limit.ts). */
  readonly rateLimit?: RateLimiter | undefined;
}

/**
 * The glue between one upgraded socket and its {@linkcode Peer}: a socket sink toward the
 * host, a transport toward the peer. Adapters that know {@linkcode SocketSink} (Deno's, Bun's,
 * Node's, the Durable Object's) drive it directly with the runtime's socket; any other Hono
 * adapter drives it through its `WSEvents`.
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * const connection = new Connection(
 *   { id: "c1", headers: new Headers(), data: {} },
 *   { traffic: { bytesSent: 0, bytesReceived: 0 }, open: () => { throw new Error("no socket"); } },
 * );
 * if (connection.info.id !== "c1" || connection.peer !== undefined) throw new Error();
 * ```
 */
export class Connection implements SocketSink, WSEvents, Transport, Liveness, Buffering, Metered {
  /** Facts about the connection. */
  readonly info: ConnectionInfo;
  /** The peer, once the socket is open. */
  peer: Peer | undefined;
  /** Heartbeat: the tick of the last incoming frame (the server's monitor keeps it here). */
  seen = 0;
  /** Heartbeat: whether a ping awaits its answer. */
  pinging = false;
  /** Outgoing bound: frames sent, to sample the buffered amount. */
  sends = 0;
  /** Outgoing bound: the pending re-check while over `maxBufferedBytes`. */
  pressure: TimerHandle | undefined = undefined;
  /** Rate limit: frames the connection may still send now. */
  messageTokens = 0;
  /** Rate limit: bytes the connection may still send now. */
  byteTokens = 0;
  /** Rate limit: when the buckets were last refilled; -1 before the first frame. */
  refilled = -1;
  /** Rate limit: frames taken, to sample the clock. */
  frames = 0;

  readonly #host: ConnectionHost;
  /** The host's counters, held directly: one property load less per frame. */
  readonly #traffic: { bytesSent: number; bytesReceived: number };
  /** The runtime's socket, or Hono's wrapper when the runtime's has no `send`. */
  #socket: NativeSocket | undefined;
  /** The runtime's topic fan-out, when its adapter offers one (Bun). */
  #topics: RuntimeTopics | undefined;

  /**
   * @param info The connection's id, headers and application data.
   * @param host The server.
   */
  constructor(info: ConnectionInfo, host: ConnectionHost) {
    this.info = info;
    this.#host = host;
    this.#traffic = host.traffic;
  }

  /** The runtime's socket, once open. */
  get socket(): NativeSocket | undefined {
    return this.#socket;
  }

  /** The runtime's topic fan-out of this socket's server, when its adapter offered one. */
  get topics(): RuntimeTopics | undefined {
    return this.#topics;
  }

  /** The server's traffic counters (the subscriber port counts runtime fan-out frames). */
  get traffic(): { bytesSent: number; bytesReceived: number } {
    return this.#traffic;
  }

  /**
   * Sink: the runtime offers its topic fan-out for this socket.
   *
   * @param topics The runtime's topics of this socket's server.
   */
  useTopics(topics: RuntimeTopics): void {
    this.#topics = topics;
  }

  /**
   * Sink: the socket opened.
   *
   * @param socket The runtime's socket.
   */
  socketOpened(socket: NativeSocket): void {
    this.#socket = socket;
    this.peer = this.#host.open(this);
  }

  /**
   * Sink: a frame arrived. Counts it, notes the connection alive, hands it to the peer.
   *
   * @param frame The frame.
   */
  socketMessage(frame: string | ArrayBuffer | Uint8Array): void {
    const size = typeof frame === "string" ? frame.length : frame.byteLength;
    this.#traffic.bytesReceived += size;
    this.#host.heartbeat?.seen(this);
    const limiter = this.#host.rateLimit;
    const verdict = limiter === undefined ? Verdict.Admit : limiter.take(this, size);
    if (verdict === Verdict.Admit) this.peer?.receive(frame);
    else if (verdict === Verdict.Refuse) this.peer?.receive(frame, limiter!.refusalOf(this));
    else this.terminate(RATE_LIMIT_CLOSE, "Rate limit exceeded");
  }

  /**
   * Sink: the socket closed.
   *
   * @param code The close code.
   * @param reason The reason.
   */
  socketClosed(code: number, reason: string): void {
    this.#host.backpressure?.released(this);
    this.peer?.transportClosed(code, reason);
  }

  /** Sink: the runtime's send buffer drained (Bun's `drain`). */
  socketDrained(): void {
    this.#host.backpressure?.released(this, false);
  }

  /** Apply the outgoing bound now (after the runtime's fan-out wrote to the socket). */
  checkBuffered(): void {
    this.#host.backpressure?.check(this);
  }

  /**
   * Hono: the socket opened.
   *
   * @param _event The open event.
   * @param ws Hono's socket context.
   */
  onOpen(_event: Event, ws: WSContext): void {
    const raw = ws.raw as Partial<NativeSocket> & { binaryType?: string } | undefined;
    if (raw !== undefined && raw !== null && "binaryType" in raw) raw.binaryType = "arraybuffer";
    // The runtime's socket directly when it has the standard shape: Hono's wrapper adds a
    // call (and on some runtimes an object) per frame.
    const direct = typeof raw?.send === "function" && typeof raw.close === "function";
    this.socketOpened(direct ? raw as NativeSocket : ws as unknown as NativeSocket);
  }

  /**
   * Hono: a frame arrived.
   *
   * @param event The message event.
   */
  onMessage(event: MessageEvent): void {
    this.socketMessage(event.data as string | ArrayBuffer | Uint8Array);
  }

  /**
   * Hono: the socket closed.
   *
   * @param event The close event.
   */
  onClose(event: CloseEvent): void {
    this.socketClosed(event.code, event.reason);
  }

  /** Hono: the socket failed. */
  onError(): void {
    this.socketClosed(CloseCode.Abnormal, "WebSocket error");
  }

  /**
   * Transport: send one frame.
   *
   * @param frame The frame.
   */
  send(frame: string | Uint8Array): void {
    const size = typeof frame === "string" ? frame.length : frame.byteLength;
    this.#traffic.bytesSent += size;
    const socket = this.#socket!;
    const result = socket.send(frame);
    // Every frame passes the outgoing bound: the runtime's verdict (Bun: -1 queued, 0
    // dropped) or a sampled read of the buffered amount; past it, close 4008. A 0 from a
    // socket that is already closing is no drop to report: its close event follows.
    if (result === 0 && !isSocketOpen(socket)) return;
    this.#host.backpressure?.sent(this, size, result);
  }

  /**
   * Transport: close the socket. Only the peer calls it (from `peer.close()`); it never
   * calls back into the peer.
   *
   * @param code The close code.
   * @param reason The reason.
   */
  close(code: number, reason: string): void {
    this.#socket?.close(code, reason);
  }

  /**
   * End the session from below (rate limit, outgoing bound): through the peer, so everything
   * pending is rejected, which then closes the socket; straight to the socket before the peer
   * exists.
   *
   * @param code The close code.
   * @param reason The reason.
   */
  terminate(code: number, reason: string): void {
    const peer = this.peer;
    if (peer !== undefined && !peer.isClosed) peer.close(code, reason);
    else this.#socket?.close(code, reason);
  }

  /**
   * Transport: bytes waiting in the socket's send buffer.
   *
   * @returns The byte count, 0 when the runtime cannot tell.
   */
  bufferedAmount(): number {
    const socket = this.#socket as { raw?: unknown } | undefined;
    // Hono's wrapper (when the runtime's socket had no `send`) keeps the socket in `raw`.
    return readBufferedAmount(socket !== undefined && "raw" in socket ? socket.raw : socket);
  }
}
