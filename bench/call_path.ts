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
 *   `JSON.parse`.
 *
 * Prints, per side, the median over interleaved rounds of the CPU ns per call of each and
 * their difference. Run: `deno run -A bench/call_path.ts` or `bun bench/call_path.ts`.
 *
 * @module
 */

import process from "node:process";
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
      const { resolve } = Promise.withResolvers<unknown>();
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
      sink = client.call("echo", PARAMS);
      client.receive(responseText(clientId++));
    }
  },
};

function cpuNsPerCall(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000 / CALLS;
}

const names = Object.keys(subjects);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) cpuNsPerCall(subjects[name]!); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length]!;
    samples[name]!.push(cpuNsPerCall(subjects[name]!));
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
void sink;
server.close();
client.close();
