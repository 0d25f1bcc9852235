/**
 * The hub's entry point: `deno task start` (= `deno run -A server.ts`) or `bun server.ts`.
 *
 * Flags: `--host`, `--port`, `--path`, `--config <file.json>`, `--log-level`, `--backplane`;
 * the same can come from the environment (`HOST`, `PORT`, `SWITCHBOARD_PATH`,
 * `SWITCHBOARD_CONFIG`, `SWITCHBOARD_LOG_LEVEL`, `SWITCHBOARD_BACKPLANE`, …; see {@linkcode resolveHubConfig}). SIGINT and SIGTERM shut down
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
    backplane: values.backplane,
  });
}

/**
 * Start the hub from the process's arguments and environment, and stop it on SIGINT/SIGTERM.
 *
 * @returns The running hub.
 */
export async function main(): Promise<Hub> {
  let config: HubConfig;
  try {
    config = await loadHubConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  const hub = await Hub.start(config);
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
