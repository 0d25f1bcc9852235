/**
 * The demo server on the host this runs on (Node 22 for tests/adapters/node_host_test.ts), with a
 * 64 KiB message limit, a 512 KiB send buffer limit per subscriber, `echo` (bytes included),
 * `ask.client` (a server→client call), `firehose(count, size)` (publishes on `firehose`) and
 * `closes()` (the close codes seen so far).
 * Prints one JSON line `{runtime, wsUrl, httpUrl, maxFrameSize}`, then serves until its
 * standard input ends.
 *
 * @module
 */

import process from "node:process";
import { startDemoServer } from "./_runtimes.ts";

const closes: number[] = [];
const server = await startDemoServer({
  limits: { maxMessageSize: 64 * 1024 },
  pubsub: { replay: { size: 100, maxAge: 60_000 }, limits: { maxBufferedBytes: 512 * 1024 } },
  onClose: (_peer, info) => void closes.push(info.code),
});
server.sb.register("echo", (params: unknown) => params);
server.sb.register("closes", () => closes);
server.sb.register("firehose", async ([count, size]: number[]) => {
  const blob = "x".repeat(size!);
  for (let i = 0; i < count!; i++) await server.sb.publish("firehose", blob);
  return count;
});
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
