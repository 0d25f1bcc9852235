/**
 * Binary attachments and codec bench. Runs alone on either runtime:
 *
 * ```sh
 * deno run -A bench/binary.ts
 * bun bench/binary.ts
 * ```
 *
 * Measures, on one loopback connection (server and client in this process):
 * 1. 16 MiB echo throughput through Switchboard (attachment in params, back in the result)
 *    as a ratio to a raw binary WebSocket echo of 16 MiB messages in the same run, the two
 *    alternating round by round (ratio of the median round times, and of the totals);
 * 2. bytes on the wire for a 1 MiB attachment (frame bytes + WebSocket headers);
 * 3. round trip of a small call while a 64 MiB upload is in flight on the same connection;
 * 4. superjson fast-path cost vs plain JSON for a message with no rich values.
 *
 * Every loop is bounded in count and time. Prints a JSON summary last.
 *
 * @module
 */

import { Hono } from "hono";
import { detectAdapter } from "../lib/adapters/detect.ts";
import { switchboardRoutes } from "../lib/server/routes.ts";
import { Switchboard } from "../lib/server/switchboard.ts";
import { connect } from "../client.ts";
import { jsonCodec } from "../lib/codec/json.ts";
import { superjsonCodec } from "../lib/codec/superjson.ts";
import { Wire } from "../lib/framing/wire.ts";
import { SuperJSON } from "superjson";

const MiB = 1024 * 1024;
const runtime = "Deno" in globalThis ? "deno" : "bun";
/** Optional overrides for experiments: CHUNK_KIB, HWM_KIB (environment). */
const env = (name: string): number | undefined => {
  const value = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
    ?.env[name];
  return value === undefined ? undefined : Number(value) * 1024;
};
const framing = {
  ...(env("CHUNK_KIB") === undefined ? {} : { chunkSize: env("CHUNK_KIB")! }),
  ...(env("HWM_KIB") === undefined ? {} : { highWaterMark: env("HWM_KIB")! }),
  maxChunkBytes: 8 * 1024 * 1024,
};

function now(): number {
  return performance.now();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function main(): Promise<void> {
  const adapter = await detectAdapter();
  const sb = new Switchboard({ limits: { maxMessageSize: MiB }, framing, rateLimit: false });
  sb.register("echo", (params: unknown) => params);
  sb.register("size", ([bytes]: [Uint8Array]) => bytes.byteLength);
  sb.register("small", () => 1);
  const app = new Hono();
  app.get(
    "/raw",
    adapter.upgradeWebSocket(() => ({
      onMessage: (event, ws) => ws.send(event.data as ArrayBuffer),
    })),
  );
  app.route("/rpc", switchboardRoutes(sb, adapter.upgradeWebSocket));
  const server = await adapter.serve(app, {
    hostname: "127.0.0.1",
    port: 0,
    maxMessageSize: 80 * MiB,
  });
  const ws = server.url.replace("http:", "ws:");
  const results: Record<string, unknown> = { runtime, framing: sb.framing };
  try {
    const payload = new Uint8Array(16 * MiB).fill(7);

    // 1. Raw binary echo and Switchboard echo, alternating round by round so that the
    // machine's load drifts affect both alike.
    const raw = new WebSocket(`${ws}/raw`);
    raw.binaryType = "arraybuffer";
    await new Promise((resolve) => raw.onopen = resolve);
    const rawEcho = (): Promise<void> =>
      new Promise((resolve) => {
        raw.onmessage = () => resolve();
        raw.send(payload);
      });
    const client = connect(`${ws}/rpc`, { timeout: 60_000, framing });
    await client.ready;
    const sbEcho = async (): Promise<void> => {
      const back = await client.call("echo", [payload]) as Uint8Array[];
      if (back[0]!.byteLength !== payload.byteLength) throw new Error("bad echo");
    };
    const { a: rawMs, b: sbMs } = await alternate(rawEcho, sbEcho);
    raw.close();
    const mbps = (ms: number): number => (16 * MiB) / 1e6 / (ms / 1000);
    const rawRate = mbps(percentile(rawMs, 0.5));
    const sbRate = mbps(percentile(sbMs, 0.5));
    results.rounds = rawMs.length;
    results.rawEchoMBps = round(rawRate);
    results.switchboardEchoMBps = round(sbRate);
    results.throughputRatio = round(sbRate / rawRate, 3);
    results.throughputRatioOfTotals = round(sum(rawMs) / sum(sbMs), 3);

    // 2. Bytes on the wire for a 1 MiB attachment.
    results.wire1MiB = await wireBytes(MiB);

    // 3. Small-call latency while a 64 MiB upload is in flight.
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = now();
      await client.call("small");
      idle.push(now() - t);
    }
    const during: number[] = [];
    let uploading = true;
    const upload = new Uint8Array(64 * MiB).fill(1);
    const t0 = now();
    const big = client.call("size", [upload]).then((n) => {
      uploading = false;
      return n;
    });
    for (let i = 0; i < 2000 && uploading && now() - t0 < 20_000; i++) {
      const t = now();
      await client.call("small");
      if (uploading) during.push(now() - t);
    }
    const uploaded = await big;
    const uploadMs = now() - t0;
    results.latency = {
      idleP50ms: round(percentile(idle, 0.5), 3),
      duringUploadP50ms: round(percentile(during, 0.5), 3),
      duringUploadP99ms: round(percentile(during, 0.99), 3),
      duringUploadMaxms: round(Math.max(...during), 3),
      smallCallsDuringUpload: during.length,
      upload64MiBms: round(uploadMs),
      uploadedBytes: uploaded,
    };
    client.close();

    // 4. superjson fast path.
    results.codec = codecCost();
  } finally {
    sb.closeAll();
    await server.close();
  }
  console.log(JSON.stringify(results, null, 2));
}

/** ms per round of two echoes, alternating: 2 warm-ups each, then up to 20 rounds or 12 s. */
async function alternate(
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < 2; i++) {
    await a();
    await b();
  }
  const times = { a: [] as number[], b: [] as number[] };
  const start = now();
  for (let i = 0; i < 20 && now() - start < 12_000; i++) {
    for (
      const [name, once] of i % 2 === 0
        ? [["a", a], ["b", b]] as const
        : [["b", b], ["a", a]] as const
    ) {
      const t = now();
      await once();
      times[name].push(now() - t);
    }
  }
  return times;
}

function sum(values: number[]): number {
  return values.reduce((n, v) => n + v, 0);
}

/** Frame bytes a 1 MiB attachment call produces, plus WebSocket frame headers. */
async function wireBytes(size: number): Promise<Record<string, number>> {
  const frames: (string | Uint8Array)[] = [];
  const wire = new Wire({ send: (f) => void frames.push(f), close() {} }, {
    binary: true,
    maxMessageSize: MiB,
  });
  wire.send({ jsonrpc: "2.0", id: 1, method: "upload", params: [new Uint8Array(size)] });
  for (
    let i = 0;
    i < 100 && frames.length < 1 + 2 * Math.ceil(size / wire.framing.chunkSize);
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const frameBytes = frames.reduce((n, f) => n + (typeof f === "string" ? f.length : f.length), 0);
  // A client frame header: 2 bytes, + 2 or 8 for the length past 125 or 65535 bytes, + 4 (mask).
  const headers = frames.reduce((n, f) => {
    const length = typeof f === "string" ? f.length : f.length;
    return n + 2 + (length > 65535 ? 8 : length > 125 ? 2 : 0) + 4;
  }, 0);
  const total = frameBytes + headers;
  return {
    payload: size,
    frames: frames.length,
    wireBytes: total,
    overheadBytes: total - size,
    overheadPercent: round(((total - size) / size) * 100, 4),
  };
}

/** ns per encode+decode of a plain message: JSON, our superjson codec, superjson alone. */
function codecCost(): Record<string, number> {
  const message = {
    jsonrpc: "2.0",
    id: 12,
    method: "update",
    params: {
      user: { id: 42, name: "Ada", tags: ["a", "b", "c"], active: true },
      values: Array.from({ length: 20 }, (_, i) => i * 1.5),
      note: "plain values only",
    },
  };
  const rich = { ...message, params: { ...message.params, at: new Date(0), big: 1n } };
  const sj = new SuperJSON();
  const n = 50_000;
  const measure = (fn: () => void): number => {
    for (let i = 0; i < 2_000; i++) fn();
    const start = now();
    for (let i = 0; i < n; i++) fn();
    return round(((now() - start) * 1e6) / n);
  };
  const json = measure(() => void jsonCodec.decode(jsonCodec.encode(message)));
  const fast = measure(() => void superjsonCodec.decode(superjsonCodec.encode(message)));
  const full = measure(() => void sj.parse(sj.stringify(message)));
  const richCost = measure(() => void superjsonCodec.decode(superjsonCodec.encode(rich)));
  return {
    jsonNsPerRoundTrip: json,
    superjsonFastPathNs: fast,
    superjsonLibraryPlainNs: full,
    superjsonRichMessageNs: richCost,
    fastPathVsJson: round(fast / json, 3),
  };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

await main();
