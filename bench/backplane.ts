/**
 * Backplane throughput: events per second from one backplane instance's `publish` to another
 * instance's listener (two processes' worth of connections on one engine), against the
 * engine's own raw pub/sub measured by the same code in the same run (the issue's baseline):
 * Redis `PUBLISH` → `PSUBSCRIBE`, NATS core publish → subscribe. Raw pub/sub stores, numbers
 * and acknowledges nothing (a raw NATS core publish is not even awaited), so the engines' own
 * storing publish is measured too, one event per command as a plain client would send it:
 * Redis, a Lua script doing `INCR`, `XADD`, two `PEXPIRE` and `PUBLISH` per event; NATS, a
 * JetStream publish awaited for its acknowledgement. The backplanes batch what waits (Redis:
 * one script call per event-loop turn; NATS: one JetStream message per topic per round trip),
 * and still hand each event to the listener on its own, numbered.
 *
 * Each variant sends EVENTS events of the same ~100-byte JSON data over TOPICS topics with
 * at most WINDOW publishes in flight (raw NATS core publishes are fire-and-forget and flushed
 * by the client), and the time runs until the listener has all of them; median of ROUNDS,
 * the variants' rounds interleaved.
 * Bounded: every round stops at DEADLINE_MS.
 *
 * NATS also gets the ceiling of its backplane's design: raw JetStream publishes with one
 * acknowledged message per topic in flight (core publishes carrying the expected last subject
 * sequence, acknowledged on one inbox, as the backplane's), and the backplane's events per
 * stored message (from the stream's
 * last sequence before and after each round). The raw NATS publishers connect with
 * `noAsyncTraces` as the backplane does (no stack captured per request).
 *
 * Run: `deno run -A bench/backplane.ts` or `bun bench/backplane.ts`; environment EVENTS
 * (default 20,000), TOPICS (default 16), WINDOW (default 100), ROUNDS (default 3), ENGINES
 * (`redis`, `nats`, default both).
 *
 * @module
 */

import process from "node:process";
import { createClient } from "@redis/client";
import {
  connect as natsConnect,
  createInbox,
  headers as natsHeaders,
} from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Backplane } from "../lib/pubsub/backplane.ts";
import { NatsBackplane } from "../lib/pubsub/nats_backplane.ts";
import { RedisBackplane } from "../lib/pubsub/redis_backplane.ts";
import { startNats, startRedis } from "../tests/_engines.ts";

const EVENTS = Number(process.env.EVENTS ?? 20_000);
const TOPICS = Number(process.env.TOPICS ?? 16);
const WINDOW = Number(process.env.WINDOW ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ENGINES = process.env.ENGINES ?? "redis,nats";
const DEADLINE_MS = 60_000;
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

const DATA = { user: "u-1234", text: "hello from the benchmark, a short chat line", n: 0 };
const PAYLOAD = JSON.stringify(DATA);

/** The issue's baselines: the engines' own pub/sub, which stores, numbers and acknowledges nothing. */
const REDIS_RAW = "Redis raw PUBLISH -> PSUBSCRIBE (baseline)";
const NATS_RAW = "NATS raw core publish -> subscribe (baseline)";
/** The engines' own storing publish, one event per command, acknowledged. */
const REDIS_STORE = "Redis raw storing publish (Lua per event)";
const NATS_STORE = "NATS raw JetStream publish, acked per event";
/** The NATS backplane's design ceiling: one acked message per topic in flight. */
const NATS_CEILING = "NATS raw JetStream, 1 acked msg/topic in flight";

/** One variant: set up, then a round sends `EVENTS` and resolves when all are heard. */
interface Variant {
  readonly name: string;
  round(prefix: string): Promise<number>;
  close(): Promise<void>;
  /** Events per stored message, per measured round (the NATS backplane). */
  readonly perMessage?: number[];
}

/** Run `send(i)` for i < EVENTS with at most WINDOW pending, and wait for `heard()`. */
function pump(send: (i: number) => unknown, heard: Promise<void>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < EVENTS) await send(next++);
  };
  return timed(() => Promise.all(Array.from({ length: WINDOW }, worker)), heard);
}

/** Events per second of `send()` until `heard()`. */
async function timed(send: () => Promise<unknown>, heard: Promise<void>): Promise<number> {
  const start = performance.now();
  await send();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    heard,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("bench: round over its deadline")), DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  return EVENTS / ((performance.now() - start) / 1000);
}

/** A promise resolved by the `EVENTS`th call of the returned counter. */
function counter(): { hit: () => void; all: Promise<void> } {
  const { promise, resolve } = Promise.withResolvers<void>();
  let count = 0;
  return {
    hit: () => {
      if (++count === EVENTS) resolve();
    },
    all: promise,
  };
}

async function rawRedis(url: string): Promise<Variant> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    name: REDIS_RAW,
    async round(prefix) {
      const { hit, all } = counter();
      await sub.pSubscribe(`${prefix}.*`, hit);
      const rate = await pump((i) => pub.publish(`${prefix}.t${i % TOPICS}`, PAYLOAD), all);
      await sub.pUnsubscribe(`${prefix}.*`);
      return rate;
    },
    async close() {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}

/** The backplane's own Lua script driven by plain node-redis calls: Redis's share of the cost. */
async function rawRedisScript(url: string): Promise<Variant> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const script = `local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 's', seq, 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[4], seq .. ' ' .. ARGV[3])
return seq`;
  const sha = await pub.sendCommand(["SCRIPT", "LOAD", script]) as string;
  return {
    name: REDIS_STORE,
    async round(prefix) {
      const { hit, all } = counter();
      await sub.pSubscribe(`${prefix}.*`, hit);
      const rate = await pump((i) => {
        const topic = `${prefix}.t${i % TOPICS}`;
        return pub.sendCommand([
          "EVALSHA",
          sha,
          "2",
          `raw{${topic}}:seq`,
          `raw{${topic}}:log`,
          "100",
          "86400000",
          PAYLOAD,
          topic,
        ]);
      }, all);
      await sub.pUnsubscribe(`${prefix}.*`);
      return rate;
    },
    async close() {
      await Promise.all([pub.close(), sub.close()]);
    },
  };
}

async function rawNats(url: string, acked: boolean): Promise<Variant> {
  const pubConn = await natsConnect({ servers: url, noAsyncTraces: true });
  const subConn = await natsConnect({ servers: url });
  const js = jetstream(pubConn);
  if (acked) {
    const jsm = await jetstreamManager(pubConn);
    await jsm.streams.add({ name: "RAWBENCH", subjects: ["rawjs.>"], max_msgs_per_subject: 100 });
  }
  return {
    name: acked ? NATS_STORE : NATS_RAW,
    async round(prefix) {
      const { hit, all } = counter();
      const root = acked ? `rawjs.${prefix}` : prefix;
      const sub = subConn.subscribe(`${root}.*`, { callback: hit });
      await subConn.flush();
      const rate = await pump(
        (i) =>
          acked
            ? js.publish(`${root}.t${i % TOPICS}`, PAYLOAD)
            : pubConn.publish(`${root}.t${i % TOPICS}`, PAYLOAD),
        all,
      );
      sub.unsubscribe();
      return rate;
    },
    async close() {
      await Promise.all([pubConn.close(), subConn.close()]);
    },
  };
}

/**
 * Each topic's JetStream publishes one at a time, after the topic's last, as the backplane
 * sends them: a core publish with `Nats-Expected-Last-Subject-Sequence` whose acknowledgement
 * comes back on one inbox subscription (the token is the topic), nothing else per message.
 */
async function rawNatsCeiling(url: string): Promise<Variant> {
  const pubConn = await natsConnect({ servers: url, noAsyncTraces: true });
  const subConn = await natsConnect({ servers: url });
  const jsm = await jetstreamManager(pubConn);
  await jsm.streams.add({ name: "RAWCEIL", subjects: ["rawceil.>"], max_msgs_per_subject: 100 });
  const inbox = createInbox();
  const waiting = new Map<string, (ack: { seq?: number; error?: unknown }) => void>();
  const acks = pubConn.subscribe(`${inbox}.*`, {
    callback: (_, msg) => waiting.get(msg.subject.slice(inbox.length + 1))?.(msg.json()),
  });
  return {
    name: NATS_CEILING,
    async round(prefix) {
      const { hit, all } = counter();
      const root = `rawceil.${prefix}`;
      const sub = subConn.subscribe(`${root}.*`, { callback: hit });
      await subConn.flush();
      let next = 0;
      const topic = async (_: unknown, t: number): Promise<void> => {
        let last = 0;
        const headers = natsHeaders();
        while (next < EVENTS) {
          next++;
          const { promise, resolve } = Promise.withResolvers<{ seq?: number; error?: unknown }>();
          waiting.set(String(t), resolve);
          headers.set("Nats-Expected-Last-Subject-Sequence", String(last));
          pubConn.publish(`${root}.t${t}`, PAYLOAD, { reply: `${inbox}.${t}`, headers });
          const ack = await promise;
          if (ack.seq === undefined) throw new Error(`bench: refused: ${JSON.stringify(ack)}`);
          last = ack.seq;
        }
      };
      const rate = await timed(() => Promise.all(Array.from({ length: TOPICS }, topic)), all);
      sub.unsubscribe();
      return rate;
    },
    async close() {
      acks.unsubscribe();
      await Promise.all([pubConn.close(), subConn.close()]);
    },
  };
}

async function throughBackplane(
  name: string,
  open: () => Promise<Backplane>,
  lastSeq?: () => Promise<number>,
): Promise<Variant> {
  const a = await open();
  const b = await open();
  const perMessage: number[] = [];
  return {
    name,
    ...lastSeq === undefined ? {} : { perMessage },
    async round(prefix) {
      const { hit, all } = counter();
      const stream = b.stream(hit);
      await stream.add(`${prefix}.*`);
      const before = await lastSeq?.();
      const rate = await pump((i) => a.publish(`${prefix}.t${i % TOPICS}`, DATA), all);
      if (before !== undefined) perMessage.push(EVENTS / ((await lastSeq!()) - before));
      stream.close();
      return rate;
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Rounds interleaved across variants, so that the machine's noise hits them alike. */
async function measure(variants: readonly Variant[]): Promise<number[]> {
  const rates = variants.map((): number[] => []);
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const [i, variant] of variants.entries()) {
      const rate = await variant.round(`b${r}v${i}x${Math.random().toString(36).slice(2, 8)}`);
      if (r > 0) rates[i]!.push(rate); // the first round warms up
    }
  }
  for (const variant of variants) await variant.close();
  return rates.map(median);
}

const withRedis = ENGINES.includes("redis");
const withNats = ENGINES.includes("nats");
const redis = withRedis ? await startRedis({ persist: false }) : undefined;
const nats = withNats ? await startNats() : undefined;
/** Reads the NATS backplane's stream, for its events per stored message. */
const natsInfo = nats === undefined ? undefined : await natsConnect({ servers: nats.url });
try {
  const replay = { replay: { size: 100 } };
  const variants: Variant[] = [];
  if (redis !== undefined) {
    variants.push(
      await rawRedis(redis.url),
      await rawRedisScript(redis.url),
      await throughBackplane("RedisBackplane", () => RedisBackplane.connect(redis.url, replay)),
    );
  }
  if (nats !== undefined && natsInfo !== undefined) {
    const jsm = await jetstreamManager(natsInfo);
    variants.push(
      await rawNats(nats.url, false),
      await rawNats(nats.url, true),
      await rawNatsCeiling(nats.url),
      await throughBackplane(
        "NatsBackplane",
        () => NatsBackplane.connect(nats.url, replay),
        async () => (await jsm.streams.info("SWITCHBOARD")).state.last_seq,
      ),
    );
  }
  const medians = await measure(variants);
  const rows = variants.map((variant, i): [string, number] => [variant.name, medians[i]!]);
  const rate = new Map(rows);
  console.log(
    `backplane bench, ${runtime}, ${EVENTS} events over ${TOPICS} topics, ` +
      `${WINDOW} in flight, median of ${ROUNDS}`,
  );
  for (const [name, value] of rows) {
    console.log(
      `  ${name.padEnd(46)} ${Math.round(value).toLocaleString("en").padStart(10)} events/s`,
    );
  }
  for (const variant of variants) {
    if (variant.perMessage === undefined) continue;
    console.log(
      `  ${variant.name} events per stored message: ${median(variant.perMessage).toFixed(2)}`,
    );
  }
  const ratio = (a: string, b: string): string => (rate.get(a)! / rate.get(b)!).toFixed(2);
  const lines: [string, string, string, string][] = [
    ["RedisBackplane", "raw Redis pub/sub (baseline)", REDIS_RAW, " (target >= 0.7)"],
    ["NatsBackplane", "raw NATS core pub/sub (baseline)", NATS_RAW, " (target >= 0.7)"],
    ["RedisBackplane", "raw Redis storing publish", REDIS_STORE, ""],
    ["NatsBackplane", "raw JetStream acked publish", NATS_STORE, ""],
    ["NatsBackplane", "raw JetStream, 1 msg/topic in flight", NATS_CEILING, ""],
    [NATS_CEILING, "raw NATS core pub/sub (baseline)", NATS_RAW, ""],
  ];
  for (const [backplane, label, baseline, target] of lines) {
    if (!rate.has(backplane) || !rate.has(baseline)) continue;
    const name = backplane === NATS_CEILING ? "raw JetStream, 1 msg/topic in flight" : backplane;
    console.log(`  ratio ${name} / ${label}: ${ratio(backplane, baseline)}${target}`);
  }
} finally {
  await natsInfo?.close();
  await redis?.stop();
  await nats?.stop();
}
