/**
 * Hub bench: a routed call (client A → hub → client B → back) versus a direct call to a
 * server procedure, calls/s through one hub with 100 clients, and events/s through one hub
 * from one publishing client to 100 subscribers. Everything runs in this
 * one process on loopback (hub and clients share a core), so the figures compare, they do
 * not promise. Every loop is bounded in count and time.
 *
 *   deno run -A bench/hub.ts      or      bun bench/hub.ts
 *
 * @module
 */

import { serve, Switchboard } from "../server.ts";
import { type Client, connect } from "../mod.ts";
import { Hub } from "../lib/hub/hub.ts";
import { resolveHubConfig } from "../lib/hub/config.ts";
import { offer } from "../lib/hub/offer.ts";

const SEQUENTIAL = 3_000;
const PIPELINED = 20_000;
const IN_FLIGHT = 100;
const CLIENTS = 100;
const TIME_CAP_MS = 10_000;
const EVENTS = 2_000;
const SUBSCRIBERS = 100;

async function open(url: string): Promise<Client> {
  const client = connect(url);
  await client.ready;
  return client;
}

async function sequential(client: Client, method: string): Promise<number> {
  const times: number[] = [];
  const deadline = performance.now() + TIME_CAP_MS;
  for (let i = 0; i < SEQUENTIAL && performance.now() < deadline; i++) {
    const t = performance.now();
    await client.call(method, [i]);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]! * 1000;
}

async function pipelined(clients: Client[], method: string, total: number): Promise<number> {
  let sent = 0;
  let done = 0;
  const deadline = performance.now() + TIME_CAP_MS;
  const start = performance.now();
  const perClient = Math.max(1, Math.floor(IN_FLIGHT / clients.length));
  const worker = async (client: Client): Promise<void> => {
    while (sent < total && performance.now() < deadline) {
      sent++;
      await client.call(method, [sent]);
      done++;
    }
  };
  const workers: Promise<void>[] = [];
  for (const client of clients) for (let i = 0; i < perClient; i++) workers.push(worker(client));
  await Promise.all(workers);
  return done / ((performance.now() - start) / 1000);
}

const runtime = (globalThis as { Bun?: unknown }).Bun !== undefined ? "bun" : "deno";

// Direct: a plain Switchboard server with `echo`.
// Full speed on one connection: past the default rate limit.
const sb = new Switchboard({ rateLimit: false });
sb.register("echo", (p) => p);
const direct = await serve(sb, { port: 0 });
const directClient = await open(`${direct.url.replace("http:", "ws:")}/rpc`);
const directP50 = await sequential(directClient, "echo");
const directRate = await pipelined([directClient], "echo", PIPELINED);
directClient.close();
await direct.close();

// Routed: B offers `echo` on a hub, A calls it.
const config = resolveHubConfig({ port: 0, logLevel: "silent", registration: "roundrobin" });
const hub = await Hub.start(config);
const wsUrl = `${hub.url.replace("http:", "ws:")}/rpc`;
const a = await open(wsUrl);
const b = await open(wsUrl);
await offer(b, "echo", (p) => p);
const routedP50 = await sequential(a, "echo");
const routedRate = await pipelined([a], "echo", PIPELINED);

// 100 clients: 10 of them serve `echo` (round-robin), all 100 call it.
const many: Client[] = [];
for (let i = 0; i < CLIENTS; i++) many.push(await open(wsUrl));
for (const client of many.slice(0, 10)) await offer(client, "echo", (p) => p);
const manyRate = await pipelined(many, "echo", PIPELINED);
for (const client of [a, b, ...many]) client.close();

// Events: one client publishes (rpc.publish, IN_FLIGHT at a time) to SUBSCRIBERS clients.
const subscribers: Client[] = [];
let received = 0;
for (let i = 0; i < SUBSCRIBERS; i++) {
  const client = await open(wsUrl);
  await client.subscribe("bench.events", () => received++).ready;
  subscribers.push(client);
}
const publisher = await open(wsUrl);
const eventsStart = performance.now();
const eventsDeadline = eventsStart + TIME_CAP_MS;
let published = 0;
const publishers: Promise<void>[] = [];
for (let w = 0; w < IN_FLIGHT; w++) {
  publishers.push((async () => {
    while (published < EVENTS && performance.now() < eventsDeadline) {
      published++;
      await publisher.publish("bench.events", { n: published, at: Date.now() });
    }
  })());
}
await Promise.all(publishers);
while (received < published * SUBSCRIBERS && performance.now() < eventsDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 1));
}
const eventsSeconds = (performance.now() - eventsStart) / 1000;
const complete = received === published * SUBSCRIBERS;
for (const client of [publisher, ...subscribers]) client.close();
await hub.shutdown();

const rows = [
  ["direct call, p50 round trip (µs)", directP50.toFixed(0)],
  ["routed call A→hub→B→A, p50 (µs)", routedP50.toFixed(0)],
  ["routed / direct latency ratio", (routedP50 / directP50).toFixed(2)],
  [`direct calls/s, 1 client, ${IN_FLIGHT} in flight`, directRate.toFixed(0)],
  [`routed calls/s, 1 caller, ${IN_FLIGHT} in flight`, routedRate.toFixed(0)],
  ["direct / routed throughput ratio", (directRate / routedRate).toFixed(2)],
  [`routed calls/s, ${CLIENTS} clients (10 callees), ${IN_FLIGHT} in flight`, manyRate.toFixed(0)],
  [
    `events/s published, each to ${SUBSCRIBERS} subscribers${complete ? "" : " (INCOMPLETE)"}`,
    (published / eventsSeconds).toFixed(0),
  ],
  [`events/s delivered (${published} × ${SUBSCRIBERS})`, (received / eventsSeconds).toFixed(0)],
];
console.log(`hub bench on ${runtime} (hub and clients in one process, loopback)`);
for (const [name, value] of rows) console.log(`  ${name!.padEnd(58)} ${value}`);
