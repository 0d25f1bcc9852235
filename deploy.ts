/**
 * The hub as a `deno serve` module (`export default { fetch }`), for Deno Deploy and for any
 * host that runs Deno's serve contract: the same endpoint, `/health`, `/metrics`, inspector
 * and `client.js` as `deno task start`, configured from the environment (`SWITCHBOARD_*`,
 * or `SWITCHBOARD_CONFIG` naming a JSON file; see docs/HUB.md). The host picks the address,
 * so `HOST` and `PORT` are ignored.
 *
 * ```sh
 * deno serve --allow-env --allow-read --port 8000 deploy.ts
 * ```
 *
 * Deno Deploy runs the module in as many isolates as traffic needs, each with its own
 * in-memory broker and routing table: clients on different isolates share topics and
 * procedures only through a backplane, named by `SWITCHBOARD_BACKPLANE` (a `redis://` or
 * `nats://` URL; docs/CLUSTER.md): then every isolate is a hub of one cluster, and needs
 * `--allow-net` for the engine's address.
 *
 * @example Answer a request without a server
 * ```ts ignore
 * import deploy from "./deploy.ts";
 * const res = await deploy.fetch(new Request("http://x/health"));
 * if (res.status !== 200) throw new Error("unreachable");
 * ```
 *
 * @module
 */

import process from "node:process";
import { denoAdapter } from "./lib/adapters/deno.ts";
import { Hub, loadHubConfig } from "./lib/hub/mod.ts";
import { clusterEngines } from "./lib/hub/cluster.ts";

/** The environment, or the command to run when reading it is not allowed. */
function environment(): Record<string, string | undefined> {
  try {
    return { ...process.env };
  } catch (error) {
    throw new Error(
      "Switchboard deploy: reading the environment is not allowed: run " +
        "`deno serve --allow-env --allow-read deploy.ts` (--allow-read only for SWITCHBOARD_CONFIG)",
      { cause: error },
    );
  }
}

const env = environment();
const config = await loadHubConfig([], env);

/** The hub this module serves: with `SWITCHBOARD_BACKPLANE`, one hub of a cluster. */
export const hub: Hub = new Hub(config, denoAdapter, await clusterEngines(config));

// A clustered hub holds connections to its engine, which would keep the process alive after
// `deno serve` stops listening: drain and close them on the signals that stop it.
if (config.backplane !== undefined) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void hub.shutdown().finally(() => process.exit(0)));
  }
}

/** `deno serve`'s contract: one `fetch` handler. */
const server: { fetch(request: Request): Response | Promise<Response> } = {
  fetch: (request) => hub.app.fetch(request),
};

export default server;
