/**
 * A terminal client for any hub: `deno task cli <command> <url> …` (or
 * `bun lib/cli/cli.ts …`).
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
 * The URL may be `ws://host:port/rpc`, `http://host:port/rpc`, `host:port` (then `/rpc`) or
 * `host:port/path`. Exit codes: 0 success, 1 the call failed (or `--count` was not reached
 * before `--timeout`), 2 bad usage, no connection, or the connection closed. The CLI never
 * reconnects. `subscribe` runs until Ctrl-C, `--count`, `--timeout` or the hub closes.
 * `--help` (alone or after a command) prints the usage.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type Client, connect } from "../client/client.ts";
import { RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import { Method } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";

const COMMANDS = {
  call: {
    usage: "call <url> <method> [json-params]",
    help: "Call a procedure and print its result as JSON (exit 1 on a JSON-RPC error).",
  },
  discover: {
    usage: "discover <url>",
    help: "List the procedures the hub shows you, with their descriptions.",
  },
  publish: {
    usage: "publish <url> <topic> <json> [--echo]",
    help: "Publish an event and print its sequence number (--echo: deliver it to you too).",
  },
  subscribe: {
    usage: "subscribe <url> <topic-or-pattern> [--count N] [--since SEQ]",
    help: "Print events, one per line (<topic> #<seq> <json>), until Ctrl-C, --count N events, " +
      "--timeout MS, or the hub closes the connection (exit 2).",
  },
} as const;

const COMMON = `options:
  --token T      authenticate with token T (sent in rpc.hello)
  --timeout MS   connect and call timeout (default 10000); subscribe: stop listening after it
  --help         this text
url: ws://host:port/path, wss://…, http(s)://… (turned into ws(s)), or host:port[/path]
     (host:port alone means host:port/rpc)
exit codes: 0 success, 1 the call failed (a JSON-RPC error, or --count not reached in
--timeout), 2 bad usage, cannot connect, or the connection closed`;

const USAGE = `usage: cli <command> <url> [args] [options]
${Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(60)}\n      ${c.help}`).join("\n")}
${COMMON}`;

function commandUsage(name: keyof typeof COMMANDS): string {
  return `usage: cli ${COMMANDS[name].usage} [options]\n${COMMANDS[name].help}\n${COMMON}`;
}

const OPTIONS = {
  token: { type: "string" },
  timeout: { type: "string" },
  count: { type: "string" },
  since: { type: "string" },
  echo: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
type Out = (line: string) => void;

/** A command after parsing: what to do once connected. */
type Command = (client: Client, out: Out, err: Out) => Promise<number>;

/**
 * Turn what the user typed into the hub's WebSocket URL, or explain why it is not one.
 *
 * Accepted: `ws://` and `wss://` URLs as they are; `http://` and `https://` URLs turned into
 * `ws://` and `wss://`; `host:port` (then the path `/rpc`) and `host:port/path` (the path as
 * given). A bare host with no port and any other scheme are refused.
 *
 * @param input What the user typed.
 * @returns The WebSocket URL.
 * @throws {TypeError} When `input` is not one of the accepted forms.
 * @example Each accepted form
 * ```ts
 * import { hubSocketUrl } from "./cli.ts";
 * if (hubSocketUrl("127.0.0.1:8000") !== "ws://127.0.0.1:8000/rpc") throw new Error("x");
 * if (hubSocketUrl("127.0.0.1:8000/x") !== "ws://127.0.0.1:8000/x") throw new Error("x");
 * if (hubSocketUrl("https://h/rpc") !== "wss://h/rpc") throw new Error("unreachable");
 * let refused = false;
 * try { hubSocketUrl("ftp://h/rpc"); } catch { refused = true; }
 * if (!refused) throw new Error("unreachable");
 * ```
 */
export function hubSocketUrl(input: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  const text = scheme === undefined ? `ws://${input}` : input;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`not a hub URL: ${input}`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new TypeError(
      `not a hub URL: ${input} (use ws://, wss://, http://, https:// or host:port)`,
    );
  }
  if (url.hostname === "") throw new TypeError(`not a hub URL: ${input} (no host)`);
  if (scheme === undefined) {
    if (url.port === "" && !/:\d+(\/|$)/.test(input)) {
      throw new TypeError(`not a hub URL: ${input} (write host:port, e.g. 127.0.0.1:8000)`);
    }
    if (url.pathname === "/" && !input.endsWith("/")) url.pathname = "/rpc";
  }
  return url.href;
}

/**
 * Run the CLI. The client does not reconnect: a hub that cannot be reached, refuses the
 * socket or closes it ends the command with exit code 2 and one line on `err`, within the
 * `--timeout`.
 *
 * @param argv The arguments after the script name.
 * @param out Where results go (stdout).
 * @param err Where errors and status lines go (stderr).
 * @returns The exit code.
 * @example Usage errors exit 2 without connecting
 * ```ts
 * import { runCli } from "./cli.ts";
 * const lines: string[] = [];
 * const code = await runCli(["call", "ftp://x/rpc", "m"], () => {}, (l) => lines.push(l));
 * if (code !== 2 || !lines[0]!.startsWith("not a hub URL")) throw new Error("unreachable");
 * ```
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
  const known = name !== undefined && Object.hasOwn(COMMANDS, name)
    ? name as keyof typeof COMMANDS
    : undefined;
  if (values.help === true) {
    out(known === undefined ? USAGE : commandUsage(known));
    return 0;
  }
  if (known === undefined) {
    err(name === undefined ? USAGE : `unknown command: ${name}\n${USAGE}`);
    return 2;
  }
  const command = url === undefined ? "" : parseCommand(known, rest, values);
  if (typeof command === "string") {
    err(command === "" ? commandUsage(known) : `${command}\n${commandUsage(known)}`);
    return 2;
  }
  let target: string;
  try {
    target = hubSocketUrl(url!);
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  const timeout = number(values.timeout) ?? 10_000;
  const client = connect(target, { timeout, reconnect: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let connected = false;
  const lost = client.closed.then((info): never => {
    const how = info.code === CloseCode.Abnormal || info.code === CloseCode.NoStatus
      ? ""
      : ` (close ${info.code}${info.reason === "" ? "" : ` ${info.reason}`})`;
    throw new Lost(
      connected ? `connection to ${target} closed${how}` : `cannot connect to ${target}${how}`,
    );
  });
  lost.catch(() => {}); // Observed below; this keeps an unobserved close from being reported.
  try {
    await Promise.race([
      client.ready,
      lost,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Lost(`cannot connect to ${target} within ${timeout} ms`)),
          timeout === 0 ? 10_000 : timeout,
        );
      }),
    ]);
    clearTimeout(timer);
    connected = true;
    const work = (async () => {
      if (values.token !== undefined) {
        await client.call(Method.Hello, { token: values.token, client: "switchboard-cli" });
      }
      return await command(client, out, err);
    })();
    return await Promise.race([work, lost]);
  } catch (error) {
    if (error instanceof Lost) {
      err(error.message);
      return 2;
    }
    if (error instanceof RpcError) {
      if (client.isClosed) {
        err(connected ? `connection to ${target} closed` : `cannot connect to ${target}`);
        return 2;
      }
      err(`error ${error.code}: ${error.message}`);
      if (error.data !== undefined) err(JSON.stringify(error.data, null, 2));
      return 1;
    }
    err(error instanceof Error ? error.message : String(error));
    return 2;
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** The connection could not be made, or was lost: exit code 2. */
class Lost extends Error {}

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
  name: keyof typeof COMMANDS,
  rest: readonly string[],
  values: Values,
): Command | string {
  for (const key of ["timeout", "count", "since"] as const) {
    if (Number.isNaN(number(values[key]))) return `--${key} must be a non-negative integer`;
  }
  switch (name) {
    case "discover":
      return async (client, out) => {
        const doc = await client.call(Method.Discover) as {
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
  // runCli reports the close (exit 2); this only ends the listening and its cleanup.
  client.closed.then(() => stop(2));
  try {
    return await stopped;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
  }
}

if (import.meta.main) {
  process.exit(await runCli(process.argv.slice(2)));
}
