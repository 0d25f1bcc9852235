/**
 * A terminal client for any hub: `deno task cli <command> <url> …` (or
 * `bun lib/hub/cli.ts …`).
 *
 * ```
 * call <url> <method> [json-params]   call a procedure, print its result as JSON
 * discover <url>                      list the procedures the hub shows you
 * publish <url> <topic> <json>        publish an event, print its sequence number
 * subscribe <url> <topic-or-pattern>  print events, one per line: <topic> #<seq> <json>
 * Options: --token <t> (sent in rpc.hello), --timeout <ms> (call timeout, default 10000;
 * for subscribe: stop listening after it), --count <n> (subscribe: stop after n events),
 * --since <seq> (subscribe: resume after seq), --echo (publish: deliver to yourself too)
 * ```
 *
 * The URL may be `ws://host:port/rpc`, `http://host:port/rpc` or just `host:port` (then
 * `/rpc`). Exit codes: 0 success, 1 the call failed (or `--count` was not reached before
 * `--timeout`), 2 bad usage or no connection. `subscribe` runs until Ctrl-C, `--count` or
 * `--timeout`.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type Client, connect } from "../../client.ts";
import { RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";

const USAGE = `usage: cli <command> <url> [args] [--token T] [--timeout MS]
  call <url> <method> [json-params]   call a procedure and print its result
  discover <url>                      list the procedures you may call
  publish <url> <topic> <json>        publish an event [--echo]
  subscribe <url> <topic-or-pattern>  print events until Ctrl-C [--count N] [--since SEQ]`;

const OPTIONS = {
  token: { type: "string" },
  timeout: { type: "string" },
  count: { type: "string" },
  since: { type: "string" },
  echo: { type: "boolean" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
type Out = (line: string) => void;

/** A command after parsing: what to do once connected. */
type Command = (client: Client, out: Out, err: Out) => Promise<number>;

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
 * @param err Where errors and status lines go (stderr).
 * @returns The exit code.
 */
export async function runCli(
  argv: readonly string[],
  out: Out = (line) => console.log(line),
  err: Out = (line) => console.error(line),
): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: OPTIONS,
    }));
  } catch (error) {
    err(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  const [name, url, ...rest] = positionals;
  const command = url === undefined ? "" : parseCommand(name, rest, values);
  if (typeof command === "string") {
    err(command === "" ? USAGE : `${command}\n${USAGE}`);
    return 2;
  }
  const timeout = number(values.timeout) ?? 10_000;
  const client = connect(toWebSocketUrl(url!), { timeout });
  try {
    await Promise.race([
      client.ready,
      client.closed.then((info) => {
        throw new Error(`cannot connect to ${url} (close ${info.code} ${info.reason})`);
      }),
    ]);
    if (values.token !== undefined) {
      await client.call("rpc.hello", { token: values.token, client: "switchboard-cli" });
    }
    return await command(client, out, err);
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

function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : Number.NaN;
}

function json(text: string, what: string): { value: unknown } | string {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return `${what} must be JSON: ${text}`;
  }
}

function parseCommand(
  name: string | undefined,
  rest: readonly string[],
  values: Values,
): Command | string {
  for (const key of ["timeout", "count", "since"] as const) {
    if (Number.isNaN(number(values[key]))) return `--${key} must be a non-negative integer`;
  }
  switch (name) {
    case "discover":
      return async (client, out) => {
        const doc = await client.call("rpc.discover") as {
          methods: { name: string; description?: string }[];
        };
        for (const m of doc.methods) out(m.description ? `${m.name}  ${m.description}` : m.name);
        return 0;
      };
    case "call": {
      const method = rest[0];
      if (method === undefined) return "";
      let params: Params | undefined;
      if (rest[1] !== undefined) {
        const parsed = json(rest[1], "params");
        if (typeof parsed === "string") return parsed;
        if (typeof parsed.value !== "object" || parsed.value === null) {
          return "params must be a JSON array or object";
        }
        params = parsed.value as Params;
      }
      return async (client, out) => {
        out(JSON.stringify(await client.call(method, params), null, 2));
        return 0;
      };
    }
    case "publish": {
      const [topic, text] = rest;
      if (topic === undefined || text === undefined) return "";
      const data = json(text, "data");
      if (typeof data === "string") return data;
      return async (client, out) => {
        const seq = await client.publish(topic, data.value, { echo: values.echo === true });
        out(`published ${topic} #${seq}`);
        return 0;
      };
    }
    case "subscribe": {
      const topic = rest[0];
      if (topic === undefined) return "";
      return (client, out, err) =>
        subscribe(client, topic, {
          out,
          err,
          count: number(values.count),
          since: number(values.since),
          duration: number(values.timeout),
        });
    }
    default:
      return "";
  }
}

interface Listen {
  readonly out: Out;
  readonly err: Out;
  readonly count: number | undefined;
  readonly since: number | undefined;
  readonly duration: number | undefined;
}

/**
 * Print events until `count` of them arrived, `duration` ms passed, Ctrl-C, or the
 * connection closed.
 */
async function subscribe(client: Client, topic: string, listen: Listen): Promise<number> {
  const { out, err, count } = listen;
  let seen = 0;
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => stop = resolve);
  const sub = client.subscribe(topic, (data, event) => {
    if (count !== undefined && seen >= count) return;
    seen++;
    const seq = event.seq === undefined ? "" : ` #${event.seq}`;
    out(`${event.topic}${seq} ${JSON.stringify(data)}`);
    if (seen === count) stop(0);
  }, {
    ...(listen.since === undefined ? {} : { since: listen.since }),
    onGap: (gap) =>
      err(`gap: events after #${gap.since} are gone (${gap.reason}); live from #${gap.seq}`),
  });
  const result = await sub.ready;
  err(
    `subscribed to ${result.topic} at #${result.seq}` +
      (result.replayed === undefined ? "" : `, ${result.replayed} replayed`),
  );
  const onSignal = (): void => stop(0);
  process.once("SIGINT", onSignal);
  const timer = listen.duration === undefined ? undefined : setTimeout(() => {
    if (count !== undefined) err(`timed out after ${seen} of ${count} events`);
    stop(count === undefined ? 0 : 1);
  }, listen.duration);
  let done = false;
  client.closed.then((info) => {
    if (done) return;
    err(`connection closed (${info.code} ${info.reason})`);
    stop(2);
  });
  try {
    return await stopped;
  } finally {
    done = true;
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
  }
}

if (import.meta.main) {
  process.exit(await runCli(process.argv.slice(2)));
}
