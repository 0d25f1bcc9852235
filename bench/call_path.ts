/**
 * The library's own cost per call, without sockets: what one side of a call costs in
 * Switchboard next to the least any JSON-RPC code must do (parse + stringify), measured in
 * one process with synchronous transports, so that it is far steadier than the socket bench
 * on a shared machine.
 *
 * - server: `peer.receive(request text)` → response text, against `JSON.parse` of the request
 *   and `JSON.stringify` of `{jsonrpc, id, result: params}`;
 * - client: `peer.call("echo", params)` (the frame is dropped) then `peer.receive(response
 *   text)`, against a `Map` of promise resolvers with the same `JSON.stringify` and
 *   `JSON.parse`;
 * - client, connect(): the same through the whole client (`connect()` with its defaults:
 *   reconnection on, heartbeat off) over a stand-in WebSocket that drops what it is sent and
 *   delivers the response text as a message event.
 *
 * Every client subject attaches a `.then` to each call's promise, and the time includes
 * running the promise reactions the calls queued (a drain after the loop). Prints, per side,
 * the median over interleaved rounds of the CPU ns per call of each and their difference. Run: `deno run -A bench/call_path.ts` or `bun bench/call_path.ts`.
 *
 * @module
 */

import process from "node:process";
import { connect } from "../mod.ts";
import { Peer } from "../lib/peer/peer.ts";
import { Registry } from "../lib/router/registry.ts";
import { median, PARAMS } from "./_driver.ts";

/** Calls per measurement. */
const CALLS = 200_000;
/** Interleaved rounds; the median is reported. */
const ROUNDS = 11;
/** Distinct request texts cycled through (distinct ids, like real traffic). */
const TEXTS = 1_000;

let sink: unknown;
/** What a caller does with each answer (the socket bench's driver does as much). */
const noop = (value: unknown): void => void (sink = value);
const requests = Array.from(
  { length: TEXTS },
  (_, i) => `{"jsonrpc":"2.0","id":${i + 1},"method":"echo","params":["hello",42,true]}`,
);
const responseText = (id: number): string =>
  `{"jsonrpc":"2.0","id":${id},"result":["hello",42,true]}`;

const procedures = new Registry();
procedures.register("echo", (params) => params);
const dropFrame = { send: (frame: string | Uint8Array) => void (sink = frame), close() {} };
const server = new Peer(dropFrame, { binary: true, procedures });
const client = new Peer(dropFrame, { binary: true, timeout: 0 });
let clientId = 1;

/** A stand-in WebSocket: open at once, frames sent are dropped, messages come from `deliver`. */
class FakeSocket {
  static last: FakeSocket | undefined;
  readyState = 0;
  binaryType = "arraybuffer";
  bufferedAmount = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly #event = { data: "" as unknown };
  constructor() {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  send(frame: string): void {
    if (this.sent.length < 8) this.sent.push(frame);
    sink = frame;
  }
  deliver(text: string): void {
    this.#event.data = text;
    this.onmessage!(this.#event);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1000, reason: "", wasClean: true });
  }
}

const fullClient = connect("ws://127.0.0.1:1/rpc", {
  WebSocket: FakeSocket as unknown as typeof WebSocket,
  // Pings would take ids the loop below does not expect (one every 15 s: no cost to speak of).
  heartbeat: false,
});
const socket = FakeSocket.last!;
await new Promise((resolve) => setTimeout(resolve, 0));
for (const frame of socket.sent) {
  const hello = JSON.parse(frame) as { id: number; method: string };
  if (hello.method === "rpc.hello") {
    socket.deliver(
      JSON.stringify({
        jsonrpc: "2.0",
        id: hello.id,
        result: { codec: "json", binary: true, server: "bench", version: "0" },
      }),
    );
  }
}
await fullClient.ready;
socket.sent.length = 8;
let fullId = 2;

const subjects: Record<string, () => void> = {
  "server, bare": () => {
    for (let i = 0; i < CALLS; i++) {
      const request = JSON.parse(requests[i % TEXTS]!) as { id: number; params: unknown };
      sink = JSON.stringify({ jsonrpc: "2.0", id: request.id, result: request.params });
    }
  },
  "server, switchboard": () => {
    for (let i = 0; i < CALLS; i++) server.receive(requests[i % TEXTS]!);
  },
  "client, bare": () => {
    const pending = new Map<number, (value: unknown) => void>();
    for (let i = 0; i < CALLS; i++) {
      const id = i + 1;
      const { promise, resolve } = Promise.withResolvers<unknown>();
      promise.then(noop);
      pending.set(id, resolve);
      sink = JSON.stringify({ jsonrpc: "2.0", id, method: "echo", params: PARAMS });
      const response = JSON.parse(responseText(id)) as { id: number };
      const settle = pending.get(response.id)!;
      pending.delete(response.id);
      settle(response);
    }
  },
  "client, switchboard": () => {
    for (let i = 0; i < CALLS; i++) {
      client.call("echo", PARAMS).then(noop);
      client.receive(responseText(clientId++));
    }
  },
  "client, connect()": () => {
    for (let i = 0; i < CALLS; i++) {
      fullClient.call("echo", PARAMS).then(noop);
      socket.deliver(responseText(fullId++));
    }
  },
};

/** Run a subject, then let every promise reaction it queued run too, and time both. */
async function cpuNsPerCall(run: () => void): Promise<number> {
  const start = process.cpuUsage();
  run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000 / CALLS;
}

const names = Object.keys(subjects);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) await cpuNsPerCall(subjects[name]!); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length]!;
    samples[name]!.push(await cpuNsPerCall(subjects[name]!));
  }
}
for (const side of ["server", "client"]) {
  const bare = samples[`${side}, bare`]!;
  const sb = samples[`${side}, switchboard`]!;
  const extra = median(sb.map((s, i) => s - bare[i]!));
  console.log(
    `${side}: bare ${median(bare).toFixed(0)} ns/call, switchboard ${
      median(sb).toFixed(0)
    } ns/call, +${extra.toFixed(0)} ns (median of ${ROUNDS} paired rounds)`,
  );
}
{
  const bare = samples["client, bare"]!;
  const full = samples["client, connect()"]!;
  console.log(
    `client via connect(): ${median(full).toFixed(0)} ns/call, +${
      median(full.map((s, i) => s - bare[i]!)).toFixed(0)
    } ns over bare`,
  );
}
void sink;
server.close();
client.close();
fullClient.close();
