/**
 * Connection churn bench: opens and closes 25,000 WebSocket connections (in batches of 1,000
 * open at once, so neither process nears its open-file limit) against a server in this
 * process, then reads the server's JS heap after a full GC every second for 10 s and reports
 * how far it is from its baseline (read the same way before the first connection).
 *
 * Variants, each in a fresh child process of this runtime: `switchboard` (serve() with its
 * adapter: on Deno `idleTimeout: 0`, Switchboard's own heartbeat instead of Deno's ping
 * timer) and, on Deno, `raw-idle` (a bare `Deno.upgradeWebSocket` with Deno's default
 * `idleTimeout`) and `raw-idle0` (the same with `idleTimeout: 0`), to show what the ping
 * timer keeps.
 *
 * Run: `deno run -A bench/churn.ts` or `bun bench/churn.ts`; `CHURN=N` sets the connection
 * count (default 25,000), `BATCH=N` the batch (default 1,000).
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import { spawn } from "node:child_process";
import process from "node:process";
import { serve, Switchboard } from "../server.ts";

const TOTAL = Number(process.env.CHURN ?? 25_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const isBun = typeof (globalThis as any).Bun !== "undefined";
const self = new URL(import.meta.url).pathname;

/** The JS heap after a full GC, in bytes. */
function heap(): number {
  (globalThis as any).gc?.();
  (globalThis as any).gc?.();
  return process.memoryUsage().heapUsed;
}

function childArgs(args: string[]): string[] {
  return isBun ? [self, ...args] : ["run", "-A", "--v8-flags=--expose-gc", self, ...args];
}

/** Run this file as a child with `args`; resolves with its last stdout line, parsed. */
function child(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, childArgs(args), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (chunk) => out += chunk);
    proc.on("error", reject);
    proc.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`child ${args.join(" ")} exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

/** Client side: open `BATCH` sockets, wait for all to open, close them, wait; repeat. */
async function churn(url: string, total: number): Promise<void> {
  for (let done = 0; done < total; done += BATCH) {
    const n = Math.min(BATCH, total - done);
    const sockets = await Promise.all(
      Array.from({ length: n }, () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve(ws);
          ws.onerror = () => reject(new Error("socket failed to open"));
        })),
    );
    await Promise.all(sockets.map((ws) =>
      new Promise<void>((resolve) => {
        ws.onclose = () => resolve();
        ws.close(1000);
      })
    ));
  }
}

/** A bare Deno WebSocket server (the `raw-*` variants). */
function rawDenoServer(idleTimeout: number | undefined): Promise<{ url: string; close(): void }> {
  const Deno = (globalThis as any).Deno;
  return new Promise((resolve) => {
    const abort = new AbortController();
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: abort.signal,
      onListen: (addr: { port: number }) =>
        resolve({ url: `ws://127.0.0.1:${addr.port}/rpc`, close: () => abort.abort() }),
    }, (request: Request) => {
      const { socket, response } = Deno.upgradeWebSocket(
        request,
        idleTimeout === undefined ? {} : { idleTimeout },
      );
      socket.onmessage = (event: MessageEvent) => socket.send(event.data);
      return response;
    });
  });
}

/** Server side of one variant: baseline, churn (in a grandchild), then 10 s of readings. */
async function runVariant(variant: string): Promise<void> {
  let url: string;
  let close: () => unknown;
  if (variant === "switchboard") {
    const sb = new Switchboard();
    sb.register("echo", (p) => p);
    const server = await serve(sb, { hostname: "127.0.0.1", port: 0 });
    url = `${server.url.replace("http:", "ws:")}/rpc`;
    close = () => server.close();
  } else {
    const server = await rawDenoServer(variant === "raw-idle0" ? 0 : undefined);
    url = server.url;
    close = server.close;
  }
  // Warm up: one batch, so the baseline includes compiled code and pools.
  await child(["client", url, String(BATCH)]);
  await new Promise((r) => setTimeout(r, 500));
  const baseline = heap();
  const baseRss = process.memoryUsage().rss;
  const started = performance.now();
  await child(["client", url, String(TOTAL)]);
  const churnSeconds = (performance.now() - started) / 1000;
  const after: number[] = [];
  const rss: number[] = [];
  for (let s = 0; s <= 10; s++) {
    after.push(heap() - baseline);
    rss.push(process.memoryUsage().rss - baseRss);
    if (s < 10) await new Promise((r) => setTimeout(r, 1000));
  }
  await close();
  console.log(JSON.stringify({ variant, baseline, churnSeconds, after, rss }));
}

const [mode, arg1, arg2] = process.argv.slice(2);
if (mode === "client") {
  await churn(arg1!, Number(arg2));
  console.log("{}");
  process.exit(0);
} else if (mode === "variant") {
  await runVariant(arg1!);
  process.exit(0);
} else {
  const variants = isBun ? ["switchboard"] : ["switchboard", "raw-idle", "raw-idle0"];
  const KiB = 1024;
  console.log(
    `churn: ${TOTAL} connections in batches of ${BATCH}, ${isBun ? "bun" : "deno"}; ` +
      "JS heap after GC and RSS minus their baselines, KiB, at 0..10 s after the last close",
  );
  for (const variant of variants) {
    const r = await child(["variant", variant]);
    const row = (xs: number[]) => xs.map((b) => (b / KiB).toFixed(0).padStart(7)).join("");
    console.log(
      `${variant.padEnd(12)} heap (baseline ${(r.baseline / KiB / KiB).toFixed(1)} MiB, churn ` +
        `${r.churnSeconds.toFixed(1)} s) |${row(r.after)}`,
    );
    console.log(`${"".padEnd(12)} RSS${"".padStart(31)}|${row(r.rss)}`);
  }
}
