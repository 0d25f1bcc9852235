/**
 * The hub: a Switchboard that routes calls between its clients, authenticates them, applies
 * rules, and serves health, metrics and an inspector page. Runtime-neutral: a
 * {@linkcode RuntimeAdapter} serves it.
 *
 * @module
 */

import process from "node:process";
import { Hono } from "hono";
import type { RunningServer, RuntimeAdapter } from "../server/host.ts";
import { HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { Peer } from "../peer/peer.ts";
import type { RoutingEngine } from "../cluster/engine.ts";
import type { AuthorizeRequest } from "../pubsub/broker.ts";
import { MemoryBackplane } from "../pubsub/memory_backplane.ts";
import { isPattern } from "../pubsub/topic_name.ts";
import { Switchboard } from "../server/switchboard.ts";
import { HostGuard } from "../server/host_guard.ts";
import { PreAuthGate, type PreAuthTicket } from "./pre_auth.ts";
import { ExpiryWatch } from "./expiry.ts";
import { VERSION } from "../version.ts";
import { Authenticator } from "./auth.ts";
import {
  clusterEngines,
  type ClusterHealth,
  clusterHealth,
  type HealthyBackplane,
  redact,
  refusing,
} from "./cluster.ts";
import type { HubConfig } from "./config.ts";
import { Logger } from "./log.ts";
import { HubMetrics } from "./metrics.ts";
import { type Identity, Policy, type Rule } from "./policy.ts";
import { forbidden, identityOf, POLICED_BUILTINS, registerHubProcedures } from "./procedures.ts";
import { HubRouter, type MethodInfo } from "./routing.ts";
import { type TopicRow, TopicTracker } from "./topics.ts";
import { Method, RESERVED_PREFIX } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import { mountHubRoutes } from "./http_routes.ts";
import { Watchers } from "./watchers.ts";

/**
 * Options of a {@linkcode Hub} besides its config.
 *
 * @example Types only
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
  readonly #watchers: Watchers = new Watchers(() => this.snapshot());
  readonly #started = Date.now();
  readonly #backplane: HealthyBackplane | undefined;
  #server: RunningServer | undefined;
  #draining = false;
  #closing: Promise<void> | undefined;

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
        this.#watchers.forget(peer);
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
      watch: (peer, on) => this.#watchers.watch(peer, on),
      changed: () => this.#changed(),
      authenticated: (data, id) => this.#authenticated(data, id),
    });
    mountHubRoutes(this.app, {
      config,
      adapter,
      switchboard: this.switchboard,
      metrics: this.metrics,
      router: this.router,
      log: this.#log,
      guard: this.#guard,
      auth: this.#auth,
      gate: this.#gate,
      data: this.#data,
      preAuth: this.#preAuth,
      tickets: this.#tickets,
      draining: () => this.#draining,
      clusterHealth: () => this.clusterHealth(),
      initialIdentity: () => this.#initialIdentity(),
    });
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
    this.#watchers.stop();
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

  #changed(): void {
    this.#watchers.changed();
  }
}
