/**
 * Cluster bench, one engine per run, hubs as separate processes of the runtime running it:
 *
 * - routed call p50: a caller and a callee on the same hub, against a caller on another hub
 *   (target: cross-hub ≤ 2× same-hub), sequential calls after a warm-up;
 * - fan-out: one publish reaching 3 hubs × 1,000 subscribers, against one hub × 3,000
 *   subscribers on the same engine (target: ≤ 1.5×); median time from the publish to the last
 *   subscriber's event over the rounds after a warm-up.
 *
 * The subscribers are plain WebSockets of this process (the same for both variants); each
 * variant starts once the hubs have closed the previous one's sockets. For
 * context the bench also measures the engine's own round trip between two of its
 * connections in this process (Redis: PUBLISH to a channel whose subscriber PUBLISHes back;
 * NATS: a core request/reply): a call to another hub crosses the engine twice like that.
 *
 * Run: `deno run -A bench/cluster.ts redis` (or `nats`; `bun bench/cluster.ts nats`).
 * Options (environment): `CALLS` (default 2,000), `SUBSCRIBERS` (default 3,000), `ROUNDS`
 * (default 15).
 *
 * @module
 */

import process from "node:process";
import { createClient } from "@redis/client";
import { connect as natsConnect } from "@nats-io/transport-node";
import { type Client, connect } from "../mod.ts";
import { offer } from "../lib/hub/offer.ts";
import { type Engine, startNats, startRedis } from "../tests/_engines.ts";
import { hubConfig, type HubProcess, startHubProcess } from "../tests/_cluster.ts";

const CALLS = Number(process.env.CALLS ?? 2_000);
const WARMUP_CALLS = 300;
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const WARMUP_ROUNDS = 5;
const DEADLINE_MS = 20_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function open(url: string): Promise<Client> {
  const client = connect(url, { reconnect: false });
  await client.ready;
  return client;
}

async function callP50(caller: Client): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP_CALLS + CALLS; i++) {
    const start = performance.now();
    await caller.call("bench.add", [i, 1]);
    if (i >= WARMUP_CALLS) times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

/** Open `count` raw WebSockets subscribed to `topic`, spread over `urls`. */
async function subscribers(
  urls: readonly string[],
  count: number,
  topic: string,
  onEvent: () => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const subscribe = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "rpc.subscribe",
    params: { topic },
  });
  for (let batch = 0; batch < count; batch += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, count - batch) },
        (_, j) =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(urls[(batch + j) % urls.length]!);
            const timer = setTimeout(() => reject(new Error("subscribe timed out")), DEADLINE_MS);
            ws.onopen = () => ws.send(subscribe);
            ws.onerror = () => reject(new Error("socket error"));
            ws.onmessage = (event) => {
              const text = String(event.data);
              if (text.includes('"id":1')) {
                clearTimeout(timer);
                resolve();
              } else if (text.includes("rpc.event")) onEvent();
            };
            sockets.push(ws);
          }),
      ),
    );
  }
  return sockets;
}

/** Wait until the hubs have let go of the closed sockets, so the next variant starts clean. */
async function drained(urls: readonly string[]): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (const url of urls) {
    const health = url.replace("ws:", "http:").replace(/\/rpc$/, "/health");
    while (Date.now() < deadline) {
      const body = await (await fetch(health)).json() as { connections: number };
      if (body.connections === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function fanout(
  publisherUrl: string,
  urls: readonly string[],
  topic: string,
): Promise<number> {
  let received = 0;
  let done: (() => void) | undefined;
  const sockets = await subscribers(urls, SUBSCRIBERS, topic, () => {
    if (++received === SUBSCRIBERS) done?.();
  });
  const publisher = await open(publisherUrl);
  const times: number[] = [];
  try {
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      received = 0;
      const all = new Promise<void>((resolve, reject) => {
        done = resolve;
        setTimeout(() => reject(new Error(`round ${round}: ${received} events`)), DEADLINE_MS);
      });
      const start = performance.now();
      await publisher.publish(topic, { round });
      await all;
      if (round >= WARMUP_ROUNDS) times.push(performance.now() - start);
    }
  } finally {
    publisher.close();
    for (const ws of sockets) ws.close();
  }
  await drained(urls);
  return median(times);
}

/** The engine's own pub/sub round trip p50 in µs (the floor a cross-hub call adds). */
async function engineRoundTrip(which: string, url: string): Promise<number> {
  const times: number[] = [];
  if (which === "nats") {
    const nc = await natsConnect({ servers: url.replace(/^nats:\/\//, "") });
    const sub = nc.subscribe("bench.echo", {
      callback: (_error, msg) => {
        msg.respond(msg.data);
      },
    });
    for (let i = 0; i < WARMUP_CALLS + CALLS; i++) {
      const start = performance.now();
      await nc.request("bench.echo", "x", { timeout: 5_000 });
      if (i >= WARMUP_CALLS) times.push((performance.now() - start) * 1000);
    }
    sub.unsubscribe();
    await nc.close();
    return median(times);
  }
  const [pubA, subA, pubB, subB] = [1, 2, 3, 4].map(() => createClient({ url }));
  for (const c of [pubA, subA, pubB, subB]) await c!.connect();
  await subB!.subscribe(
    "bench.ping",
    (message: string) => void pubB!.publish("bench.pong", message),
  );
  let answer: (() => void) | undefined;
  await subA!.subscribe("bench.pong", () => answer?.());
  for (let i = 0; i < WARMUP_CALLS + CALLS; i++) {
    const start = performance.now();
    const back = new Promise<void>((resolve) => answer = resolve);
    await pubA!.publish("bench.ping", "x");
    await back;
    if (i >= WARMUP_CALLS) times.push((performance.now() - start) * 1000);
  }
  for (const c of [pubA, subA, pubB, subB]) c!.destroy();
  return median(times);
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "redis";
  const runtime = (globalThis as { Bun?: unknown }).Bun !== undefined ? "bun" : "deno";
  const engine: Engine = which === "nats" ? await startNats() : await startRedis();
  const config = await hubConfig({ logLevel: "info" });
  const hubs: HubProcess[] = await Promise.all(
    [1, 2, 3].map(() => startHubProcess(engine.url, config)),
  );
  const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
  try {
    const callee = await open(a.wsUrl);
    await offer(callee, "bench.add", ([x, y]: number[]) => x! + y!);
    const same = await open(a.wsUrl);
    const cross = await open(b.wsUrl);
    // Interleave the two so that both see the same machine state.
    const sameP50 = [await callP50(same)];
    const crossP50 = [await callP50(cross)];
    sameP50.push(await callP50(same));
    crossP50.push(await callP50(cross));
    same.close();
    cross.close();
    callee.close();
    await drained([a.wsUrl, b.wsUrl]);
    const callRatio = Math.min(...crossP50) / Math.min(...sameP50);
    const engineP50 = await engineRoundTrip(which, engine.url);

    const oneHub = await fanout(a.wsUrl, [a.wsUrl], "bench.one");
    const threeHubs = await fanout(a.wsUrl, [a.wsUrl, b.wsUrl, c.wsUrl], "bench.three");
    const fanRatio = threeHubs / oneHub;
    const result = {
      date: new Date().toISOString(),
      runtime,
      engine: which,
      routedCall: {
        sameHubP50Us: Math.round(Math.min(...sameP50)),
        crossHubP50Us: Math.round(Math.min(...crossP50)),
        ratio: Math.round(callRatio * 100) / 100,
        target: 2,
        met: callRatio <= 2,
        engineRoundTripP50Us: Math.round(engineP50),
        crossMinusSameOverEngine: Math.round(
          (Math.min(...crossP50) - Math.min(...sameP50)) / engineP50 * 100,
        ) / 100,
      },
      fanout: {
        subscribers: SUBSCRIBERS,
        oneHubMs: Math.round(oneHub * 10) / 10,
        threeHubsMs: Math.round(threeHubs * 10) / 10,
        ratio: Math.round(fanRatio * 100) / 100,
        target: 1.5,
        met: fanRatio <= 1.5,
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await Promise.all(hubs.map((h) => h.stop()));
    await engine.stop();
  }
}

if (import.meta.main) {
  await main();
  process.exit(0);
}
