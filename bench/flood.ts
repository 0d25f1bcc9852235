/**
 * Flood bench: with the default rate limits, one hand-made WebSocket client writes calls as
 * fast as it can (up to 200,000, in writes of 1,000 frames, reading everything it gets back)
 * while a Switchboard client on another connection makes sequential calls. Reports how the
 * flood ended (answers that ran, answers refused with -32029, the close code) and the other
 * client's p50 and p99 round trip during the flood against the same client alone (same run,
 * same runtime).
 *
 * Run: `deno run -A bench/flood.ts` or `bun bench/flood.ts`.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import process from "node:process";
import { serve, Switchboard } from "../server.ts";
import { connect } from "../mod.ts";
import { clientTextFrame, closeCodeOf, connectTcp } from "../tests/_tcp_client.ts";

const FLOOD = 200_000;
const SAMPLES = 2000;
const isBun = typeof (globalThis as any).Bun !== "undefined";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** `SAMPLES` sequential calls; the sorted round trips in µs. */
async function roundTrips(client: ReturnType<typeof connect>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await client.call("echo", [i]);
    times.push((performance.now() - t) * 1000);
  }
  return times.sort((a, b) => a - b);
}

const sb = new Switchboard({ heartbeat: false });
sb.register("echo", ([x]: [number]) => x);
const server = await serve(sb, { hostname: "127.0.0.1", port: 0 });
const wsUrl = `${server.url.replace("http:", "ws:")}/rpc`;
const bystander = connect(wsUrl);
await bystander.ready;
await roundTrips(bystander); // warm-up
const alone = await roundTrips(bystander);

const flooder = await connectTcp(Number(new URL(server.url).port));
let written = 0;
const flooding = (async () => {
  while (written < FLOOD && !flooder.ended() && !flooder.frames.some((f) => f.opcode === 8)) {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) {
      frames.push(
        clientTextFrame(`{"jsonrpc":"2.0","id":${++written},"method":"echo","params":[1]}`),
      );
    }
    const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      batch.set(f, at);
      at += f.length;
    }
    flooder.write(batch);
    await new Promise((r) => setTimeout(r, 0));
  }
})();
const during = await roundTrips(bystander);
await flooding;
const started = performance.now();
while (!flooder.ended() && !flooder.frames.some((f) => f.opcode === 8)) {
  if (performance.now() - started > 10_000) break;
  await new Promise((r) => setTimeout(r, 10));
}
let ran = 0;
let refused = 0;
for (const frame of flooder.frames) {
  if (frame.opcode !== 1) continue;
  const answer = JSON.parse(new TextDecoder().decode(frame.payload));
  if (answer.error?.code === -32029) refused++;
  else if (answer.result === 1) ran++;
}
const close = flooder.frames.find((f) => f.opcode === 8);
console.log(`flood (${isBun ? "bun" : "deno"}, default rateLimit 20,000 frames/s):`);
console.log(
  `flooder wrote ${written} calls; got ${ran} answers that ran, ${refused} refused (-32029); ` +
    `ended by ${
      close === undefined ? (flooder.ended() ? "reset" : "nothing") : closeCodeOf(close)
    }`,
);
console.log(
  `other connection, ${SAMPLES} sequential calls: p50 alone ${
    percentile(alone, 0.5).toFixed(0)
  } µs, ` +
    `during the flood ${percentile(during, 0.5).toFixed(0)} µs (ratio ${
      (percentile(during, 0.5) / percentile(alone, 0.5)).toFixed(2)
    }); p99 ${percentile(alone, 0.99).toFixed(0)} → ${percentile(during, 0.99).toFixed(0)} µs; ` +
    "every call succeeded",
);
flooder.socket.destroy();
bystander.close();
await server.close();
process.exit(0);
