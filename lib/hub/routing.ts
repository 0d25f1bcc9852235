/**
 * Routing: clients register procedures on the hub with `rpc.register`; any client may call
 * them as if the hub implemented them, and the hub forwards each call to a registering
 * client's connection.
 *
 * The router plugs into the server registry as its fallback resolver
 * ({@linkcode Registry.setFallback}): a connection's own procedures, then the server's, then
 * the routed ones. So a routed name never shadows a server procedure or an `rpc.` builtin,
 * and no proxy is registered per name.
 *
 * In a cluster (a {@linkcode RoutingEngine} in the options), registrations are also written to
 * the engine, the policy holds cluster-wide, and a call picks round robin among every
 * registration of the name in the cluster: this hub's are called directly, another hub's
 * through the engine (lib/cluster/cluster_routes.ts).
 *
 * @module
 */

import { ClusterRoutes } from "../cluster/cluster_routes.ts";
import type { RoutingEngine } from "../cluster/engine.ts";
import { ErrorCode, HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import type { Peer } from "../peer/peer.ts";
import type { CallContext, RegisteredProcedure, Registry } from "../router/registry.ts";
import { RESERVED_PREFIX } from "../protocol/methods.ts";

/**
 * An OpenRPC method description a registering client may attach (all optional).
 *
 * @example Types only
 * ```ts
 * import type { MethodInfo } from "./routing.ts";
 * const info: MethodInfo = {
 *   description: "Adds two numbers",
 *   params: [{ name: "a", schema: { type: "number" } }, { name: "b", schema: { type: "number" } }],
 *   result: { name: "sum", schema: { type: "number" } },
 * };
 * if (info.params?.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface MethodInfo {
  /** A description. */
  readonly description?: string;
  /** OpenRPC content descriptors of the params. */
  readonly params?: readonly { readonly name: string; readonly schema?: unknown }[];
  /** OpenRPC content descriptor of the result. */
  readonly result?: { readonly name: string; readonly schema?: unknown };
}

/**
 * What the router reports, for metrics and the inspector.
 *
 * @example Types only
 * ```ts
 * import type { RouterEvents } from "./routing.ts";
 * const events: RouterEvents = { onCall: (name, ms, error) => console.log(name, ms, error) };
 * if (events.onCall === undefined) throw new Error("unreachable");
 * ```
 */
export interface RouterEvents {
  /** A routed call finished: its duration in ms, and its error if it failed. */
  readonly onCall?: (name: string, ms: number, error?: unknown) => void;
  /** The set of routed procedures changed. */
  readonly onChange?: () => void;
}

/**
 * Options of a {@linkcode HubRouter}.
 *
 * @example Types only
 * ```ts
 * import type { RouterOptions } from "./routing.ts";
 * const options: RouterOptions = { registration: "roundrobin", timeout: 5_000 };
 * if (options.registration !== "roundrobin") throw new Error("unreachable");
 * ```
 */
export interface RouterOptions {
  /** `single` (default) refuses a name another client holds; `roundrobin` shares it. */
  readonly registration?: "single" | "roundrobin";
  /** Timeout of a forwarded call in ms. Default 30,000. */
  readonly timeout?: number;
  /** Reports. */
  readonly events?: RouterEvents;
  /** The cluster's routing engine, when the hub is part of a cluster. */
  readonly cluster?: RoutingEngine | undefined;
}

interface Route {
  readonly name: string;
  readonly entry: RegisteredProcedure;
  readonly callees: { peer: Peer; info: MethodInfo | undefined }[];
  next: number;
}

/**
 * A summary of one routed procedure.
 *
 * @example Types only
 * ```ts
 * import type { RouteSummary } from "./routing.ts";
 * const s: RouteSummary = { name: "math.add", callees: ["c1"] };
 * if (s.callees[0] !== "c1") throw new Error("unreachable");
 * ```
 */
export interface RouteSummary {
  /** The procedure name. */
  readonly name: string;
  /** Connection ids of the registering clients (`hub/id` for another hub's, in a cluster). */
  readonly callees: readonly string[];
  /** Its description, if the first registrant gave one. */
  readonly info?: MethodInfo;
}

/**
 * The routing table and the forwarding procedure.
 *
 * @example Route calls through a server registry
 * ```ts
 * import { Registry } from "../router/registry.ts";
 * import { HubRouter } from "./routing.ts";
 * const shared = new Registry();
 * const router = new HubRouter(shared);
 * if (shared.has("math.add") || router.inFlight !== 0) throw new Error("nothing routed yet");
 * ```
 */
export class HubRouter {
  readonly #routes = new Map<string, Route>();
  readonly #byPeer = new Map<Peer, Set<string>>();
  readonly #peers = new Map<string, Peer>();
  readonly #forwarders = new Map<string, RegisteredProcedure>();
  readonly #cluster: ClusterRoutes | undefined;
  readonly #shared: Registry;
  readonly #single: boolean;
  readonly #timeout: number;
  readonly #events: RouterEvents;
  #inFlight = 0;

  /**
   * @param shared The server's registry: the router becomes its fallback resolver.
   * @param options Registration policy, timeout, reports.
   */
  constructor(shared: Registry, options: RouterOptions = {}) {
    this.#shared = shared;
    this.#single = (options.registration ?? "single") === "single";
    this.#timeout = options.timeout ?? 30_000;
    this.#events = options.events ?? {};
    this.#cluster = options.cluster === undefined ? undefined : new ClusterRoutes(options.cluster, {
      single: this.#single,
      serve: (callee, name, params, call) => this.#serveLocal(callee, name, params, call),
      onChange: () => this.#events.onChange?.(),
    });
    shared.setFallback((name) => this.#resolve(name));
  }

  /** The cluster's routing, when the hub is part of a cluster. */
  get cluster(): ClusterRoutes | undefined {
    return this.#cluster;
  }

  /** Routed calls awaiting their callee's answer. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** How many names are routed. */
  get size(): number {
    return this.#routes.size;
  }

  /**
   * Register names for a connection.
   *
   * @param peer The registering connection (a WebSocket one: it must be able to be called).
   * @param names The names, each with optional OpenRPC info.
   * @returns The names now registered by this peer.
   * @throws {RpcError} -32602 for a reserved or server-owned name, -32012 when another client
   * (in the cluster) holds it and the policy is `single`, -32015 when the cluster's engine is
   * unreachable.
   */
  async register(
    peer: Peer,
    names: readonly { name: string; info?: MethodInfo }[],
  ): Promise<string[]> {
    for (const { name } of names) this.#check(peer, name);
    const cluster = this.#cluster;
    if (cluster !== undefined) {
      const added: string[] = [];
      try {
        for (const { name, info } of names) {
          if (this.#byPeer.get(peer)?.has(name)) continue;
          await cluster.register(name, peer.info.id, info);
          added.push(name);
        }
      } catch (error) {
        for (const name of added) {
          cluster.unregister(name, peer.info.id).catch(() => {/* The lease ends it. */});
        }
        throw error;
      }
      if (peer.isClosed) {
        for (const name of added) {
          cluster.unregister(name, peer.info.id).catch(() => {/* The lease ends it. */});
        }
        return [];
      }
    }
    for (const { name, info } of names) {
      let route = this.#routes.get(name);
      if (route === undefined) {
        route = { name, entry: this.#forwarder(name), callees: [], next: 0 };
        this.#routes.set(name, route);
      }
      if (route.callees.some((c) => c.peer === peer)) continue;
      route.callees.push({ peer, info });
      let mine = this.#byPeer.get(peer);
      if (mine === undefined) {
        mine = new Set();
        this.#byPeer.set(peer, mine);
        this.#peers.set(peer.info.id, peer);
        peer.closed.then(() => this.unregisterAll(peer));
      }
      mine.add(name);
    }
    this.#events.onChange?.();
    return [...(this.#byPeer.get(peer) ?? [])];
  }

  /**
   * Remove names a connection registered.
   *
   * @param peer The connection.
   * @param names The names.
   * @returns The names that were removed.
   */
  unregister(peer: Peer, names: readonly string[]): string[] {
    const removed: string[] = [];
    const mine = this.#byPeer.get(peer);
    for (const name of names) {
      const route = this.#routes.get(name);
      const index = route?.callees.findIndex((c) => c.peer === peer) ?? -1;
      if (route === undefined || index < 0) continue;
      route.callees.splice(index, 1);
      if (route.callees.length === 0) this.#routes.delete(name);
      mine?.delete(name);
      removed.push(name);
      this.#cluster?.unregister(name, peer.info.id).catch(() => {
        // The engine is down: the entry goes with this hub's lease, or is ignored once the
        // connection is gone (the serving hub answers -32013).
      });
    }
    if (removed.length > 0) this.#events.onChange?.();
    return removed;
  }

  /**
   * Remove everything a connection registered (runs by itself when it closes).
   *
   * @param peer The connection.
   * @returns How many names were removed.
   */
  unregisterAll(peer: Peer): number {
    const mine = this.#byPeer.get(peer);
    if (mine === undefined) return 0;
    this.#byPeer.delete(peer);
    this.#peers.delete(peer.info.id);
    return this.unregister(peer, [...mine]).length;
  }

  /**
   * The routed procedures.
   *
   * @returns One summary per name.
   */
  list(): RouteSummary[] {
    const cluster = this.#cluster;
    if (cluster !== undefined) {
      const byName = new Map<string, { callees: string[]; info: unknown }>();
      for (const entry of cluster.list()) {
        const row = byName.get(entry.name) ?? { callees: [], info: entry.info };
        row.callees.push(entry.hub === cluster.hub ? entry.callee : `${entry.hub}/${entry.callee}`);
        byName.set(entry.name, row);
      }
      return [...byName].map(([name, row]) => ({
        name,
        callees: row.callees,
        ...(row.info === undefined ? {} : { info: row.info as MethodInfo }),
      }));
    }
    return [...this.#routes.values()].map((route) => {
      const info = route.callees[0]?.info;
      return {
        name: route.name,
        callees: route.callees.map((c) => c.peer.info.id),
        ...(info === undefined ? {} : { info }),
      };
    });
  }

  #check(peer: Peer, name: string): void {
    if (typeof name !== "string" || name.length === 0 || name.length > 256) {
      throw new RpcError(
        ErrorCode.InvalidParams,
        "Invalid params",
        "A procedure name must be a string of 1 to 256 characters",
      );
    }
    if (name.startsWith(RESERVED_PREFIX) || this.#shared.names().includes(name)) {
      throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
        reason: "This name belongs to the hub itself",
        name,
      });
    }
    const route = this.#routes.get(name);
    if (this.#single && route !== undefined && !route.callees.some((c) => c.peer === peer)) {
      throw new RpcError(
        HubErrorCode.AlreadyRegistered,
        `Switchboard hub: ${name} is already registered by another client`,
        { name },
      );
    }
  }

  #pick(route: Route): Peer | undefined {
    const n = route.callees.length;
    if (n === 0) return undefined;
    const callee = route.callees[route.next % n]!;
    route.next = (route.next + 1) % n;
    return callee.peer;
  }

  #resolve(name: string): RegisteredProcedure | undefined {
    const local = this.#routes.get(name)?.entry;
    if (local !== undefined || this.#cluster === undefined || name.startsWith(RESERVED_PREFIX)) {
      return local;
    }
    // Another hub may serve it: known names keep their forwarder; an unknown one gets a fresh
    // one (not kept, so unknown names cannot grow the map) that looks it up in the engine.
    const known = this.#forwarders.get(name);
    if (known !== undefined) return known;
    const forwarder = this.#forwarder(name);
    if (this.#cluster.has(name)) this.#forwarders.set(name, forwarder);
    return forwarder;
  }

  /** Run a call on one of this hub's connections (for the cluster, or a local route). */
  async #serveLocal(
    callee: string,
    name: string,
    params: Params | undefined,
    options: { readonly timeout: number; readonly signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    const peer = this.#peers.get(callee);
    if (peer === undefined || !this.#byPeer.get(peer)?.has(name)) {
      throw new RpcError(
        HubErrorCode.CalleeGone,
        `Switchboard hub: the client serving ${name} disconnected before it answered`,
        { procedure: name, callee },
      );
    }
    return await this.#invoke(peer, name, params, options);
  }

  async #invoke(
    callee: Peer,
    name: string,
    params: Params | undefined,
    options: { readonly timeout: number; readonly signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    this.#inFlight++;
    try {
      return await callee.call(name, params, {
        timeout: options.timeout,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (
        callee.isClosed && error instanceof RpcError && error.code === ErrorCode.ConnectionClosed
      ) {
        throw new RpcError(
          HubErrorCode.CalleeGone,
          `Switchboard hub: the client serving ${name} disconnected before it answered`,
          { procedure: name, callee: callee.info.id },
        );
      }
      throw error;
    } finally {
      this.#inFlight--;
    }
  }

  #forwarder(name: string): RegisteredProcedure {
    const handler = async (params: Params | undefined, ctx: CallContext): Promise<unknown> => {
      const started = performance.now();
      try {
        let result: unknown;
        if (this.#cluster !== undefined) {
          this.#inFlight++;
          try {
            result = await this.#cluster.call(name, params, {
              timeout: this.#timeout,
              signal: ctx.signal,
            });
          } finally {
            this.#inFlight--;
          }
        } else {
          const route = this.#routes.get(name);
          const callee = route === undefined ? undefined : this.#pick(route);
          if (callee === undefined) {
            throw new RpcError(ErrorCode.MethodNotFound, "Method not found");
          }
          result = await this.#invoke(callee, name, params, {
            timeout: this.#timeout,
            signal: ctx.signal,
          });
        }
        this.#events.onCall?.(name, performance.now() - started);
        return result;
      } catch (error) {
        this.#events.onCall?.(name, performance.now() - started, error);
        throw error;
      }
    };
    return { name, handler: handler as never, adapt: (params) => params, reserved: false };
  }
}
