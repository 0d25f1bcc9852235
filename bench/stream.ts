/**
 * Streamed items per second on one connection versus the same count of separate calls, and
 * the process RSS while a slow consumer drains a long stream.
 *
 * Run alone: `deno run -A bench/stream.ts` or `bun bench/stream.ts`. Server and client share
 * the process (and its cores), on 127.0.0.1, port 0. `ITEMS` overrides the count (default
 * 100,000); every phase is bounded in count and stops after 30 s.
 *
 * @module
 */

import process from "node:process";
import { connect } from "../mod.ts";
import { implement, serve, Switchboard } from "../server.ts";

const ITEMS = Number(process.env.ITEMS ?? 100_000);
const IN_FLIGHT = 100;
const DEADLINE_MS = 30_000;

interface Api {
  count(n: number): AsyncIterable<number>;
  item(i: number): number;
}

// Full speed on one connection: past the default rate limit.
const sb = new Switchboard({ rateLimit: false });
implement<Api>(sb, {
  count: async function* ([n]) {
    for (let i = 0; i < n; i++) yield i;
  },
  item: ([i]) => i,
});
const server = await serve(sb, { hostname: "127.0.0.1", port: 0 });
const client = connect(`${server.url.replace("http:", "ws:")}/rpc`, { timeout: 0 });
await client.ready;

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString("en-US")}/s`;
}

async function streamed(credit: number): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const _ of client.stream("count", [ITEMS], { credit })) {
    if (++n % 10_000 === 0 && performance.now() - started > DEADLINE_MS) break;
  }
  if (n !== ITEMS) throw new Error(`stream stopped at ${n}`);
  return performance.now() - started;
}

async function calls(): Promise<number> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < ITEMS && performance.now() - started < DEADLINE_MS) {
      const i = next++;
      if ((await client.call("item", [i])) !== i) throw new Error("wrong result");
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  if (done !== ITEMS) throw new Error(`calls stopped at ${done}`);
  return performance.now() - started;
}

async function slowConsumerRss(): Promise<{ base: number; peak: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  let n = 0;
  const started = performance.now();
  for await (const _ of client.stream("count", [ITEMS])) {
    if (++n % 1000 === 0) {
      peak = Math.max(peak, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (performance.now() - started > DEADLINE_MS) break;
    }
  }
  return { base, peak };
}

const runtime = "Bun" in globalThis ? "bun" : "deno";
await streamed(256); // warm-up
await calls();
const results: string[] = [];
for (const credit of [64, 256]) {
  const ms = await streamed(credit);
  results.push(
    `stream, credit ${credit}: ${ITEMS} items in ${ms.toFixed(0)} ms = ${rate(ITEMS, ms)}`,
  );
}
const callMs = await calls();
results.push(
  `separate calls, ${IN_FLIGHT} in flight: ${ITEMS} in ${callMs.toFixed(0)} ms = ${
    rate(ITEMS, callMs)
  }`,
);
const { base, peak } = await slowConsumerRss();
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
results.push(
  `slow consumer (1 ms pause per 1000 items): RSS ${mb(base)} MB before, ${mb(peak)} MB peak`,
);
console.log(`# bench/stream.ts on ${runtime}, one connection, loopback`);
for (const line of results) console.log(line);
client.close();
await server.close();
