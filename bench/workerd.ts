/**
 * `deno run -A bench/workerd.ts`: calls through the Switchboard Durable Object in workerd
 * (Miniflare, local) against a raw workerd WebSocket echo (a Durable Object on the same
 * Hibernation API that sends each frame back), in the same run, on the same Worker.
 *
 * Three callers, each on one connection, alternated over rounds (medians reported; the
 * ratios to raw echo are computed per round, then their median taken):
 * - `raw echo`: the call-style raw driver (bench/_driver.ts) against the echo object;
 * - `json floor`: the same driver against an object that parses each request and answers it
 *   (the ceiling of any JSON-RPC server in workerd);
 * - `sb, raw client`: the same driver calling `echo` on the Switchboard object (the
 *   server-side cost of Switchboard in workerd);
 * - `sb, sb client`: Switchboard's own client calling `echo` (end to end).
 *
 * Then memory per idle connection: RSS of the workerd process with `--memory=N` (default
 * 500) connections open to each object, awake and after the objects hibernated (workerd
 * evicts an idle object after 10 s).
 *
 * Flags: `--quick` (3 rounds), `--rounds=N` (default 15), `--memory=N` connections (default
 * 500; 0 skips memory).
 * Writes bench/results/workerd-latest.json.
 *
 * @module
 */

import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startLocal } from "../examples/cloudflare/local.ts";
import {
  type Caller,
  median,
  pipelined,
  quantile,
  rawCaller,
  sequential,
  switchboardCaller,
} from "./_driver.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const flag = (name: string, fallback: number): number => {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
};
// Many short rounds: the ratios are taken per round, so both sides of a ratio meet the same
// load on a shared machine.
const ROUNDS = flag("rounds", quick ? 3 : 15);
const PIPELINED_CALLS = 5_000;
const SEQUENTIAL_CALLS = 500;
const IN_FLIGHT = 100;
const CAP_MS = 15_000;
const MEMORY_CONNECTIONS = flag("memory", 500);
/** workerd evicts an idle hibernatable object after 10 s. */
const HIBERNATE_WAIT_MS = 13_000;

interface Figures {
  rate: number;
  p50: number;
  p99: number;
}

async function measure(open: () => Promise<Caller>): Promise<Figures> {
  const caller = await open();
  try {
    await pipelined(caller, 1_000, IN_FLIGHT, CAP_MS); // warm-up
    const run = await pipelined(caller, PIPELINED_CALLS, IN_FLIGHT, CAP_MS);
    const samples: number[] = [];
    await sequential(caller, SEQUENTIAL_CALLS, performance.now() + CAP_MS, samples);
    samples.sort((a, b) => a - b);
    return { rate: run.rate, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
  } finally {
    caller.close();
  }
}

/** The workerd process Miniflare started for us (a child of this process). */
async function workerdPid(): Promise<number | undefined> {
  const { readdir } = await import("node:fs/promises");
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) return Number(entry);
    } catch {
      // The process ended while we looked: not ours.
    }
  }
  return undefined;
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Open `count` plain sockets, each making one call (so each object holds a session). */
async function openMany(url: string, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("bench: connect timed out")), 5_000);
      socket.onopen = () => socket.send('{"jsonrpc":"2.0","method":"echo","params":[1],"id":1}');
      socket.onmessage = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onerror = () => reject(new Error(`bench: cannot connect to ${url}`));
    });
    sockets.push(socket);
  }
  return sockets;
}

/** RSS per connection in bytes. */
interface Memory {
  /** N raw echo connections on top of a warm-up batch. */
  readonly echoAwakeB: number;
  /** N Switchboard connections on top of those. */
  readonly switchboardAwakeB: number;
  /** The change of RSS per connection over both batches once the objects hibernated. */
  readonly afterHibernationB: number;
}

/**
 * Marginal RSS of idle connections: a warm-up batch first (workerd's one-off growth, kept
 * open), then raw echo connections, then Switchboard connections, all kept open; then the
 * wait for hibernation.
 */
async function memory(pid: number, ws: string): Promise<Memory> {
  const warm = await openMany(`${ws}/echo?room=mem-warm`, MEMORY_CONNECTIONS);
  const t0 = await rssKb(pid);
  const echo = await openMany(`${ws}/echo?room=mem-echo`, MEMORY_CONNECTIONS);
  const t1 = await rssKb(pid);
  const sb = await openMany(`${ws}/rpc?room=mem-sb`, MEMORY_CONNECTIONS);
  const t2 = await rssKb(pid);
  await new Promise((resolve) => setTimeout(resolve, HIBERNATE_WAIT_MS));
  const t3 = await rssKb(pid);
  for (const socket of [...warm, ...echo, ...sb]) socket.close();
  const per = (kb: number, n: number) => Math.round(kb * 1024 / n);
  return {
    echoAwakeB: per(t1 - t0, MEMORY_CONNECTIONS),
    switchboardAwakeB: per(t2 - t1, MEMORY_CONNECTIONS),
    afterHibernationB: per(t3 - t2, 2 * MEMORY_CONNECTIONS),
  };
}

const worker = await startLocal({
  port: 0,
  entry: new URL("./workerd_worker.ts", import.meta.url),
  objects: { SWITCHBOARD: "SwitchboardHub", ECHO: "EchoObject", JSON: "JsonObject" },
});
try {
  const ws = worker.origin.replace("http:", "ws:");
  const kinds: Record<string, () => Promise<Caller>> = {
    "raw echo": () => rawCaller(`${ws}/echo?room=bench`),
    "json floor": () => rawCaller(`${ws}/json?room=bench`),
    "sb, raw client": () => rawCaller(`${ws}/rpc?room=bench`),
    "sb, sb client": () => switchboardCaller(`${ws}/rpc?room=bench`),
  };
  const rounds: Record<string, Figures[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, open] of Object.entries(kinds)) {
      (rounds[name] ??= []).push(await measure(open));
    }
  }
  const result: Record<string, Figures> = {};
  for (const [name, list] of Object.entries(rounds)) {
    result[name] = {
      rate: median(list.map((f) => f.rate)),
      p50: median(list.map((f) => f.p50)),
      p99: median(list.map((f) => f.p99)),
    };
  }
  // Ratios per round (each round's callers ran back to back under the same load), then
  // their median: the machine is shared, and a median of ratios resists its swings.
  const ratios: Record<string, { rate: number; p50: number }> = {};
  for (const name of Object.keys(rounds)) {
    const pairs = rounds[name]!.map((f, i) => ({ f, raw: rounds["raw echo"]![i]! }));
    ratios[name] = {
      rate: median(pairs.map(({ f, raw }) => f.rate / raw.rate)),
      p50: median(pairs.map(({ f, raw }) => f.p50 / raw.p50)),
    };
  }
  console.log(`workerd (Miniflare), ${ROUNDS} round(s), ${IN_FLIGHT} in flight, medians`);
  console.log("caller            calls/s   p50 µs   p99 µs   rate ratio   p50 ratio");
  for (const [name, f] of Object.entries(result)) {
    const ratio = ratios[name]!;
    console.log(
      `${name.padEnd(16)} ${f.rate.toFixed(0).padStart(8)} ${f.p50.toFixed(0).padStart(8)} ${
        f.p99.toFixed(0).padStart(8)
      } ${ratio.rate.toFixed(2).padStart(12)} ${ratio.p50.toFixed(2).padStart(11)}`,
    );
  }
  let mem: (Memory & { connections: number }) | undefined;
  const pid = MEMORY_CONNECTIONS > 0 ? await workerdPid() : undefined;
  if (MEMORY_CONNECTIONS > 0 && pid === undefined) {
    console.log("memory: workerd's process not found (not Linux /proc?): skipped");
  } else if (pid !== undefined) {
    mem = { connections: MEMORY_CONNECTIONS, ...await memory(pid, ws) };
    console.log(`memory, workerd RSS per connection, ${MEMORY_CONNECTIONS} connections each:`);
    console.log(`  raw echo, awake:    ${mem.echoAwakeB} B`);
    console.log(`  switchboard, awake: ${mem.switchboardAwakeB} B`);
    console.log(`  change once both objects hibernated: ${mem.afterHibernationB} B`);
  }
  await writeFile(
    fileURLToPath(new URL("./results/workerd-latest.json", import.meta.url).href),
    JSON.stringify(
      { date: new Date().toISOString(), rounds: ROUNDS, result, ratios, memory: mem },
      null,
      2,
    ),
  );
} finally {
  await worker.close();
}
