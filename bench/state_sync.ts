/**
 * Synced-state and served-client figures: how fast server mutations reach synced copies, and
 * what the served client bundle costs.
 *
 * Run alone: `deno run -A bench/state_sync.ts` or `bun bench/state_sync.ts`.
 *
 * - Patch fan-out: 20 clients in this process sync one state; the server applies 5,000
 *   mutations in a loop (each one patch); the time runs until every copy reached the last
 *   version. Reported as patches applied per second summed over the clients.
 * - Method calls: one client calls `counter.increment` 2,000 times, 100 in flight; the time
 *   runs until its own copy shows the last version.
 * - Bundle: time of the first `GET /rpc/client.js` (prebuilt, served from memory), size and
 *   gzipped size.
 *
 * @module
 */

import { serve, Switchboard } from "../server.ts";
import { connect, sync } from "../mod.ts";

const CLIENTS = 20;
const MUTATIONS = 5_000;
const CALLS = 2_000;
const IN_FLIGHT = 100;

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("bench: timed out");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const sb = new Switchboard();
const counter = sb.state("counter", { count: 0, label: "bench" }, {
  methods: { increment: (state) => state.set({ count: state.value.count + 1 }) },
});
const server = await serve(sb, { hostname: "127.0.0.1", port: 0 });
const wsUrl = `${server.url.replace("http:", "ws:")}/rpc`;
const clients = Array.from({ length: CLIENTS }, () => connect(wsUrl));
try {
  const states = clients.map((client) => sync<{ count: number }>(client, "counter"));
  await Promise.all(states.map((s) => s.ready));

  let started = performance.now();
  for (let i = 1; i <= MUTATIONS; i++) counter.set({ count: i });
  await until(() => states.every((s) => s.version === MUTATIONS));
  const fanoutMs = performance.now() - started;

  const base = counter.version;
  started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < CALLS) {
      next++;
      await states[0]!.call("increment");
    }
  }));
  await until(() => states[0]!.version === base + CALLS);
  const callsMs = performance.now() - started;

  started = performance.now();
  const code = await (await fetch(`${server.url}/rpc/client.js`)).text();
  const buildMs = performance.now() - started;

  const runtime = "Bun" in globalThis ? "bun" : "deno";
  console.log(JSON.stringify({
    runtime,
    fanout: {
      clients: CLIENTS,
      mutations: MUTATIONS,
      ms: Math.round(fanoutMs),
      patchesAppliedPerSecond: Math.round((CLIENTS * MUTATIONS) / (fanoutMs / 1000)),
    },
    methodCalls: {
      calls: CALLS,
      inFlight: IN_FLIGHT,
      ms: Math.round(callsMs),
      perSecond: Math.round(CALLS / (callsMs / 1000)),
    },
    bundle: { firstRequestMs: Math.round(buildMs), bytes: code.length, gzip: await gzipSize(code) },
  }));
} finally {
  for (const client of clients) client.close();
  await server.close();
  await sb.pubsub.close();
}
