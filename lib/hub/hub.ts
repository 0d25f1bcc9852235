/**
 * The hub: a Switchboard that routes calls between its clients, authenticates them, applies
 * rules, and serves health, metrics and an inspector page. Runtime-neutral: a
 * {@linkcode RuntimeAdapter} serves it.
 *
 * @module
 */

import process from "node:process";
import { type Context, Hono } from "hono";
import type { WSContext } from "hono/ws";
import { getCookie } from "hono/cookie";
import type { RunningServer, RuntimeAdapter } from "../adapters/adapter.ts";
import { ErrorCode, HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { Peer } from "../peer/peer.ts";
import type { RoutingEngine } from "../cluster/engine.ts";
import type { AuthorizeRequest } from "../pubsub/broker.ts";
import { MemoryBackplane } from "../pubsub/memory_backplane.ts";
import { isPattern } from "../pubsub/topic_name.ts";
import { addClientRoutes } from "../server/client_bundle.ts";
import { refusal, Switchboard } from "../server/switchboard.ts";
import { HostGuard } from "../server/host_guard.ts";
import { readPreAuthBody } from "../server/http.ts";
import { PreAuthGate, type PreAuthTicket } from "./pre_auth.ts";
import { ExpiryWatch } from "./expiry.ts";
import { VERSION } from "../version.ts";
import { Authenticator } from "./auth.ts";
import {
  clusterEngines,
  type ClusterHealth,
  clusterHealth,
  clusterMetrics,
  type HealthyBackplane,
  redact,
  refusing,
} from "./cluster.ts";
import type { HubConfig } from "./config.ts";
import { inspectorPage } from "./inspector.ts";
import { Logger } from "./log.ts";
import { HubMetrics } from "./metrics.ts";
import { type Identity, Policy, type Rule } from "./policy.ts";
import { forbidden, identityOf, POLICED_BUILTINS, registerHubProcedures } from "./procedures.ts";
import { HubRouter, type MethodInfo } from "./routing.ts";
import { type TopicRow, TopicTracker } from "./topics.ts";
import { Method, RESERVED_PREFIX } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * Options of a {@linkcode Hub} besides its config.
 *
 * @example
 * ```ts
 * import type { HubOptions } from "./hub.ts";
 * const options: HubOptions = { describe: () => undefined };
 * if (options.describe === undefined) throw new Error("unreachable");
 * ```
 */
export interface HubOptions {
  /** Where log lines go. Default: stderr at the config's level. */
  readonly logger?: Logger;
  /** Describe server procedures for `rpc.discover` (the typed-contract seam). */
  readonly describe?: (name: string) => MethodInfo | undefined;
  /**
   * A connected backplane (e.g. from `connectBackplane`); {@linkcode Hub.start} connects the
   * config's `backplane` by itself. Default: in memory.
   */
  readonly backplane?: HealthyBackplane;
  /** A connected cluster-routing engine; {@linkcode Hub.start} connects the config's by itself. */
  readonly routing?: RoutingEngine;
}

const ANONYMOUS: Identity = {
  id: "anonymous",
  roles: ["anonymous"],
  admitted: true,
  via: "anonymous",
};
const NOBODY: Identity = { id: "", roles: [], admitted: false, via: "none" };
/** Methods a connection whose token expired may still call: to authenticate again. */
const REAUTH: ReadonlySet<string> = new Set([Method.Hello, Method.Refresh, Method.Ping]);
/** Most topic rows in an inspector snapshot. */
const MAX_TOPIC_ROWS = 200;

/**
 * A hub bound to a runtime adapter.
 *
 * @example Start on a free port, call a built-in, stop
 * ```ts ignore
 * import { Hub } from "./hub.ts";
 * import { resolveHubConfig } from "./config.ts";
 * const hub = await Hub.start(resolveHubConfig({ port: 0, logLevel: "silent" }));
 * console.log(hub.url);
 * await hub.shutdown();
 * ```
 */
export class Hub {
  /** The configuration in force. */
  readonly config: HubConfig;
  /** The underlying Switchboard: register server-side procedures here. */
  readonly switchboard: Switchboard;
  /** The routing table. */
  readonly router: HubRouter;
  /** Counters. */
  readonly metrics: HubMetrics = new HubMetrics();
  /** The Hono app (health, metrics, inspector, endpoint). */
  readonly app: Hono = new Hono();
  /** The runtime adapter. */
  readonly adapter: RuntimeAdapter;
  /** Events per topic (counts and rates) through the hub's backplane. */
  readonly topics: TopicTracker = new TopicTracker({ onChange: () => this.#changed() });

  readonly #log: Logger;
  readonly #auth: Authenticator;
  readonly #policy: Policy;
  readonly #data = new WeakMap<Request, Record<string, unknown>>();
  readonly #preAuth = new WeakMap<Request, Identity>();
  readonly #guard: HostGuard;
  readonly #gate: PreAuthGate;
  readonly #expiry = new ExpiryWatch();
  /** Places at the pre-authentication gate, by connection data, until authenticated. */
  readonly #tickets = new WeakMap<object, PreAuthTicket>();
  readonly #watchers = new Set<Peer>();
  readonly #started = Date.now();
  readonly #backplane: HealthyBackplane | undefined;
  #server: RunningServer | undefined;
  #draining = false;
  #closing: Promise<void> | undefined;
  #pushTimer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

  /**
   * @param config The configuration.
   * @param adapter The runtime adapter (its upgrade helper is used by the app).
   * @param options Logger and the discovery seam.
   */
  constructor(config: HubConfig, adapter: RuntimeAdapter, options: HubOptions = {}) {
    this.config = config;
    this.adapter = adapter;
    this.#log = options.logger ?? new Logger(config.logLevel);
    this.#auth = new Authenticator(config.auth);
    this.#guard = new HostGuard({ allowedHosts: config.allowedHosts, origins: config.origins });
    this.#gate = new PreAuthGate({
      maxSockets: config.preAuthMaxSockets,
      maxPerAddress: config.preAuthMaxSocketsPerAddress,
      timeout: config.preAuthTimeout,
    });
    const builtin: Rule[] = this.#auth.configured
      ? [
        { actions: ["call"], match: Method.Inspect, roles: ["admin"] },
        { actions: ["call"], match: Method.Inspect, effect: "deny" },
        { actions: ["call"], match: Method.InspectDisconnect, roles: ["admin"] },
        { actions: ["call"], match: Method.InspectDisconnect, effect: "deny" },
      ]
      : [];
    this.#policy = new Policy([...config.rules, ...builtin], config.defaultPolicy);
    this.#backplane = options.backplane;
    this.switchboard = new Switchboard({
      timeout: config.callTimeout,
      limits: config.limits,
      rateLimit: config.rateLimit,
      context: (c) => {
        const data = { identity: this.#preAuth.get(c.req.raw) ?? this.#initialIdentity() };
        this.#data.set(c.req.raw, data);
        return data;
      },
      authorize: (method, peer) => this.#authorize(method, peer),
      pubsub: {
        backplane: this.topics.wrap(
          (options.backplane && refusing(options.backplane)) ?? new MemoryBackplane(
            config.pubsub.replay.size > 0 ? { replay: config.pubsub.replay } : {},
          ),
        ),
        limits: config.pubsub.limits,
        authorize: (request) => this.#authorizeTopic(request),
        onError: (error, where) => {
          this.metrics.internalErrors++;
          this.#recordError(where, error);
        },
      },
      onOpen: (peer) => {
        this.metrics.connectionsTotal++;
        this.#expiry.watch(peer);
        this.#log.debug(`open ${peer.info.id} as ${identityOf(peer.info.data).id || "-"}`);
        this.#changed();
      },
      onClose: (peer, info) => {
        this.#watchers.delete(peer);
        this.#expiry.forget(peer);
        this.#log.debug(`close ${peer.info.id} ${info.code} ${info.reason}`);
        this.#changed();
      },
      onError: (error, where, peer) => {
        this.metrics.internalErrors++;
        this.#recordError(where, error, peer.info.id);
      },
    });
    this.metrics.traffic = this.switchboard.traffic;
    const { topics, switchboard } = this;
    this.metrics.events = {
      get published(): number {
        return topics.published;
      },
      get delivered(): number {
        return switchboard.pubsub.delivered;
      },
    };
    this.router = new HubRouter(this.switchboard.procedures, {
      registration: config.registration,
      timeout: config.callTimeout,
      cluster: options.routing,
      events: {
        onCall: (name, ms, error) => {
          this.metrics.observeRouted(ms, error === undefined);
          if (error !== undefined) this.#recordError(name, error);
        },
        onChange: () => this.#changed(),
      },
    });
    registerHubProcedures(this.switchboard.procedures, {
      router: this.router,
      policy: this.#policy,
      auth: this.#auth,
      runtime: adapter.runtime,
      peerOf: (id) => this.switchboard.peers.get(id),
      describe: options.describe ?? (() => undefined),
      snapshot: () => this.snapshot(),
      topics: () => this.topicRows(),
      watch: (peer, on) => this.#watch(peer, on),
      changed: () => this.#changed(),
      authenticated: (data, id) => this.#authenticated(data, id),
    });
    this.#routes();
  }

  /**
   * Create a hub and serve it.
   *
   * @param config The configuration (`port: 0` picks a free port).
   * @param options The adapter (default: the current runtime's) and hub options.
   * @returns The running hub.
   */
  static async start(
    config: HubConfig,
    options: HubOptions & { adapter?: RuntimeAdapter } = {},
  ): Promise<Hub> {
    const { detectAdapter } = await import("../adapters/detect.ts");
    const adapter = options.adapter ?? await detectAdapter();
    const engines = options.backplane === undefined
      ? { ...options, ...await clusterEngines(config) }
      : options;
    const hub = new Hub(config, adapter, engines);
    hub.#server = await adapter.serve(hub.app, {
      hostname: config.host,
      port: config.port,
      maxMessageSize: hub.switchboard.maxFrameSize,
      maxBufferedBytes: hub.switchboard.backpressure.maxBufferedBytes,
    });
    hub.#guard.bind(config.host, hub.#server.port);
    hub.#log.info(
      `Switchboard hub ${VERSION} on ${adapter.runtime} listening on ${hub.url}${config.path}` +
        (hub.#auth.configured ? " (auth on)" : " (anonymous access)") +
        (config.backplane === undefined ? "" : ` in a cluster through ${redact(config.backplane)}` +
          (hub.router.cluster === undefined ? "" : ` as hub ${hub.router.cluster.hub}`)) +
        `, pid ${process.pid}`,
    );
    return hub;
  }

  /**
   * The cluster's state for `/health`, `/metrics` and the inspector: this hub's id, and the
   * backplane's and routing engine's connection states. `undefined` for a single hub.
   *
   * @returns The state, with `degraded` true when an engine is not up.
   */
  clusterHealth(): ClusterHealth | undefined {
    return clusterHealth(this.#backplane, this.router.cluster);
  }

  /** `http://host:port` once started, else the empty string. */
  get url(): string {
    return this.#server?.url ?? "";
  }

  /**
   * The topics and subscribed patterns of this hub with subscriber counts and event rates.
   *
   * @returns Rows sorted by name.
   */
  topicRows(): TopicRow[] {
    return this.topics.rows(this.switchboard.pubsub.topics(), Date.now());
  }

  /**
   * A snapshot for the inspector: clients, procedures, topics, recent errors, counters.
   *
   * @returns Plain JSON.
   */
  snapshot(): Record<string, unknown> {
    const routes = this.router.list();
    const byClient = new Map<string, string[]>();
    for (const route of routes) {
      for (const id of route.callees) byClient.set(id, [...(byClient.get(id) ?? []), route.name]);
    }
    return {
      server: {
        version: VERSION,
        runtime: this.adapter.runtime,
        uptime: Math.round((Date.now() - this.#started) / 1000),
        auth: this.#auth.configured,
        draining: this.#draining,
        ...(this.clusterHealth() === undefined ? {} : { cluster: this.clusterHealth() }),
      },
      clients: [...this.switchboard.peers.values()].map((peer) => {
        const identity = identityOf(peer.info.data);
        const name = peer.info.data.name;
        return {
          id: peer.info.id,
          ...(typeof name === "string" ? { name } : {}),
          client: identity.id,
          roles: identity.roles,
          via: identity.via,
          procedures: byClient.get(peer.info.id) ?? [],
        };
      }),
      procedures: {
        server: this.switchboard.procedures.names().filter((n) => !n.startsWith(RESERVED_PREFIX)),
        routed: routes,
      },
      topics: this.topicRows().slice(0, MAX_TOPIC_ROWS),
      errors: this.metrics.recentErrors(),
      counters: {
        calls: this.metrics.calls,
        routed: this.metrics.routed,
        refused: this.metrics.refused,
        errors: this.metrics.routedErrors + this.metrics.internalErrors,
        events: this.metrics.events.published,
        delivered: this.metrics.events.delivered,
      },
    };
  }

  /**
   * Stop gracefully: refuse new connections and calls, wait for routed calls up to
   * `shutdownTimeout`, close every connection with 1001, stop listening. Idempotent.
   *
   * @returns Resolves when stopped.
   */
  shutdown(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    this.#log.info(`shutting down: ${this.router.inFlight} routed calls in flight`);
    const deadline = Date.now() + this.config.shutdownTimeout;
    while (this.router.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    clearTimeout(this.#pushTimer);
    clearInterval(this.#tick);
    this.#expiry.clear();
    this.switchboard.closeAll(CloseCode.GoingAway, "Hub shutting down");
    await this.router.cluster?.close();
    await this.switchboard.pubsub.close();
    await this.#server?.close();
    this.#log.info("stopped");
  }

  /**
   * A connection authenticated (rpc.hello, rpc.refresh): it leaves the pre-authentication
   * gate, and its new credential's expiry is watched.
   */
  #authenticated(data: Record<string, unknown>, id: string): void {
    this.#tickets.get(data)?.release();
    this.#tickets.delete(data);
    const peer = this.switchboard.peers.get(id);
    if (peer !== undefined) this.#expiry.watch(peer);
  }

  #initialIdentity(): Identity {
    return this.config.allowAnonymous ? ANONYMOUS : NOBODY;
  }

  #authorize(method: string, peer: Peer): void {
    this.metrics.calls++;
    const identity = identityOf(peer.info.data);
    if (!identity.admitted && method !== Method.Hello) {
      this.metrics.refused++;
      throw new RpcError(HubErrorCode.Unauthenticated, "Authentication required", {
        reason: "Send rpc.hello with a token first",
      });
    }
    if (identity.expires !== undefined && identity.expires <= Date.now() && !REAUTH.has(method)) {
      // Between `exp` and the expiry timer closing the connection (4001).
      this.metrics.refused++;
      throw new RpcError(HubErrorCode.Unauthenticated, "Token expired", {
        reason: "The token expired: send rpc.refresh with a new one",
      });
    }
    if (this.#draining) {
      throw new RpcError(HubErrorCode.ShuttingDown, "Switchboard hub: shutting down");
    }
    if (method.startsWith(RESERVED_PREFIX) && !POLICED_BUILTINS.has(method)) return;
    if (!this.#policy.allows("call", method, identity)) {
      this.metrics.refused++;
      throw forbidden("call", method);
    }
  }

  #authorizeTopic(request: AuthorizeRequest): boolean {
    const identity = identityOf(request.connection.data);
    // Unauthenticated connections never get here (#authorize refuses every rpc.* but hello).
    const allowed = isPattern(request.topic)
      ? this.#policy.allowsPattern(request.action, request.topic, identity)
      : this.#policy.allows(request.action, request.topic, identity);
    if (allowed) return true;
    this.metrics.refused++;
    this.#log.debug(`refused ${request.action} ${request.topic} to ${identity.id || "-"}`);
    return false; // The broker answers -32006 Forbidden {action, topic}.
  }

  #routes(): void {
    const { path } = this.config;
    // Every route, the inspector and metrics included: a rebound page must reach none.
    this.app.use("*", async (c, next) => {
      const refused = await this.#guard.middleware(c, next);
      if (refused instanceof Response) {
        this.metrics.upgradesRefused++;
        this.#log.warn(`refused ${c.req.method} ${c.req.path}: host or origin not allowed`);
      }
      return refused;
    });
    this.app.get("/health", (c) => {
      const cluster = this.clusterHealth();
      return c.json(
        {
          ok: !this.#draining,
          connections: this.switchboard.peers.size,
          ...(cluster === undefined ? {} : { cluster }),
        },
        this.#draining ? 503 : 200,
      );
    });
    this.app.get("/metrics", (c) =>
      c.text(
        this.metrics.render({
          connections: this.switchboard.peers.size,
          procedures: this.router.size,
          topics: this.switchboard.pubsub.topics(),
        }) + clusterMetrics(this.clusterHealth(), this.router.list().length),
        200,
        { "content-type": "text/plain; version=0.0.4" },
      ));
    if (this.config.inspector) {
      this.app.get("/", (c) => c.html(inspectorPage(path)));
    }
    // The client and its types, public like the inspector page (the code is no secret).
    if (this.switchboard.servesClient) addClientRoutes(this.app, path);
    this.app.use(path, async (c, next) => {
      if (this.#draining) {
        this.metrics.upgradesRefused++;
        return c.json(httpError(HubErrorCode.ShuttingDown, "Switchboard hub: shutting down"), 503);
      }
      const token = bearer(c.req.header("authorization")) ?? getCookie(c, "switchboard_token") ??
        c.req.query("token");
      if (token !== undefined) {
        const identity = await this.#auth.authenticate(token);
        if (identity === undefined) {
          this.metrics.upgradesRefused++;
          return c.json(httpError(HubErrorCode.Unauthenticated, "Authentication failed"), 401);
        }
        this.#preAuth.set(c.req.raw, identity);
      }
      await next();
      return undefined;
    });
    this.app.get(path, async (c) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        return c.text("Upgrade Required: connect with a WebSocket client", 426, {
          upgrade: "websocket",
        });
      }
      let events;
      try {
        events = await this.switchboard.websocketEvents(c);
      } catch (error) {
        this.metrics.upgradesRefused++;
        return refusal(error);
      }
      const data = this.#data.get(c.req.raw) ?? {};
      const cap = this.config.preAuthMaxMessageSize;
      let socket: WSContext | undefined;
      if (!identityOf(data).admitted) {
        const ticket = this.#enterGate(
          c,
          () => socket?.close(CloseCode.AuthenticationTimeout, "Authentication timeout"),
        );
        if (ticket instanceof Response) return ticket;
        this.#tickets.set(data, ticket);
      }
      return await this.adapter.upgradeWebSocket(c, {
        onOpen: (event, ws) => {
          socket = ws;
          // Missed its deadline before it even opened.
          if (this.#tickets.get(data)?.expired) {
            ws.close(CloseCode.AuthenticationTimeout, "Authentication timeout");
          }
          events.onOpen?.(event, ws);
        },
        onMessage: (event, ws) => {
          const frame = event.data as string | ArrayBuffer;
          const size = typeof frame === "string" ? frame.length : frame.byteLength;
          if (size > cap && !identityOf(data).admitted) {
            ws.close(CloseCode.MessageTooBig, "Message too big before authentication");
            return;
          }
          events.onMessage?.(event, ws);
        },
        onClose: (event, ws) => {
          this.#tickets.get(data)?.release();
          events.onClose?.(event, ws);
        },
        onError: (event, ws) => events.onError?.(event, ws),
      });
    });
    this.app.post(path, async (c) => {
      const identity = this.#preAuth.get(c.req.raw) ?? this.#initialIdentity();
      if (identity.admitted) return await this.switchboard.fetchHttp(c.req.raw, c);
      // Not authenticated: read at most the pre-auth cap, declared or chunked.
      const body = await readPreAuthBody(c.req.raw, this.config.preAuthMaxMessageSize);
      if (body === undefined) {
        return c.json(httpError(HubErrorCode.Unauthenticated, "Authentication required"), 401);
      }
      return await this.switchboard.fetchHttp(body, c);
    });
  }

  /** A place at the pre-authentication gate, or the refusal (401, 429, 503) to answer. */
  #enterGate(c: Context, expire: () => void): PreAuthTicket | Response {
    const refuse = (status: 401 | 429 | 503, code: number, message: string): Response => {
      this.metrics.upgradesRefused++;
      this.#log.warn(`refused an unauthenticated upgrade: ${message}`);
      return c.json(httpError(code, message), status);
    };
    if (this.config.requireUpgradeAuth) {
      return refuse(401, HubErrorCode.Unauthenticated, "Authentication required");
    }
    const address = this.adapter.remoteAddress?.(c) ?? "unknown";
    const ticket = this.#gate.enter(address, expire);
    if (ticket === "global") {
      return refuse(503, ErrorCode.LimitExceeded, "Too many unauthenticated connections");
    }
    if (ticket === "address") {
      return refuse(429, ErrorCode.LimitExceeded, "Too many unauthenticated connections");
    }
    return ticket;
  }

  #recordError(where: string, error: unknown, client?: string): void {
    const message = error instanceof Error ? error.message : String(error);
    this.metrics.recordError({
      time: Date.now(),
      where,
      message,
      ...(client === undefined ? {} : { client }),
    });
    this.#log.debug(`error in ${where}: ${message}`);
    this.#changed();
  }

  #watch(peer: Peer, on: boolean): void {
    if (on) this.#watchers.add(peer);
    else this.#watchers.delete(peer);
    if (this.#watchers.size > 0 && this.#tick === undefined) {
      // Counters change without events: refresh watchers once a second while any exist.
      this.#tick = setInterval(() => this.#push(), 1000);
    } else if (this.#watchers.size === 0 && this.#tick !== undefined) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
  }

  #changed(): void {
    if (this.#watchers.size === 0 || this.#pushTimer !== undefined) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      this.#push();
    }, 100);
  }

  #push(): void {
    if (this.#watchers.size === 0) return;
    const snapshot = this.snapshot();
    for (const peer of this.#watchers) peer.notify(Method.InspectUpdate, snapshot);
  }
}

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

function httpError(code: number, message: string): unknown {
  return { jsonrpc: "2.0", id: null, error: { code, message } };
}
