/**
 * The hub's entry (`@switchboard/switchboard/hub`): a ready-made Switchboard server with
 * configuration, auth, topic policy, routed procedures, metrics, an inspector and optional
 * clustering (docs/HUB.md). `server.ts`, run as the main module, starts it with
 * {@linkcode main}; `deploy.ts` serves it under `deno serve`.
 *
 * @example Start a hub on a free port and stop it
 * ```ts
 * import { Hub, resolveHubConfig } from "./mod.ts";
 * const hub = await Hub.start(resolveHubConfig({ port: 0, logLevel: "silent" }, {}));
 * const res = await fetch(`${hub.url}/health`);
 * if (res.status !== 200) throw new Error("unreachable");
 * await res.body?.cancel();
 * await hub.shutdown();
 * ```
 *
 * @module
 */

export { Hub, type HubOptions } from "./hub.ts";
export type { ClusterHealth, HealthyBackplane } from "./cluster.ts";
export {
  type HubConfig,
  type HubFlags,
  type HubPubSubConfig,
  type LogLevel,
  resolveHubConfig,
} from "./config.ts";
export { DENO_HUB_COMMAND, loadHubConfig, main, permissionHint } from "./main.ts";
