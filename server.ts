/**
 * The Switchboard server: mount JSON-RPC 2.0 over WebSocket and HTTP POST on any path of a
 * Hono app, on Deno, Bun or Node 22+.
 *
 * Run as the main module (`deno task start`), it starts the hub (docs/HUB.md) on
 * 127.0.0.1:8000 at `/rpc` (`HOST`, `PORT`, `--config` and more override), with `GET /health`,
 * `GET /metrics` and an inspector page at `GET /`.
 *
 * @example Serve procedures on the current runtime
 * ```ts ignore
 * import { serve, Switchboard } from "./server.ts";
 * const sb = new Switchboard();
 * sb.register("add", ([a, b]: number[]) => a! + b!);
 * const server = await serve(sb, { port: 8000 });
 * console.log(`listening on ${server.url}/rpc`);
 * ```
 *
 * @example Mount on your own Hono app
 * ```ts ignore
 * import { Hono } from "hono";
 * import { Switchboard, switchboardRoutes } from "./server.ts";
 * import { denoAdapter } from "./lib/adapters/deno.ts";
 * const sb = new Switchboard();
 * const app = new Hono();
 * app.route("/api/rpc", switchboardRoutes(sb, denoAdapter.upgradeWebSocket));
 * Deno.serve(app.fetch);
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import type { RunningServer, RuntimeAdapter } from "./lib/adapters/adapter.ts";
import { detectAdapter } from "./lib/adapters/detect.ts";
import { isMainModule } from "./lib/adapters/main_module.ts";
import { switchboardRoutes } from "./lib/server/routes.ts";
import { HostGuard } from "./lib/server/host_guard.ts";
import type { Switchboard } from "./lib/server/switchboard.ts";

export { Switchboard, type SwitchboardOptions } from "./lib/server/switchboard.ts";
export { DEFAULT_SERVER_HEARTBEAT, type ServerHeartbeatOptions } from "./lib/server/heartbeat.ts";
export { switchboardRoutes } from "./lib/server/routes.ts";
export { HostGuard, type HostGuardOptions } from "./lib/server/host_guard.ts";
export type {
  ServiceFactory,
  ServiceInstance,
  ServiceOptions,
  ServiceSession,
} from "./lib/server/service.ts";
export type { AuthorizeRequest, Broker, BrokerOptions } from "./lib/pubsub/broker.ts";
export type { Backplane, BackplaneStream } from "./lib/pubsub/backplane.ts";
export { MemoryBackplane, type MemoryBackplaneOptions } from "./lib/pubsub/memory_backplane.ts";
export type { TopicHandle, TopicStart } from "./lib/pubsub/lazy.ts";
export type { PubSubLimits } from "./lib/pubsub/limits.ts";
export type { ReplayOptions, ReplayResult, TopicEvent } from "./lib/pubsub/replay.ts";
export {
  type EventParams,
  type Gap,
  PubSubErrorCode,
  PubSubMethod,
  SLOW_CONSUMER_CLOSE,
  type SubscribeResult,
} from "./lib/pubsub/protocol.ts";
export { guardStateTopics, States, type TopicAuthorizer } from "./lib/state/states.ts";
export {
  ServerState,
  type StateMethodHandler,
  type StateOptions,
} from "./lib/state/server_state.ts";
export {
  isStateTopic,
  STATE_TOPIC_PREFIX,
  StateMethod,
  type StatePatch,
  type StateSnapshot,
  stateTopic,
  type StateValue,
} from "./lib/state/protocol.ts";
export type {
  ListenOptions,
  RunningServer,
  RuntimeAdapter,
  RuntimeTopics,
} from "./lib/adapters/adapter.ts";
export type { FanoutPort } from "./lib/pubsub/runtime_fanout.ts";
export { detectAdapter } from "./lib/adapters/detect.ts";
/**
 * @deprecated The hub has its own entry: import `Hub`, `resolveHubConfig` and their types from
 * `@switchboard/switchboard/hub` (lib/hub/mod.ts). Kept here for compatibility.
 */
export {
  type ClusterHealth,
  type HealthyBackplane,
  Hub,
  type HubConfig,
  type HubOptions,
  resolveHubConfig,
} from "./lib/hub/mod.ts";
export {
  type BatchEntry,
  type CallOptions,
  Peer,
  type PeerOptions,
  type StreamOptions,
} from "./lib/peer/peer.ts";
export { CloseCode, type CloseInfo } from "./lib/peer/transport.ts";
export { type BackpressureOptions, DEFAULT_BACKPRESSURE } from "./lib/server/backpressure.ts";
export {
  DEFAULT_RATE_LIMIT,
  RATE_LIMIT_CLOSE,
  type RateLimitOptions,
} from "./lib/server/rate_limit.ts";
export * from "./lib/shared.ts";

/**
 * Options of {@linkcode serve}.
 *
 * @example Types only
 * ```ts
 * import type { ServeOptions } from "./server.ts";
 * const options: ServeOptions = { hostname: "127.0.0.1", port: 0, path: "/rpc" };
 * if (options.path !== "/rpc") throw new Error("unreachable");
 * ```
 */
export interface ServeOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port; 0 picks a free one. Default 8000. */
  readonly port?: number;
  /** Path of the endpoint (WebSocket and POST). Default `/rpc`. */
  readonly path?: string;
  /** An app of yours to mount on; other routes stay yours. Default: a new Hono app. */
  readonly app?: Hono;
  /** The runtime adapter. Default: the current runtime's. */
  readonly adapter?: RuntimeAdapter;
  /**
   * `Host` values served besides the bound address (public names behind a proxy:
   * `rpc.example.com`, `rpc.example.com:8443`, `.example.com`); `"*"` turns the check off.
   * Others get 403 (DNS rebinding protection; see {@linkcode HostGuard}). Default none.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Browser origins allowed besides the server's own hosts; `"*"` allows any. A request
   * whose `Origin` is neither gets 403. Default none.
   */
  readonly origins?: readonly string[];
}

/**
 * Serve a Switchboard on the current runtime (Deno, Bun or Node 22+). Requests to the endpoint whose
 * `Host` is not the bound address (or listed in `allowedHosts`), or whose browser `Origin` is
 * neither one of those hosts nor listed in `origins`, get 403 (DNS rebinding protection).
 *
 * @param switchboard The server.
 * @param options Where to listen and mount.
 * @returns The running server; `close()` stops it.
 * @example
 * ```ts
 * import { serve, Switchboard } from "./server.ts";
 * const server = await serve(new Switchboard(), { port: 0 });
 * const res = await fetch(`${server.url}/rpc`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: '{"jsonrpc":"2.0","id":1,"method":"nope"}',
 * });
 * if ((await res.json()).error.code !== -32601) throw new Error("unreachable");
 * await server.close();
 * ```
 */
export async function serve(
  switchboard: Switchboard,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const adapter = options.adapter ?? await detectAdapter();
  const app = options.app ?? new Hono();
  const path = options.path ?? "/rpc";
  const guard = new HostGuard({ allowedHosts: options.allowedHosts, origins: options.origins });
  app.use(path, guard.middleware);
  app.use(`${path}/*`, guard.middleware);
  app.route(path, switchboardRoutes(switchboard, adapter.upgradeWebSocket));
  const hostname = options.hostname ?? "127.0.0.1";
  const server = await adapter.serve(app, {
    hostname,
    port: options.port ?? 8000,
    maxMessageSize: switchboard.maxFrameSize,
    maxBufferedBytes: switchboard.backpressure.maxBufferedBytes,
  });
  guard.bind(hostname, server.port);
  return {
    ...server,
    close: async () => {
      switchboard.closeAll();
      await server.close();
    },
  };
}

if (isMainModule(import.meta)) {
  // Not awaited at top level: keeps this module's evaluation free of the hub's start-up.
  import("./lib/hub/mod.ts").then((hub) => hub.main());
}
