/**
 * Pub/sub fan-out bench: one publish delivered to all of 1,000 subscribers (median over 20
 * publishes after 10 warm-ups, which let the JIT settle for every variant alike), Switchboard
 * against the runtime's raw baseline in the same run (Bun: native `server.publish` and a send
 * loop; Deno: a send loop over sockets), and server memory per idle subscribed connection
 * against a raw WebSocket.
 *
 * Run alone: `deno run -A bench/pubsub_fanout.ts` or `bun bench/pubsub_fanout.ts`; add
 * `fanout` or `memory` for one half; `MEMORY_ROUNDS=N` sets the memory children per kind
 * (default 3; each window's figure is their median).
 *
 * The servers run in this process; the 1,000 subscribers run in a child process of the same
 * runtime (plain WebSockets, no Switchboard code, identical for both servers). The time of a
 * round runs from the child sending a one-frame trigger to the last subscriber receiving the
 * event. Memory is measured in a fresh child server per variant (RSS and JS heap after GC,
 * minus their values before the connections, divided by the count), twice: for the first
 * 1,000 connections ("cold": the heap grows for them and for the garbage of their set-up),
 * for 1,000 more after those closed ("steady": what a long-running server pays), and for
 * 1,000 more opened on top of those ("added": the marginal cost of a connection in a warm
 * process, free of one-off costs such as the JIT compiling the server's hot code, which
 * otherwise land in whichever window they happen in and count as 1/1,000th per connection).
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import { spawn } from "node:child_process";
import process from "node:process";
import { Switchboard, type SwitchboardOptions } from "../server.ts";
import { serve } from "../server.ts";

const SUBSCRIBERS = 1000;
const ROUNDS = 20;
const WARMUP = 10;
const TOPIC = "bench.fanout";
const isBun = typeof (globalThis as any).Bun !== "undefined";
const runtime = isBun ? "bun" : "deno";
const self = new URL(import.meta.url).pathname;

/** What a subscriber sends to Switchboard: a plain JSON-RPC `rpc.subscribe` request. */
const SUBSCRIBE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "rpc.subscribe",
  params: { topic: TOPIC },
});

/** The event frame every variant sends (what Switchboard sends for the same publish). */
function eventFrame(i: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    method: "rpc.event",
    params: { topic: TOPIC, seq: i, data: { i, price: 101.25 } },
  });
}

function childArgs(args: string[]): string[] {
  return isBun ? [self, ...args] : ["run", "-A", "--v8-flags=--expose-gc", self, ...args];
}

function runChild(
  args: string[],
  onLine: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<void> {
  const child = spawn(process.execPath, childArgs(args), { stdio: ["pipe", "pipe", "inherit"] });
  let buffer = "";
  child.stdout!.on("data", (chunk: Uint8Array) => {
    buffer += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      onLine(buffer.slice(0, nl), child);
      buffer = buffer.slice(nl + 1);
    }
  });
  const timer = setTimeout(() => child.kill(), 120_000);
  return new Promise((resolve) =>
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    })
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function gc(): void {
  const g = globalThis as any;
  if (isBun) g.Bun.gc(true);
  else g.gc?.();
}

// ---------------------------------------------------------------- raw baseline servers

/** Server-side time of each fan-out (encode + every send), per variant, in this process. */
const serverTimes: Record<"switchboard" | "rawSendLoop" | "bunNativePublish", number[]> = {
  switchboard: [],
  rawSendLoop: [],
  bunNativePublish: [],
};

interface RawServer {
  port: number;
  count(): number;
  close(): Promise<void>;
}

/**
 * The raw baseline server. `bySubscribe`: a socket joins the fan-out when it sends its first
 * frame (`sub`), answered with one frame, as a hand-written pub/sub server does; otherwise it
 * joins on open and is greeted with one frame.
 */
function rawServer(bySubscribe = false): Promise<RawServer> {
  let n = 0;
  if (isBun) {
    const Bun = (globalThis as any).Bun;
    const sockets = new Set<any>();
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req: Request, srv: any) {
        if (srv.upgrade(req)) return undefined;
        return new Response("upgrade", { status: 400 });
      },
      websocket: {
        open(ws: any) {
          if (bySubscribe) return;
          ws.subscribe(TOPIC);
          sockets.add(ws);
          ws.send("hi");
        },
        message(ws: any, message: string) {
          if (message === "sub") {
            ws.subscribe(TOPIC);
            sockets.add(ws);
            ws.send("subscribed");
            return;
          }
          const t0 = performance.now();
          const frame = eventFrame(++n);
          if (message === "go") server.publish(TOPIC, frame);
          else if (message === "loop") { for (const s of sockets) s.send(frame); }
          serverTimes[message === "go" ? "bunNativePublish" : "rawSendLoop"].push(
            performance.now() - t0,
          );
        },
        close(ws: any) {
          sockets.delete(ws);
        },
      },
    });
    return Promise.resolve({
      port: server.port,
      count: () => sockets.size,
      close: () => server.stop(true),
    });
  }
  const Deno = (globalThis as any).Deno;
  const sockets = new Set<WebSocket>();
  const abort = new AbortController();
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: abort.signal,
      onListen: (addr: { port: number }) =>
        resolve({
          port: addr.port,
          count: () => sockets.size,
          close: async () => {
            abort.abort();
            await server.finished;
          },
        }),
    }, (req: Request) => {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onopen = () => {
        if (bySubscribe) return;
        sockets.add(socket);
        socket.send("hi");
      };
      socket.onmessage = (event: MessageEvent) => {
        if (event.data === "sub") {
          sockets.add(socket);
          socket.send("subscribed");
          return;
        }
        const t0 = performance.now();
        const frame = eventFrame(++n);
        for (const s of sockets) s.send(frame);
        serverTimes.rawSendLoop.push(performance.now() - t0);
      };
      socket.onclose = () => sockets.delete(socket);
      return response;
    });
  });
}

async function switchboardServer(options: SwitchboardOptions = {}): Promise<
  { sb: Switchboard; port: number; close(): Promise<void> }
> {
  const sb = new Switchboard(options);
  let n = 0;
  sb.register("bench.go", () => {
    const t0 = performance.now();
    void sb.publish(TOPIC, { i: ++n, price: 101.25 });
    serverTimes.switchboard.push(performance.now() - t0);
  });
  const server = await serve(sb, { hostname: "127.0.0.1", port: 0, path: "/rpc" });
  return { sb, port: server.port, close: () => server.close() };
}

// ---------------------------------------------------------------- subscriber side (child)

async function openSockets(
  url: string,
  count: number,
  subscribe: string | undefined,
  waitFirstFrame = true,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from(
      { length: Math.min(100, count - start) },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url);
          const timer = setTimeout(() => reject(new Error("connect timeout")), 10_000);
          ws.onopen = () => {
            if (!waitFirstFrame) {
              clearTimeout(timer);
              resolve(ws);
            }
            if (subscribe !== undefined) ws.send(subscribe);
          };
          ws.onmessage = () => {
            // First frame: the subscribe result, or the raw server's "hi".
            clearTimeout(timer);
            ws.onmessage = null;
            resolve(ws);
          };
          ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
        }),
    );
    sockets.push(...await Promise.all(batch));
  }
  return sockets;
}

/** One round: trigger a publish, resolve with the time until every socket got the event. */
function round(sockets: WebSocket[], trigger: string): Promise<number> {
  let received = 0;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("round timeout")), 10_000);
    for (const ws of sockets) {
      ws.onmessage = () => {
        if (++received === sockets.length) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      };
    }
    const t0 = performance.now();
    sockets[0]!.send(trigger);
  });
}

async function fanClients(sbPort: number, rawPort: number): Promise<void> {
  const sbSockets = await openSockets(`ws://127.0.0.1:${sbPort}/rpc`, SUBSCRIBERS, SUBSCRIBE);
  const rawSockets = await openSockets(`ws://127.0.0.1:${rawPort}/`, SUBSCRIBERS, undefined);
  const variants: [string, WebSocket[], string][] = [
    ["switchboard", sbSockets, '{"jsonrpc":"2.0","method":"bench.go"}'],
    ["rawSendLoop", rawSockets, "loop"],
  ];
  if (isBun) variants.push(["bunNativePublish", rawSockets, "go"]);
  const times: Record<string, number[]> = {};
  // Rounds interleave the variants so that noise from a shared machine hits them alike.
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    for (const [name, sockets, trigger] of variants) {
      const t = await round(sockets, trigger);
      if (i >= WARMUP) (times[name] ??= []).push(t);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const result = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  for (const ws of [...sbSockets, ...rawSockets]) ws.close();
  console.log(JSON.stringify(result));
  process.exit(0);
}

// ---------------------------------------------------------------- memory (child server)

/**
 * What a memory child serves. `raw`: a raw WebSocket that joins the fan-out on open and is
 * greeted with one frame (the raw connection). `raw-subscribed`: a raw WebSocket
 * that subscribes the way any pub/sub protocol must, with one frame each way (the client's
 * `sub`, the server's answer); the fair baseline for a subscribed connection, since on some
 * runtimes a socket's first received frame costs memory of its own. `switchboard`: a
 * Switchboard connection subscribed with `rpc.subscribe` (one frame each way).
 * `switchboard-all-headers`: the same with `keepHeaders: true` (the connection keeps every
 * upgrade header; the default keeps none, as the raw servers do). `switchboard-unsubscribed`: a Switchboard connection that sent
 * nothing.
 */
type MemKind =
  | "raw"
  | "raw-subscribed"
  | "switchboard"
  | "switchboard-all-headers"
  | "switchboard-unsubscribed";

/** Connections per memory window. */
const MEMORY_CONNECTIONS = Number(process.env.MEMORY_CONNECTIONS ?? 1000);

/** `MEMORY_KINDS=raw,switchboard`: measure only these kinds (the others print NaN). */
const MEMORY_KINDS = process.env.MEMORY_KINDS?.split(",");

/** Memory children per kind; each window's figure is the median over them. */
const MEMORY_ROUNDS = Number(process.env.MEMORY_ROUNDS ?? 3);

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) gc();
  await new Promise((r) => setTimeout(r, 300));
  gc();
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
}

/**
 * Three windows of 1,000 connections: "cold" is the first (the heap grows for them and for
 * the garbage of their set-up), "steady" the second, after all of the first closed and were
 * collected (the process reuses what it already holds, as a long-running server does), and
 * "added" 1,000 more opened while the second ones stay (2,000 in all).
 */
async function memServer(kind: MemKind): Promise<void> {
  let count: () => number;
  let port: number;
  if (kind === "raw" || kind === "raw-subscribed") {
    const raw = await rawServer(kind === "raw-subscribed");
    count = raw.count;
    port = raw.port;
  } else {
    const server = await switchboardServer(
      kind === "switchboard-all-headers" ? { keepHeaders: true } : {},
    );
    const sb = server.sb;
    port = server.port;
    count = kind === "switchboard-unsubscribed"
      ? () => sb.peers.size
      : () => sb.pubsub.subscriberCount(TOPIC);
  }
  await settle();
  const m0 = process.memoryUsage();
  console.log(`PORT ${port}`);
  await waitFor(() => count() >= MEMORY_CONNECTIONS);
  await settle();
  const m1 = process.memoryUsage();
  const connections = count();
  console.log("CLOSE");
  await waitFor(() => count() === 0);
  await settle();
  const m2 = process.memoryUsage();
  console.log("REOPEN");
  await waitFor(() => count() >= MEMORY_CONNECTIONS);
  await settle();
  const m3 = process.memoryUsage();
  const reopened = count();
  console.log("MORE");
  await waitFor(() => count() >= 2 * MEMORY_CONNECTIONS);
  await settle();
  const m4 = process.memoryUsage();
  console.log(JSON.stringify({
    kind,
    connections: Math.min(connections, reopened, count() - reopened),
    cold: { rss: m1.rss - m0.rss, heap: m1.heapUsed - m0.heapUsed },
    steady: { rss: m3.rss - m2.rss, heap: m3.heapUsed - m2.heapUsed },
    added: { rss: m4.rss - m3.rss, heap: m4.heapUsed - m3.heapUsed },
  }));
  process.exit(0);
}

interface Memory {
  rss: number;
  heap: number;
}

interface MemoryRounds {
  cold: Memory;
  steady: Memory;
  added: Memory;
}

/** One memory child of the kind: per-connection figures of its three windows. */
async function measureMemoryOnce(kind: MemKind): Promise<MemoryRounds> {
  let sockets: WebSocket[] = [];
  const none = { rss: NaN, heap: NaN };
  let result: MemoryRounds = { cold: none, steady: none, added: none };
  const raw = kind === "raw" || kind === "raw-subscribed";
  const url = (port: number) => raw ? `ws://127.0.0.1:${port}/` : `ws://127.0.0.1:${port}/rpc`;
  const subscribe = kind === "switchboard" || kind === "switchboard-all-headers"
    ? SUBSCRIBE
    : kind === "raw-subscribed"
    ? "sub"
    : undefined;
  let port = 0;
  const open = () =>
    openSockets(url(port), MEMORY_CONNECTIONS, subscribe, kind !== "switchboard-unsubscribed")
      .then((s) => sockets.push(...s));
  await runChild(["memserver", kind], (line) => {
    if (line.startsWith("PORT ")) {
      port = Number(line.slice(5));
      open();
    } else if (line === "CLOSE") {
      for (const ws of sockets) ws.close();
      sockets = [];
    } else if (line === "REOPEN" || line === "MORE") {
      open();
    } else if (line.startsWith("{")) {
      const r = JSON.parse(line);
      const per = (m: Memory) => ({ rss: m.rss / r.connections, heap: m.heap / r.connections });
      result = { cold: per(r.cold), steady: per(r.steady), added: per(r.added) };
    }
  });
  for (const ws of sockets) ws.close();
  return result;
}

/** {@linkcode MEMORY_ROUNDS} children of the kind: the median of each window and measure. */
async function measureMemory(kind: MemKind): Promise<MemoryRounds> {
  const all: MemoryRounds[] = [];
  if (MEMORY_KINDS !== undefined && !MEMORY_KINDS.includes(kind)) {
    const none = { rss: NaN, heap: NaN };
    return { cold: none, steady: none, added: none };
  }
  for (let i = 0; i < MEMORY_ROUNDS; i++) all.push(await measureMemoryOnce(kind));
  const mid = (round: keyof MemoryRounds, measure: keyof Memory) =>
    median(all.map((r) => r[round][measure]));
  const of = (round: keyof MemoryRounds) => ({ rss: mid(round, "rss"), heap: mid(round, "heap") });
  return { cold: of("cold"), steady: of("steady"), added: of("added") };
}

// ---------------------------------------------------------------- orchestrator

async function fanout(): Promise<void> {
  const sb = await switchboardServer();
  const raw = await rawServer();
  let fan: Record<string, number> = {};
  await runChild(["fanclients", String(sb.port), String(raw.port)], (line) => {
    if (line.startsWith("{")) fan = JSON.parse(line);
  });
  await sb.close();
  await raw.close();
  const baseline = isBun ? fan.bunNativePublish! : fan.rawSendLoop!;
  const ms = (x: number | undefined) => x === undefined ? "-" : `${x.toFixed(2)} ms`;
  console.log(`pub/sub fan-out on ${runtime}, ${SUBSCRIBERS} subscribers, median of ${ROUNDS}`);
  console.log(`  switchboard publish      ${ms(fan.switchboard)}`);
  if (isBun) console.log(`  bun native server.publish ${ms(fan.bunNativePublish)}`);
  console.log(`  raw send loop            ${ms(fan.rawSendLoop)}`);
  const srv = (name: string) => {
    const all = serverTimes[name as keyof typeof serverTimes];
    return all.length === 0 ? undefined : median(all.slice(WARMUP));
  };
  console.log(
    `  server-side fan-out time (encode + sends): switchboard ${ms(srv("switchboard"))}, ` +
      `raw loop ${ms(srv("rawSendLoop"))}` +
      (isBun ? `, native publish ${ms(srv("bunNativePublish"))}` : ""),
  );
  console.log(
    `  ratio (switchboard / ${isBun ? "native publish" : "raw loop"}) ${
      (fan.switchboard! / baseline).toFixed(2)
    }x`,
  );
}

async function memory(): Promise<void> {
  const memRaw = await measureMemory("raw");
  const memRawSub = await measureMemory("raw-subscribed");
  const memPeer = await measureMemory("switchboard-unsubscribed");
  const memSb = await measureMemory("switchboard");
  const memAllHeaders = await measureMemory("switchboard-all-headers");
  const kb = (x: number) => `${(x / 1024).toFixed(1)} KB`;
  const n = MEMORY_CONNECTIONS.toLocaleString("en-US");
  console.log(
    `server memory per idle connection on ${runtime}, RSS / JS heap, median of ` +
      `${MEMORY_ROUNDS} child servers (cold: first ${n}; steady: the next ${n} after those ` +
      `closed; added: ${n} more on top of those):`,
  );
  for (
    const [name, m] of [
      ["raw WebSocket", memRaw],
      ["raw, subscribed by a frame", memRawSub],
      ["switchboard", memPeer],
      ["switchboard + subscribed", memSb],
      ["  keepHeaders: true", memAllHeaders],
    ] as const
  ) {
    if (Number.isNaN(m.cold.rss)) continue;
    console.log(
      `  ${name.padEnd(27)} cold ${kb(m.cold.rss)} / ${kb(m.cold.heap)}   steady ${
        kb(m.steady.rss)
      } / ${kb(m.steady.heap)}   added ${kb(m.added.rss)} / ${kb(m.added.heap)}`,
    );
  }
  const over = (sb: MemoryRounds, base: MemoryRounds, round: keyof MemoryRounds) =>
    `${kb(sb[round].rss - base[round].rss)} RSS, ${kb(sb[round].heap - base[round].heap)} heap`;
  for (
    const [name, sb, base] of [
      ["subscribed switchboard - raw", memSb, memRaw],
      ["subscribed switchboard - raw subscribed", memSb, memRawSub],
      ["  keepHeaders: true", memAllHeaders, memRawSub],
    ] as const
  ) {
    if (Number.isNaN(sb.cold.rss) || Number.isNaN(base.cold.rss)) continue;
    console.log(
      `  ${name}: cold ${over(sb, base, "cold")}; steady ${over(sb, base, "steady")}; added ${
        over(sb, base, "added")
      }`,
    );
  }
  console.log(`  subscription alone: ${kb(memSb.steady.heap - memPeer.steady.heap)} heap`);
}

const [mode, a, b] = process.argv.slice(isBun ? 2 : 2);
if (mode === "fanclients") await fanClients(Number(a), Number(b));
else if (mode === "memserver") await memServer(a as MemKind);
else if (mode === "memory") await memory();
else if (mode === "fanout") await fanout();
else if (import.meta.main) {
  await fanout();
  await memory();
}
