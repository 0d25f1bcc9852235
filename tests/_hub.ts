/**
 * Hub fixtures: a hub on 127.0.0.1 port 0 with a given config, and helpers.
 *
 * @module
 */

import { Hub } from "../lib/hub/hub.ts";
import { resolveHubConfig } from "../lib/hub/config.ts";

/** A running test hub. */
export interface TestHub {
  /** The hub. */
  readonly hub: Hub;
  /** `ws://127.0.0.1:PORT/rpc` */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT/rpc` */
  readonly httpUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Shut it down. */
  close(): Promise<void>;
}

/**
 * Start a hub with a config file's content (port 0, silent logs unless given).
 *
 * @param file The config as the JSON file would hold it.
 * @param env Environment overrides.
 * @returns The running hub.
 */
export async function startHub(
  file: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<TestHub> {
  const config = resolveHubConfig(
    { host: "127.0.0.1", port: 0, logLevel: "silent", shutdownTimeout: 2000, ...file },
    env,
  );
  const hub = await Hub.start(config);
  return {
    hub,
    origin: hub.url,
    httpUrl: `${hub.url}${config.path}`,
    wsUrl: `${hub.url.replace("http:", "ws:")}${config.path}`,
    close: () => hub.shutdown(),
  };
}
