/**
 * A terminal client for any hub: `deno task cli <command> <url> …` (or
 * `bun lib/hub/cli.ts …`).
 *
 * ```
 * call <url> <method> [json-params]   call a procedure, print its result as JSON
 * discover <url>                      list the procedures the hub shows you
 * publish / subscribe                 need the pub/sub broker (not yet available)
 * Options: --token <t> (sent in rpc.hello), --timeout <ms> (default 10000)
 * ```
 *
 * The URL may be `ws://host:port/rpc`, `http://host:port/rpc` or just `host:port` (then
 * `/rpc`). Exit codes: 0 success, 1 the call failed, 2 bad usage or no connection.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { connect } from "../../client.ts";
import { RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";

const USAGE = `usage: cli <command> <url> [args] [--token T] [--timeout MS]
  call <url> <method> [json-params]   call a procedure and print its result
  discover <url>                      list the procedures you may call
  publish <url> <topic> <json>        (needs the pub/sub broker: not yet available)
  subscribe <url> <pattern>           (needs the pub/sub broker: not yet available)`;

/**
 * Turn what the user typed into a WebSocket URL.
 *
 * @param input `ws(s)://…`, `http(s)://…` or `host:port`.
 * @returns The WebSocket URL.
 * @example
 * ```ts
 * import { toWebSocketUrl } from "./cli.ts";
 * if (toWebSocketUrl("127.0.0.1:8000") !== "ws://127.0.0.1:8000/rpc") throw new Error("x");
 * if (toWebSocketUrl("https://h/rpc") !== "wss://h/rpc") throw new Error("unreachable");
 * ```
 */
export function toWebSocketUrl(input: string): string {
  if (/^wss?:\/\//.test(input)) return input;
  if (/^https?:\/\//.test(input)) return input.replace(/^http/, "ws");
  return `ws://${input}/rpc`;
}

/**
 * Run the CLI.
 *
 * @param argv The arguments after the script name.
 * @param out Where results go (stdout).
 * @param err Where errors go (stderr).
 * @returns The exit code.
 */
export async function runCli(
  argv: readonly string[],
  out: (line: string) => void = (line) => console.log(line),
  err: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { token: { type: "string" }, timeout: { type: "string" } },
    });
  } catch (error) {
    err(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  const [command, url, ...rest] = parsed.positionals;
  if (command === "publish" || command === "subscribe") {
    err(`${command}: this hub build has no pub/sub broker yet (topics arrive with issue 3)`);
    return 2;
  }
  if ((command !== "call" && command !== "discover") || url === undefined) {
    err(USAGE);
    return 2;
  }
  let method = "rpc.discover";
  let params: Params | undefined;
  if (command === "call") {
    if (rest[0] === undefined) {
      err(USAGE);
      return 2;
    }
    method = rest[0];
    if (rest[1] !== undefined) {
      try {
        params = JSON.parse(rest[1]);
      } catch {
        err(`params must be JSON (an array or an object): ${rest[1]}`);
        return 2;
      }
      if (typeof params !== "object" || params === null) {
        err("params must be a JSON array or object");
        return 2;
      }
    }
  }
  const timeout = Number(parsed.values.timeout ?? 10_000);
  const client = connect(toWebSocketUrl(url), { timeout });
  try {
    await Promise.race([
      client.ready,
      client.closed.then((info) => {
        throw new Error(`cannot connect to ${url} (close ${info.code} ${info.reason})`);
      }),
    ]);
    if (parsed.values.token !== undefined) {
      await client.call("rpc.hello", { token: parsed.values.token, client: "switchboard-cli" });
    }
    const result = await client.call(method, params);
    if (command === "discover") {
      const doc = result as { methods: { name: string; description?: string }[] };
      for (const m of doc.methods) out(m.description ? `${m.name}  ${m.description}` : m.name);
    } else {
      out(JSON.stringify(result, null, 2));
    }
    return 0;
  } catch (error) {
    if (error instanceof RpcError) {
      err(`error ${error.code}: ${error.message}`);
      if (error.data !== undefined) err(JSON.stringify(error.data, null, 2));
      return 1;
    }
    err(error instanceof Error ? error.message : String(error));
    return 2;
  } finally {
    client.close();
  }
}

if (import.meta.main) {
  process.exit(await runCli(process.argv.slice(2)));
}
