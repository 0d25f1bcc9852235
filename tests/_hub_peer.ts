/**
 * A hub client run in a child process by tests/hub/hub_cross_runtime_test.ts, on the other
 * runtime. It offers `<runtime>.greet`, subscribes to `xrt.<parent>.*`, calls the parent's
 * `<parent>.greet` through the hub and prints one JSON line with the answer; then it publishes
 * `xrt.<runtime>.hello` and prints a second JSON line with the first event it receives from
 * the parent. It exits when its stdin closes.
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
let printed = false;
await client.subscribe(`xrt.${parent}.*`, (data, event) => {
  if (printed) return;
  printed = true;
  console.log(JSON.stringify({ runtime, event: { topic: event.topic, seq: event.seq, data } }));
}).ready;
// The parent registers first and waits for our line, so its procedure is there.
const answer = await client.call(`${parent}.greet`, { from: runtime });
console.log(JSON.stringify({ ready: true, runtime, answer }));
await client.publish(`xrt.${runtime}.hello`, { from: runtime });
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  client.close();
  process.exit(0);
});
