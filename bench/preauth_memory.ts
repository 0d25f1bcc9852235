/**
 * Pre-authentication memory bench: how much a hub's RSS grows while sockets that never
 * authenticate each send one large binary frame (the worst an anonymous peer can do before
 * `rpc.hello`). The hub runs as a child process (`deno run -A server.ts`, or `bun server.ts`
 * with HUB_RUNTIME=bun) with a secret configured; its RSS is sampled from /proc (Linux) every
 * 20 ms while the sockets send, and the peak over its idle baseline is printed.
 *
 * Deno has no max-payload option: it buffers each frame whole (up to its own 64 MiB cap)
 * before JavaScript sees it, so the peak is about (admitted sockets) × (frame size). The
 * hub's caps on unauthenticated sockets (`preAuthMaxSocketsPerAddress`, `preAuthMaxSockets`)
 * bound how many are admitted; `requireUpgradeAuth` admits none. Bun enforces its
 * `maxPayloadLength` before JavaScript, so it never buffers such a frame.
 *
 *   deno run -A bench/preauth_memory.ts
 *   HUB_RUNTIME=bun deno run -A bench/preauth_memory.ts
 *   SOCKETS=16 FRAME_MIB=60 ADDRESSES=2 deno run -A bench/preauth_memory.ts
 *
 * Bounded: at most 64 sockets and 64 MiB frames (at most 1 GiB sent at once), each scenario
 * at most 30 s.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const ROOT = new URL("..", import.meta.url).pathname;
const SOCKETS = Math.min(Number(process.env.SOCKETS ?? 16), 64);
const FRAME_MIB = Math.min(Number(process.env.FRAME_MIB ?? 60), 64);
const ADDRESSES = Math.min(Number(process.env.ADDRESSES ?? 1), 8);
const RUNTIME = process.env.HUB_RUNTIME === "bun" ? "bun" : "deno";
const SCENARIO_CAP_MS = 30_000;

interface RunningHub {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** Start the hub with a config file's content; resolve once it prints its URL. */
function startHub(config: Record<string, unknown>): Promise<RunningHub> {
  const file = join(tmpdir(), `preauth-bench-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(config));
  const binary = `${ROOT}node_modules/.bin/${RUNTIME}`;
  const args = RUNTIME === "deno" ? ["run", "-A", "server.ts"] : ["server.ts"];
  const child = spawn(binary, [...args, "--config", file], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      NO_COLOR: "1",
      SWITCHBOARD_SECRET: "bench-secret",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hub printed no URL within 20 s: ${out}`));
    }, 20_000);
    const onData = (chunk: Uint8Array): void => {
      out += new TextDecoder().decode(chunk);
      const match = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/rpc/);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        port: Number(match[1]),
        stop: async () => {
          child.kill("SIGKILL");
          await exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return kb / 1024;
}

/** One raw socket: upgrade, then one unmasked-key binary frame of `bytes`; resolves at close. */
function floodOne(port: number, localAddress: string, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: "127.0.0.1", localAddress });
    let head = "";
    let upgraded = false;
    const done = (what: string): void => {
      socket.destroy();
      resolve(what);
    };
    socket.on("error", () => done(upgraded ? "closed" : "error"));
    socket.on("close", () => done(upgraded ? "closed" : `refused ${head.split(" ")[1] ?? ""}`));
    socket.on("data", (chunk: Uint8Array) => {
      if (upgraded) {
        // A close frame from the hub (0x88): the frame was refused after it arrived.
        if (chunk[0] === 0x88) done(`closed ${(chunk[2]! << 8) | chunk[3]!}`);
        return;
      }
      head += new TextDecoder().decode(chunk);
      if (!head.includes("\r\n\r\n")) return;
      if (!head.startsWith("HTTP/1.1 101")) return done(`refused ${head.split(" ")[1]}`);
      upgraded = true;
      // FIN + binary, 127 = 64-bit length, mask bit with a zero key (payload unchanged).
      const header = new Uint8Array(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      new DataView(header.buffer).setBigUint64(2, BigInt(bytes));
      socket.write(header);
      const block = new Uint8Array(1 << 20);
      let left = bytes;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, block.byteLength);
          left -= n;
          if (!socket.write(n === block.byteLength ? block : block.subarray(0, n))) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
    socket.on("connect", () => {
      socket.write(
        `GET /rpc HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
    });
  });
}

async function scenario(name: string, config: Record<string, unknown>): Promise<void> {
  const hub = await startHub(config);
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = rssMiB(hub.pid);
    let peak = baseline;
    const sampler = setInterval(() => peak = Math.max(peak, rssMiB(hub.pid)), 20);
    const started = performance.now();
    const outcomes = await Promise.race([
      Promise.all(
        Array.from(
          { length: SOCKETS },
          (_, i) => floodOne(hub.port, `127.0.0.${2 + (i % ADDRESSES)}`, FRAME_MIB << 20),
        ),
      ),
      new Promise<string[]>((resolve) => setTimeout(() => resolve(["timeout"]), SCENARIO_CAP_MS)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    clearInterval(sampler);
    peak = Math.max(peak, rssMiB(hub.pid));
    const counts = new Map<string, number>();
    for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    console.log(
      `${name.padEnd(44)} baseline ${baseline.toFixed(0).padStart(4)} MiB  peak +${
        (peak - baseline).toFixed(0).padStart(4)
      } MiB  ${(performance.now() - started).toFixed(0)} ms  ${
        [...counts].map(([k, n]) => `${n}× ${k}`).join(", ")
      }`,
    );
  } finally {
    await hub.stop();
  }
}

console.log(
  `hub on ${RUNTIME}: ${SOCKETS} unauthenticated sockets from ${ADDRESSES} address(es), ` +
    `one ${FRAME_MIB} MiB binary frame each (${new Date().toISOString().slice(0, 10)})`,
);
await scenario("defaults (8 per address, 256 in all)", {});
await scenario("no caps (preAuthMaxSockets*: 0)", {
  preAuthMaxSockets: 0,
  preAuthMaxSocketsPerAddress: 0,
});
await scenario("requireUpgradeAuth: true", { requireUpgradeAuth: true });
