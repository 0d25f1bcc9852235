/**
 * The cluster-routing seam: what routed calls across hubs need from a shared engine (Redis or
 * NATS), and nothing more. Each engine is one file implementing {@linkcode RoutingEngine}
 * (lib/cluster/redis_routing.ts, lib/cluster/nats_routing.ts); the engine-neutral logic
 * (choosing a callee, pending calls, timeouts, cancellation, dead hubs) lives in
 * lib/cluster/cluster_routes.ts. docs/CLUSTER.md describes both designs.
 *
 * @module
 */

import type { Params } from "../protocol/types.ts";

/**
 * One registration in the cluster: a client connection on a hub serving a name.
 *
 * @example Types only
 * ```ts
 * import type { RouteEntry } from "./engine.ts";
 * const entry: RouteEntry = { name: "math.add", hub: "h1", callee: "c7" };
 * if (entry.hub !== "h1") throw new Error("unreachable");
 * ```
 */
export interface RouteEntry {
  /** The procedure name. */
  readonly name: string;
  /** The id of the hub the registering client is connected to. */
  readonly hub: string;
  /** The registering connection's id on that hub. */
  readonly callee: string;
  /** The OpenRPC description it gave, if any. */
  readonly info?: unknown;
}

/**
 * A message between hubs, sent to one hub's inbox as JSON.
 *
 * @example Types only
 * ```ts
 * import type { ClusterMessage } from "./engine.ts";
 * const m: ClusterMessage = { t: "cancel", id: 4, from: "h2" };
 * if (m.t !== "cancel") throw new Error("unreachable");
 * ```
 */
export type ClusterMessage =
  | {
    /** Run `name` on the local connection `callee`; answer to hub `from`. */
    readonly t: "call";
    readonly id: number;
    readonly from: string;
    readonly name: string;
    readonly callee: string;
    readonly params?: Params | undefined;
    /** The caller's remaining timeout in ms (0: none). */
    readonly timeout: number;
  }
  | { readonly t: "result"; readonly id: number; readonly result: unknown }
  | {
    readonly t: "error";
    readonly id: number;
    readonly error: { readonly code: number; readonly message: string; readonly data?: unknown };
  }
  | { readonly t: "cancel"; readonly id: number; readonly from: string };

/**
 * The state of an engine connection, as `/health` shows it.
 *
 * @example Types only
 * ```ts
 * import type { EngineHealth } from "./engine.ts";
 * const h: EngineHealth = { state: "down", detail: "ECONNREFUSED" };
 * if (h.state !== "down") throw new Error("unreachable");
 * ```
 */
export interface EngineHealth {
  /** `up`, `down`, or `connecting` (reconnecting by itself). */
  readonly state: "up" | "down" | "connecting";
  /** The last error, when not up. */
  readonly detail?: string;
}

/**
 * What the cluster's routing needs from an engine: a registry of routes whose entries vanish
 * with their hub (leases), one inbox per hub, and a change feed.
 *
 * @example Types only
 * ```ts
 * import type { RoutingEngine } from "./engine.ts";
 * const methods: (keyof RoutingEngine)[] = ["add", "remove", "lookup", "send"];
 * if (methods.length !== 4) throw new Error("unreachable");
 * ```
 */
export interface RoutingEngine {
  /** This hub's id in the cluster (unique per process start). */
  readonly hub: string;
  /**
   * Add a registration, atomically refusing it under `single` when a live hub's other
   * connection holds the name.
   *
   * @param entry The registration.
   * @param single Refuse when another live registration exists.
   * @returns The holder when refused, else `undefined`.
   */
  add(entry: RouteEntry, single: boolean): Promise<RouteEntry | undefined>;
  /**
   * Remove a registration (idempotent).
   *
   * @param entry The registration.
   */
  remove(entry: RouteEntry): Promise<void>;
  /**
   * The live registrations of a name, read from the engine now.
   *
   * @param name The procedure name.
   * @returns Entries of live hubs only.
   */
  lookup(name: string): Promise<RouteEntry[]>;
  /**
   * Every live registration in the cluster.
   *
   * @returns Entries of live hubs only.
   */
  list(): Promise<RouteEntry[]>;
  /**
   * Whether a hub is alive (its lease is current).
   *
   * @param hub A hub id.
   * @returns True when alive.
   */
  alive(hub: string): Promise<boolean>;
  /**
   * Send a message to a hub's inbox.
   *
   * @param hub The hub id.
   * @param message The message.
   */
  send(hub: string, message: ClusterMessage): Promise<void>;
  /**
   * Receive this hub's messages and the names whose registrations changed.
   *
   * @param onMessage Gets each message to this hub.
   * @param onChange Gets a name whose registrations changed anywhere.
   */
  listen(onMessage: (message: ClusterMessage) => void, onChange: (name: string) => void): void;
  /**
   * The connection's state.
   *
   * @returns Up, down or connecting.
   */
  health(): EngineHealth;
  /** Drop this hub's lease and registrations, and disconnect. */
  close(): Promise<void>;
}
