/**
 * `npm run edge:dev`: the example Worker and Durable Object in workerd (Miniflare, offline)
 * on `ws://127.0.0.1:PORT/rpc` (`PORT`, default 8787), storage kept in `.wrangler/state`
 * so topic history and state survive restarts. Stop with Ctrl-C.
 *
 * Run: `npm run edge:dev`, which is `deno run -A examples/cloudflare/dev.ts`.
 *
 * @module
 */

import { startLocal } from "./local.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
  ?.env ?? {};
const worker = await startLocal({
  port: Number(env.PORT ?? 8787),
  persist: env.PERSIST ?? ".wrangler/state/switchboard",
});
console.log(`Switchboard in workerd: ${worker.wsUrl} (POST ${worker.httpUrl})`);
const stop = async () => {
  await worker.close();
  (globalThis as { process?: { exit(code: number): never } }).process?.exit(0);
};
const proc = (globalThis as { process?: { on(signal: string, f: () => void): void } }).process;
proc?.on("SIGINT", () => void stop());
proc?.on("SIGTERM", () => void stop());
