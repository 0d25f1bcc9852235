/**
 * A Durable Object that hosts a {@linkcode Switchboard}: one object is one hub (procedures,
 * topics, synced state) for every socket routed to it. Sockets are accepted with the
 * WebSocket Hibernation API, so an idle connection keeps no object in memory; each socket's
 * session lives in its attachment and is restored when the object wakes. Topic history and
 * synced state live in the object's SQLite storage.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context as HonoContext } from "hono";
import type { Codec } from "../../codec/codec.ts";
import { jsonCodec } from "../../codec/json.ts";
import { superjsonCodec } from "../../codec/superjson.ts";
import { ErrorCode, RpcError } from "../../protocol/errors.ts";
import { CloseCode } from "../../protocol/close_codes.ts";
import { Method } from "../../protocol/methods.ts";
import type { NativeSocket, SocketSink } from "../adapter.ts";
import type { Peer } from "../../peer/peer.ts";
import { SocketInfo } from "../../server/connection.ts";
import { refusal, Switchboard, type SwitchboardOptions } from "../../server/switchboard.ts";
import type { ServerState, StateOptions } from "../../state/server_state.ts";
import type { StateValue } from "../../state/protocol.ts";
import { decodeSession, encodeSession, MAX_SESSION_BYTES, type Session } from "./session.ts";
import { recordProtocol } from "./session_hooks.ts";
import { SqlBackplane, type SqlBackplaneOptions } from "./sql_backplane.ts";
import { StateStore } from "./state_store.ts";
import {
  type DurableObjectContext,
  type HibernatingSocket,
  workersGlobals,
} from "./workers_types.ts";

/**
 * The heartbeat frame the runtime answers without waking the object: send exactly this text
 * and {@linkcode PING_RESPONSE} comes back (docs/DEPLOY.md).
 *
 * @example
 * ```ts
 * import { PING_REQUEST } from "./object.ts";
 * if (JSON.parse(PING_REQUEST).method !== "rpc.ping") throw new Error("unreachable");
 * ```
 */
export const PING_REQUEST: string = JSON.stringify({
  jsonrpc: "2.0",
  method: Method.Ping,
  id: Method.Ping,
});

/**
 * The runtime's answer to {@linkcode PING_REQUEST}.
 *
 * @example
 * ```ts
 * import { PING_RESPONSE } from "./object.ts";
 * if (JSON.parse(PING_RESPONSE).result !== "pong") throw new Error("unreachable");
 * ```
 */
export const PING_RESPONSE: string = JSON.stringify({
  jsonrpc: "2.0",
  result: "pong",
  id: Method.Ping,
});

/** How often the keep-awake timer checks whether calls are still in flight. */
const AWAKE_CHECK_MS = 500;

/** Codecs a restored session may name. */
const CODECS: ReadonlyMap<string, Codec> = new Map([
  ["json", jsonCodec],
  ["superjson", superjsonCodec],
]);

/**
 * Options of a {@linkcode SwitchboardObject}: a Switchboard's, plus storage and session
 * settings. `heartbeat` defaults to `false` here (its timer would keep the object awake;
 * the runtime answers {@linkcode PING_REQUEST} instead), `timeout` must be positive (a call
 * into a client without one could outlive the object), `keepHeaders` is not supported
 * (read what a connection needs in `context` and return it as data: it is kept), and
 * `maxChannels` is 0 (a multiplexed channel's session could not be restored on wake).
 *
 * @example Types only
 * ```ts
 * import type { SwitchboardObjectOptions } from "./object.ts";
 * const options: SwitchboardObjectOptions = { replay: { size: 50 }, timeout: 10_000 };
 * if (options.replay?.size !== 50) throw new Error("unreachable");
 * ```
 */
export interface SwitchboardObjectOptions
  extends Omit<SwitchboardOptions, "keepHeaders" | "maxChannels"> {
  /** Topic history kept in storage for resuming subscribers. Default 100 events, one hour. */
  readonly replay?: SqlBackplaneOptions;
  /** Answer {@linkcode PING_REQUEST} in the runtime, without waking the object. Default true. */
  readonly autoPing?: boolean;
  /** Most bytes of a socket's session JSON (the runtime's attachment limit is 2,048). */
  readonly maxSessionBytes?: number;
}

/**
 * What a setup function gets besides the Switchboard.
 *
 * @example Types only
 * ```ts
 * import type { ObjectScope } from "./object.ts";
 * function envOf(scope: ObjectScope<{ NAME: string }>): string {
 *   return scope.env.NAME;
 * }
 * if (typeof envOf !== "function") throw new Error("unreachable");
 * ```
 */
export interface ObjectScope<Env> {
  /** The Worker's bindings. */
  readonly env: Env;
  /** The object's state (id, storage). */
  readonly ctx: DurableObjectContext;
  /**
   * Create a synced state object whose value, epoch and version are kept in storage (use it
   * instead of `switchboard.state`, whose value would be lost on eviction).
   */
  state<T extends StateValue>(name: string, initial: T, options?: StateOptions<T>): ServerState<T>;
}

/**
 * Registers an object's procedures, topics and states; runs in the constructor, each time
 * the object starts or wakes.
 */
export type SwitchboardSetup<Env> = (switchboard: Switchboard, scope: ObjectScope<Env>) => void;

/** One accepted socket. */
interface Live {
  readonly socket: HibernatingSocket;
  readonly sink: SocketSink;
  readonly session: Session;
  /** The connection's peer, once open. */
  peer: Peer | undefined;
  /** A save of the session is scheduled (its data changed). */
  dirty: boolean;
  /** The attachment last written. */
  saved: string;
}

/**
 * A Durable Object class hosting a Switchboard over hibernating WebSockets. Subclass it and
 * pass a setup function, or use {@linkcode switchboardObject}.
 *
 * @example
 * ```ts ignore
 * import { SwitchboardObject } from "./object.ts";
 * export class Hub extends SwitchboardObject<Env> {
 *   constructor(ctx: DurableObjectState, env: Env) {
 *     super(ctx, env, (sb) => sb.register("add", ([a, b]: number[]) => a! + b!));
 *   }
 * }
 * ```
 */
export class SwitchboardObject<Env = unknown> {
  /** The hub. */
  readonly switchboard: Switchboard;
  /** The object's state, as the runtime passed it. */
  readonly ctx: DurableObjectContext;
  /** The Worker's bindings. */
  readonly env: Env;
  readonly #app = new Hono();
  readonly #sockets = new Map<HibernatingSocket, Live>();
  readonly #byId = new Map<string, Live>();
  readonly #context: SwitchboardOptions["context"];
  readonly #limit: number;
  /**
   * While calls run or await answers (either way, streams included), this timer keeps the
   * object from hibernating: their state is only in memory. It stops itself once all is idle.
   */
  #awake: ReturnType<typeof setInterval> | undefined;

  /**
   * @param ctx The object's state.
   * @param env The Worker's bindings.
   * @param setup Registers procedures, topics and states.
   * @param options Switchboard, storage and session options.
   * @throws {RangeError} For `timeout: 0` or bad retention options.
   */
  constructor(
    ctx: DurableObjectContext,
    env: Env,
    setup: SwitchboardSetup<Env>,
    options: SwitchboardObjectOptions = {},
  ) {
    this.ctx = ctx;
    this.env = env;
    if (options.timeout !== undefined && !(options.timeout > 0)) {
      throw new RangeError(
        "Switchboard: a Durable Object's calls into clients need a timeout > 0 (pending calls must settle before hibernation)",
      );
    }
    this.#context = options.context;
    this.#limit = options.maxSessionBytes ?? MAX_SESSION_BYTES;
    const backplane = new SqlBackplane(ctx.storage.sql, options.replay);
    const userClose = options.onClose;
    this.switchboard = new Switchboard({
      ...options,
      heartbeat: options.heartbeat ?? false,
      maxChannels: 0,
      pubsub: { ...options.pubsub, backplane },
      onClose: (peer, info) => {
        this.#forget(peer.info.id);
        userClose?.(peer, info);
      },
    });
    const store = new StateStore(ctx.storage.sql, backplane);
    const sb = this.switchboard;
    setup(sb, {
      env,
      ctx,
      state: (name, initial, stateOptions) => store.create(sb, name, initial, stateOptions),
    });
    recordProtocol(sb, {
      sessionOf: (id) => this.#byId.get(id)?.session,
      write: (id) => {
        const live = this.#byId.get(id);
        if (live !== undefined) this.#write(live);
      },
      save: (id) => this.#save(id),
    });
    if (options.autoPing !== false) {
      const { WebSocketRequestResponsePair } = workersGlobals();
      if (WebSocketRequestResponsePair !== undefined) {
        ctx.setWebSocketAutoResponse(
          new WebSocketRequestResponsePair(PING_REQUEST, PING_RESPONSE),
        );
      }
    }
    this.#app.get("*", (c) => this.#upgrade(c));
    this.#app.post("*", (c) => sb.fetchHttp(c.req.raw, c));
    void ctx.blockConcurrencyWhile(() => this.#restore());
  }

  /**
   * Durable Object: a request routed here by the Worker (WebSocket upgrade or POST).
   *
   * @param request The request.
   * @returns The response.
   */
  fetch(request: Request): Response | Promise<Response> {
    return this.#app.fetch(request);
  }

  /**
   * Hibernation API: a frame arrived on an accepted socket.
   *
   * @param ws The socket.
   * @param message Text or binary.
   */
  webSocketMessage(ws: HibernatingSocket, message: string | ArrayBuffer): void {
    const live = this.#sockets.get(ws);
    if (live === undefined) {
      ws.close(CloseCode.InternalError, "Session lost");
      return;
    }
    live.sink.socketMessage(message);
    // A call still running (a procedure awaiting, a stream) or awaiting an answer has state
    // only in memory: hold off hibernation until it settles.
    const peer = live.peer;
    if (
      this.#awake === undefined && peer !== undefined &&
      (peer.runningCalls > 0 || peer.pendingCalls > 0)
    ) {
      this.#keepAwake();
    }
  }

  /**
   * Hibernation API: the client closed the socket.
   *
   * @param ws The socket.
   * @param code The close code.
   * @param reason The reason.
   */
  webSocketClose(ws: HibernatingSocket, code: number, reason: string): void {
    this.#sockets.get(ws)?.sink.socketClosed(code, reason);
    this.#drop(ws);
    try {
      ws.close(
        code === CloseCode.NoStatus || code === CloseCode.Abnormal ? CloseCode.Normal : code,
        reason,
      );
    } catch {
      // Already closed by the runtime: nothing left to answer.
    }
  }

  /**
   * Hibernation API: the socket failed.
   *
   * @param ws The socket.
   */
  webSocketError(ws: HibernatingSocket): void {
    this.#sockets.get(ws)?.sink.socketClosed(CloseCode.Abnormal, "WebSocket error");
    this.#drop(ws);
  }

  /** Accept an upgrade: context hook, session, hibernatable socket. */
  async #upgrade(c: HonoContext): Promise<Response> {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.text("Upgrade Required: connect with a WebSocket client", 426, {
        upgrade: "websocket",
      });
    }
    let data: Record<string, unknown> = {};
    try {
      if (this.#context !== undefined) data = await this.#context(c);
    } catch (error) {
      return refusal(error);
    }
    const session: Session = {
      id: crypto.randomUUID(),
      codec: "json",
      binary: false,
      topics: [],
      data,
    };
    let text: string;
    try {
      text = encodeSession(session, this.#limit);
    } catch (error) {
      // Too big for the attachment: -32005; not JSON: refused as an internal error.
      return refusal(
        error instanceof RangeError
          ? new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", { reason: error.message })
          : error,
      );
    }
    const { WebSocketPair } = workersGlobals();
    const pair = new WebSocketPair();
    const socket = pair[1];
    this.ctx.acceptWebSocket(socket, [session.id]);
    socket.serializeAttachment(text);
    this.#open(socket, session, text);
    const protocol = c.req.header("sec-websocket-protocol")?.split(",")[0]?.trim();
    const headers = protocol ? { "sec-websocket-protocol": protocol } : undefined;
    return new Response(null, { status: 101, webSocket: pair[0], headers } as ResponseInit);
  }

  /** Make the connection of an accepted socket. */
  #open(socket: HibernatingSocket, session: Session, saved: string): Live {
    const live: Live = { socket, sink: undefined!, session, saved, peer: undefined, dirty: false };
    const data = new Proxy(session.data, {
      set: (target, key, value) => {
        const done = Reflect.set(target, key, value);
        this.#changed(live);
        return done;
      },
      deleteProperty: (target, key) => {
        const done = Reflect.deleteProperty(target, key);
        this.#changed(live);
        return done;
      },
    });
    const info = new SocketInfo(session.id, new Headers(), data);
    const sink = this.switchboard.socketSink(info);
    (live as { sink: SocketSink }).sink = sink;
    this.#sockets.set(socket, live);
    this.#byId.set(session.id, live);
    sink.socketOpened(socket as NativeSocket);
    live.peer = this.switchboard.peers.get(session.id);
    return live;
  }

  /** A connection's data changed: save its session once the current task is done. */
  #changed(live: Live): void {
    if (live.dirty) return;
    live.dirty = true;
    queueMicrotask(() => {
      live.dirty = false;
      this.#save(live.session.id);
    });
  }

  /** The object woke (or started): rebuild each accepted socket's connection. */
  async #restore(): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment();
      const session = decodeSession(attachment);
      if (session === undefined) {
        socket.close(CloseCode.InternalError, "Session lost");
        continue;
      }
      const peer = this.#open(socket, session, attachment as string).peer;
      peer?.wire.use(CODECS.get(session.codec) ?? jsonCodec, session.binary);
      const topics = session.topics;
      session.topics = [];
      for (const topic of topics) {
        try {
          await this.switchboard.pubsub.subscribe(session.id, topic);
          session.topics.push(topic);
        } catch {
          // Refused now (its authorize hook changed its mind): the subscription is dropped.
        }
      }
      this.#save(session.id);
    }
  }

  /**
   * Write a connection's session if it changed. A session grown past the limit (its data)
   * closes the connection with 1008: it could not survive hibernation.
   */
  #save(id: string): void {
    const live = this.#byId.get(id);
    if (live === undefined) return;
    try {
      this.#write(live);
    } catch (error) {
      const message = error instanceof RangeError
        ? "Session exceeds the hibernation limit"
        : "Session is not JSON";
      this.switchboard.peers.get(id)?.close(CloseCode.PolicyViolation, message);
    }
  }

  /** Serialize a session into its socket's attachment when it changed. */
  #write(live: Live): void {
    const text = encodeSession(live.session, this.#limit);
    if (text === live.saved) return;
    live.socket.serializeAttachment(text);
    live.saved = text;
  }

  /** Hold off hibernation until no connection has calls running or pending. */
  #keepAwake(): void {
    this.#awake ??= setInterval(() => {
      for (const peer of this.switchboard.peers.values()) {
        if (peer.runningCalls > 0 || peer.pendingCalls > 0) return;
      }
      clearInterval(this.#awake);
      this.#awake = undefined;
    }, AWAKE_CHECK_MS);
  }

  #drop(ws: HibernatingSocket): void {
    const live = this.#sockets.get(ws);
    if (live === undefined) return;
    this.#sockets.delete(ws);
    if (this.#byId.get(live.session.id) === live) this.#byId.delete(live.session.id);
  }

  #forget(id: string): void {
    const live = this.#byId.get(id);
    if (live !== undefined) this.#drop(live.socket);
  }
}

/**
 * A Durable Object class for a setup function: export it under the class name your
 * `wrangler.jsonc` binds.
 *
 * @param setup Registers procedures, topics and states.
 * @param options Switchboard, storage and session options.
 * @returns The class.
 * @example
 * ```ts
 * import { switchboardObject } from "./object.ts";
 * export const Hub = switchboardObject((sb) => {
 *   sb.register("add", ([a, b]: number[]) => a! + b!);
 * });
 * if (typeof Hub !== "function") throw new Error("unreachable");
 * ```
 */
export function switchboardObject<Env = unknown>(
  setup: SwitchboardSetup<Env>,
  options?: SwitchboardObjectOptions,
): new (ctx: DurableObjectContext, env: Env) => SwitchboardObject<Env> {
  return class extends SwitchboardObject<Env> {
    constructor(ctx: DurableObjectContext, env: Env) {
      super(ctx, env, setup, options);
    }
  };
}
