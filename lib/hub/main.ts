/**
 * The hub's entry point: `deno task start` (= `deno run --allow-net --allow-env --allow-read
 * server.ts`) or `bun server.ts`.
 *
 * Flags: `--host`, `--port`, `--path`, `--config <file.json>`, `--log-level`, `--allowed-hosts`,
 * `--backplane`; the same can come from the environment (`HOST`, `PORT`, `SWITCHBOARD_PATH`,
 * `SWITCHBOARD_CONFIG`, `SWITCHBOARD_LOG_LEVEL`, `SWITCHBOARD_ALLOWED_HOSTS`,
 * `SWITCHBOARD_BACKPLANE`, …; see {@linkcode resolveHubConfig}). SIGINT and SIGTERM shut down
 * gracefully (`node:process` signal events work on Deno and Bun alike).
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import { type HubConfig, resolveHubConfig } from "./config.ts";
import { Hub } from "./hub.ts";

/**
 * Read flags, environment and the config file into a configuration.
 *
 * @param args Command-line arguments (without the runtime and script).
 * @param env The environment.
 * @returns The configuration.
 * @throws {TypeError} On a bad flag or value; {@linkcode SyntaxError} on a bad config file.
 * @example
 * ```ts
 * import { loadHubConfig } from "./main.ts";
 * const config = await loadHubConfig(["--port", "9001"], {});
 * if (config.port !== 9001) throw new Error("unreachable");
 * ```
 */
export async function loadHubConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<HubConfig> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      host: { type: "string" },
      port: { type: "string" },
      path: { type: "string" },
      config: { type: "string" },
      "log-level": { type: "string" },
      "allowed-hosts": { type: "string" },
      backplane: { type: "string" },
    },
    strict: true,
  });
  const file = values.config ?? env.SWITCHBOARD_CONFIG;
  let content: unknown = {};
  if (file !== undefined && file !== "") {
    const text = await readFile(file, "utf8");
    try {
      content = JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`Switchboard hub: config file ${file} is not valid JSON`, {
        cause: error,
      });
    }
  }
  return resolveHubConfig(content, env, {
    host: values.host,
    port: values.port,
    path: values.path,
    logLevel: values["log-level"],
    allowedHosts: values["allowed-hosts"],
    backplane: values.backplane,
  });
}

/** The command that runs the hub on Deno with the permissions it needs, and why each. */
export const DENO_HUB_COMMAND: string = "deno run --allow-net --allow-env --allow-read server.ts";

/**
 * What to tell the user when a runtime refused a permission the hub needs (Deno's
 * `NotCapable` / `PermissionDenied` errors, recognised by name so this file stays
 * runtime-neutral): the exact command to run instead.
 *
 * @param error What was thrown.
 * @returns The hint, or undefined when `error` is not a permission error.
 * @example
 * ```ts
 * import { permissionHint } from "./main.ts";
 * const refused = Object.assign(new Error("Requires env access"), { name: "NotCapable" });
 * if (!permissionHint(refused)?.includes("--allow-env")) throw new Error("unreachable");
 * if (permissionHint(new Error("other")) !== undefined) throw new Error("unreachable");
 * ```
 */
export function permissionHint(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (name !== "NotCapable" && name !== "PermissionDenied") return undefined;
  return `Switchboard hub: ${(error as Error).message}.\n` +
    "The hub needs --allow-net (listen), --allow-env (settings from the environment) and " +
    `--allow-read (the config file). Run:\n  ${DENO_HUB_COMMAND}`;
}

/**
 * Start the hub from the process's arguments and environment, and stop it on SIGINT/SIGTERM.
 *
 * @returns The running hub.
 */
export async function main(): Promise<Hub> {
  let config: HubConfig;
  let hub: Hub;
  try {
    config = await loadHubConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(permissionHint(error) ?? (error instanceof Error ? error.message : error));
    process.exit(2);
  }
  try {
    hub = await Hub.start(config);
  } catch (error) {
    const hint = permissionHint(error);
    if (hint !== undefined) {
      console.error(hint);
      process.exit(2);
    }
    // A bad host, a port in use: one line, as for a bad config.
    console.error(
      `Switchboard hub: cannot listen on ${config.host}:${config.port}: ${
        error instanceof Error ? error.message : error
      }`,
    );
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.error(`${signal}: draining`);
    hub.shutdown().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return hub;
}
