/**
 * The hub's side of a cluster: connecting the engines named by `backplane`, the state `/health`,
 * `/metrics` and the inspector show, and refusing (not dropping) a publish the engine could not
 * store. docs/CLUSTER.md describes clusters.
 *
 * @module
 */

import type { ConnectBackplaneOptions } from "../pubsub/connect_backplane.ts";
import type { HubConfig } from "./config.ts";
import type { ClusterRoutes } from "../cluster/cluster_routes.ts";
import type { RoutingEngine } from "../cluster/engine.ts";
import { HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { Backplane } from "../pubsub/backplane.ts";

/**
 * A backplane that reports its connection's state.
 *
 * @example Types only
 * ```ts
 * import type { HealthyBackplane } from "./cluster.ts";
 * const state: ReturnType<HealthyBackplane["health"]>["state"] = "up";
 * if (state !== "up") throw new Error("unreachable");
 * ```
 */
export type HealthyBackplane = Backplane & {
  health(): { state: "up" | "down" | "connecting"; detail?: string };
};

/**
 * The cluster's state of a hub.
 *
 * @param backplane The shared backplane, if any.
 * @param routes The cluster's routing, if any.
 * @returns The state, with `degraded` true when an engine is not up; `undefined` for a single hub.
 * @example
 * ```ts
 * import { clusterHealth } from "./cluster.ts";
 * if (clusterHealth(undefined, undefined) !== undefined) throw new Error("unreachable");
 * ```
 */
export function clusterHealth(
  backplane: HealthyBackplane | undefined,
  routes: ClusterRoutes | undefined,
): ClusterHealth | undefined {
  const shared = backplane?.health();
  if (shared === undefined && routes === undefined) return undefined;
  const routing = routes?.health();
  return {
    hub: routes?.hub ?? "",
    degraded: (shared !== undefined && shared.state !== "up") ||
      (routing !== undefined && routing.state !== "up"),
    ...(shared === undefined ? {} : { backplane: shared }),
    ...(routing === undefined ? {} : { routing }),
  };
}

/**
 * A clustered hub's state (`/health` field `cluster`).
 *
 * @example Types only
 * ```ts
 * import type { ClusterHealth } from "./cluster.ts";
 * const h: ClusterHealth = { hub: "a1", degraded: true, backplane: { state: "down" } };
 * if (!h.degraded) throw new Error("unreachable");
 * ```
 */
export interface ClusterHealth {
  /** This hub's id in the cluster. */
  readonly hub: string;
  /** True when the backplane or the routing engine is not up: local traffic still flows. */
  readonly degraded: boolean;
  /** The backplane's connection. */
  readonly backplane?: { readonly state: string; readonly detail?: string };
  /** The routing engine's connection. */
  readonly routing?: { readonly state: string; readonly detail?: string };
}

/** Events kept per topic by a clustered hub's backplane when `pubsub.replay.size` is 0. */
const CLUSTER_REPLAY_SIZE = 1_000;

/**
 * The engines a hub's config asks for: none for a single hub; else its backplane and routing
 * engine, connected, the backplane keeping the hub's replay settings (1,000 events per topic
 * when replay is off: resuming on another hub after a failover is replay).
 *
 * @param config The hub's config.
 * @returns What to pass to `new Hub(config, adapter, engines)`.
 * @example A single hub needs no engine
 * ```ts
 * import { clusterEngines } from "./cluster.ts";
 * import { resolveHubConfig } from "./config.ts";
 * const engines = await clusterEngines(resolveHubConfig({}));
 * if (engines.backplane !== undefined) throw new Error("unreachable");
 * ```
 */
export async function clusterEngines(
  config: HubConfig,
): Promise<{ backplane?: HealthyBackplane; routing?: RoutingEngine }> {
  if (config.backplane === undefined) return {};
  const replay = config.pubsub.replay;
  return await connectCluster(config.backplane, {
    replay: replay.size > 0 ? replay : { size: CLUSTER_REPLAY_SIZE, maxAge: replay.maxAge },
  });
}

/**
 * Connect the backplane and the routing engine a `backplane` URL names.
 *
 * @param url `redis://…`, `nats://…` or `memory:`.
 * @param options The hub's replay settings (retention lives in a remote backplane).
 * @returns The engines (no routing engine for `memory:`).
 */
export async function connectCluster(
  url: string,
  options: ConnectBackplaneOptions = {},
): Promise<{ backplane: HealthyBackplane; routing?: RoutingEngine }> {
  const { connectBackplane } = await import("../pubsub/connect_backplane.ts");
  const { connectRouting } = await import("../cluster/connect_routing.ts");
  const backplane = await connectBackplane(url, options);
  const routing = await connectRouting(url);
  return routing === undefined ? { backplane } : { backplane, routing };
}

/**
 * The cluster's lines of `/metrics`.
 *
 * @param health The cluster's state (none: no lines).
 * @param procedures Routed names in the cluster.
 * @returns Prometheus text.
 * @example
 * ```ts
 * import { clusterMetrics } from "./cluster.ts";
 * if (clusterMetrics(undefined, 0) !== "") throw new Error("unreachable");
 * ```
 */
export function clusterMetrics(health: ClusterHealth | undefined, procedures: number): string {
  if (health === undefined) return "";
  const up = (state: string | undefined): number => state === "up" ? 1 : 0;
  return [
    "# HELP switchboard_backplane_up Whether the cluster's backplane connection is up.",
    "# TYPE switchboard_backplane_up gauge",
    `switchboard_backplane_up ${up(health.backplane?.state)}`,
    "# HELP switchboard_cluster_routing_up Whether the cluster-routing engine connection is up.",
    "# TYPE switchboard_cluster_routing_up gauge",
    `switchboard_cluster_routing_up ${up(health.routing?.state)}`,
    "# HELP switchboard_cluster_procedures Routed procedure names registered in the whole cluster.",
    "# TYPE switchboard_cluster_procedures gauge",
    `switchboard_cluster_procedures ${procedures}`,
    "",
  ].join("\n");
}

/**
 * A shared backplane whose failed publishes reject with -32015 for the publisher.
 *
 * @param backplane The backplane.
 * @returns The same backplane, refusing instead of failing.
 */
export function refusing(backplane: HealthyBackplane): Backplane {
  return {
    publish: async (topic, data, exclude) => {
      try {
        return await backplane.publish(topic, data, exclude);
      } catch (error) {
        throw new RpcError(
          HubErrorCode.ClusterUnavailable,
          "Switchboard hub: the event could not be stored: the cluster engine is unavailable",
          { topic, reason: error instanceof Error ? error.message : String(error) },
        );
      }
    },
    stream: (listener) => backplane.stream(listener),
    replay: (topic, since) => backplane.replay(topic, since),
    close: () => backplane.close(),
  };
}

/**
 * A URL without its credentials, for logs.
 *
 * @param url The URL.
 * @returns It with `user:pass@` masked.
 * @example
 * ```ts
 * import { redact } from "./cluster.ts";
 * if (redact("redis://u:p@h:1") !== "redis://***@h:1") throw new Error("unreachable");
 * ```
 */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
