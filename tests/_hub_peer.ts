/**
 * A hub client run in a child process by tests/hub_cross_runtime_test.ts, on the other
 * runtime: it offers `<runtime>.greet`, calls the parent's `<parent>.greet` through the hub,
 * prints one JSON line with the answer, and exits when its stdin closes.
 *
 * Usage: `<runtime> tests/_hub_peer.ts <ws-url> <parent-runtime>`
 */

import process from "node:process";
import { connect } from "../mod.ts";
import { offer } from "../lib/hub/offer.ts";

const [url, parent] = process.argv.slice(2);
const runtime = (globalThis as { Bun?: unknown }).Bun !== undefined ? "bun" : "deno";
const client = connect(url!);
await client.ready;
await offer(client, `${runtime}.greet`, (params) => ({ runtime, echo: params }));
// The parent registers first and waits for our line, so its procedure is there.
const answer = await client.call(`${parent}.greet`, { from: runtime });
console.log(JSON.stringify({ ready: true, runtime, answer }));
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  client.close();
  process.exit(0);
});
