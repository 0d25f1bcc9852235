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
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import type { Peer } from "../peer/peer.ts";
import type { CallContext, RegisteredProcedure, Registry } from "../router/registry.ts";
import { HubErrorCode } from "./errors.ts";

/**
 * An OpenRPC method description a registering client may attach (all optional).
 *
 * @example
 * ```ts
 * import type { MethodInfo } from "./router.ts";
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
 * @example
 * ```ts
 * import type { RouterEvents } from "./router.ts";
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
 * @example
 * ```ts
 * import type { RouterOptions } from "./router.ts";
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
 * @example
 * ```ts
 * import type { RouteSummary } from "./router.ts";
 * const s: RouteSummary = { name: "math.add", callees: ["c1"] };
 * if (s.callees[0] !== "c1") throw new Error("unreachable");
 * ```
 */
export interface RouteSummary {
  /** The procedure name. */
  readonly name: string;
  /** Connection ids of the registering clients. */
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
 * import { HubRouter } from "./router.ts";
 * const shared = new Registry();
 * const router = new HubRouter(shared);
 * if (shared.has("math.add") || router.inFlight !== 0) throw new Error("nothing routed yet");
 * ```
 */
export class HubRouter {
  readonly #routes = new Map<string, Route>();
  readonly #byPeer = new Map<Peer, Set<string>>();
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
    shared.setFallback((name) => this.#routes.get(name)?.entry);
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
   * holds it and the policy is `single`.
   */
  register(peer: Peer, names: readonly { name: string; info?: MethodInfo }[]): string[] {
    for (const { name } of names) this.#check(peer, name);
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
    return this.unregister(peer, [...mine]).length;
  }

  /**
   * The routed procedures.
   *
   * @returns One summary per name.
   */
  list(): RouteSummary[] {
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
    if (name.startsWith("rpc.") || this.#shared.names().includes(name)) {
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

  #forwarder(name: string): RegisteredProcedure {
    const handler = async (params: Params | undefined, ctx: CallContext): Promise<unknown> => {
      const route = this.#routes.get(name);
      const callee = route === undefined ? undefined : this.#pick(route);
      if (callee === undefined) {
        throw new RpcError(ErrorCode.MethodNotFound, "Method not found");
      }
      const started = performance.now();
      this.#inFlight++;
      try {
        const result = await callee.call(name, params, {
          timeout: this.#timeout,
          signal: ctx.signal,
        });
        this.#events.onCall?.(name, performance.now() - started);
        return result;
      } catch (error) {
        const elapsed = performance.now() - started;
        if (
          callee.isClosed && error instanceof RpcError && error.code === ErrorCode.ConnectionClosed
        ) {
          const gone = new RpcError(
            HubErrorCode.CalleeGone,
            `Switchboard hub: the client serving ${name} disconnected before it answered`,
            { procedure: name, callee: callee.info.id },
          );
          this.#events.onCall?.(name, elapsed, gone);
          throw gone;
        }
        this.#events.onCall?.(name, elapsed, error);
        throw error;
      } finally {
        this.#inFlight--;
      }
    };
    return { name, handler: handler as never, adapt: (params) => params, reserved: false };
  }
}
