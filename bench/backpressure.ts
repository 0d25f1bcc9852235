/**
 * Outgoing backpressure bench: a hand-made WebSocket client pipelines 40,000 calls whose
 * answers are ~1 KiB each and never reads (tests/_tcp_client.ts explains why a paused
 * node:net socket really stops reading). Reports the server process's peak RSS and JS heap
 * growth, how many answers were handed to the socket, and how the connection ended, with the
 * default bound (`maxBufferedBytes` 4 MiB), a 1 MiB bound, and the bound effectively off
 * (1 TiB: what the server held before the bound existed).
 *
 * Each variant runs in a fresh child process of this runtime (server and client in it; the
 * client's unread bytes sit in kernel buffers, not in the process).
 *
 * Run: `deno run -A bench/backpressure.ts` or `bun bench/backpressure.ts`; `CALLS=N` sets the
 * call count (default 40,000).
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
import { spawn } from "node:child_process";
import process from "node:process";
import { serve, Switchboard } from "../server.ts";
import type { CloseInfo } from "../mod.ts";
import { clientTextFrame, connectTcp } from "../tests/_tcp_client.ts";

const CALLS = Number(process.env.CALLS ?? 40_000);
const isBun = typeof (globalThis as any).Bun !== "undefined";
const self = new URL(import.meta.url).pathname;
const MiB = 1024 * 1024;
const ANSWER = "x".repeat(1000);

function gcHeap(): number {
  (globalThis as any).gc?.();
  return process.memoryUsage().heapUsed;
}

async function runVariant(bound: number): Promise<void> {
  const closes: CloseInfo[] = [];
  let answered = 0;
  const sb = new Switchboard({
    maxBufferedBytes: bound,
    rateLimit: false,
    heartbeat: false,
    onClose: (_peer, info) => closes.push(info),
  });
  sb.register("kib", () => {
    answered++;
    return ANSWER;
  });
  const server = await serve(sb, { hostname: "127.0.0.1", port: 0 });
  const heap0 = gcHeap();
  const rss0 = process.memoryUsage().rss;
  const client = await connectTcp(Number(new URL(server.url).port));
  client.socket.pause();
  for (let first = 1; first <= CALLS; first += 1000) {
    const frames: Uint8Array[] = [];
    for (let id = first; id < first + 1000 && id <= CALLS; id++) {
      frames.push(clientTextFrame(`{"jsonrpc":"2.0","id":${id},"method":"kib"}`));
    }
    client.write(new Uint8Array(frames.flatMap((f) => [...f])));
  }
  let peakRss = 0;
  let peakHeap = 0;
  const started = performance.now();
  // Bounded: until the connection closed or every call was answered, at most 60 s.
  while (closes.length === 0 && answered < CALLS && performance.now() - started < 60_000) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss - rss0);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - heap0);
    await new Promise((r) => setTimeout(r, 10));
  }
  // Let what was queued settle, then read once more.
  for (let i = 0; i < 20; i++) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss - rss0);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - heap0);
    await new Promise((r) => setTimeout(r, 50));
  }
  const heldHeap = gcHeap() - heap0;
  console.log(JSON.stringify({
    bound,
    answered,
    bytesSent: sb.traffic.bytesSent,
    close: closes[0] === undefined ? "open" : `${closes[0].code} ${closes[0].reason}`,
    peakRss,
    peakHeap,
    heldHeap,
  }));
  client.socket.destroy();
  await server.close();
}

function child(bound: number): Promise<any> {
  const args = isBun
    ? [self, "variant", String(bound)]
    : ["run", "-A", "--v8-flags=--expose-gc", self, "variant", String(bound)];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (chunk) => out += chunk);
    proc.on("error", reject);
    proc.on("exit", (code) => {
      if (code !== 0) reject(new Error(`variant ${bound} exited ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)!));
    });
  });
}

const [mode, arg] = process.argv.slice(2);
if (mode === "variant") {
  await runVariant(Number(arg));
  process.exit(0);
} else {
  console.log(
    `backpressure: ${CALLS} pipelined calls, ~1 KiB answers, client never reads; ` +
      `${isBun ? "bun" : "deno"}; growth of the server process`,
  );
  for (const bound of [4 * MiB, 1 * MiB, 2 ** 40]) {
    const r = await child(bound);
    const label = bound === 2 ** 40 ? "off (1 TiB)" : `${bound / MiB} MiB`;
    console.log(
      `bound ${label.padEnd(12)} answered ${String(r.answered).padStart(6)}, sent ` +
        `${(r.bytesSent / MiB).toFixed(1).padStart(5)} MiB, close ${r.close.padEnd(18)} peak RSS ` +
        `+${(r.peakRss / MiB).toFixed(1)} MiB, peak heap +${(r.peakHeap / MiB).toFixed(1)} MiB, ` +
        `heap after GC +${(r.heldHeap / MiB).toFixed(1)} MiB`,
    );
  }
}
