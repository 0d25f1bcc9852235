/**
 * The demo server on the host this runs on (Node 22 for tests/node_host_test.ts), with a
 * 64 KiB message limit, `echo` (bytes included) and `ask.client` (a server→client call).
 * Prints one JSON line `{runtime, wsUrl, httpUrl, maxFrameSize}`, then serves until its
 * standard input ends.
 *
 * @module
 */

import process from "node:process";
import { startDemoServer } from "./_runtimes.ts";

const server = await startDemoServer({ limits: { maxMessageSize: 64 * 1024 } });
server.sb.register("echo", (params: unknown) => params);
server.sb.register("ask.client", async (_params, ctx) => await ctx.peer.call("whoami"));
const { detectAdapter } = await import("../lib/adapters/detect.ts");
console.log(JSON.stringify({
  runtime: (await detectAdapter()).runtime,
  wsUrl: server.wsUrl,
  httpUrl: server.httpUrl,
  maxFrameSize: server.sb.maxFrameSize,
}));
process.stdin.resume();
process.stdin.on("end", async () => {
  await server.close();
  process.exit(0);
});
