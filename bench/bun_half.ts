/**
 * The Bun half of the benchmark: a raw `Bun.serve` WebSocket echo server, then the shared
 * suite. `bench/run.ts` runs it as `bun bench/bun_half.ts [flags]`; it prints its result as
 * one line of JSON on stdout.
 *
 * @module
 */

/// <reference types="bun-types" />

import {
  type EchoServer,
  optionsFromArgs,
  type RawServerKind,
  runSuite,
  type RuntimeResult,
} from "./_suite.ts";

/**
 * Start a raw WebSocket server on 127.0.0.1, port 0: `echo` sends every text frame back,
 * `json` answers each as a JSON-RPC request whose result is its params.
 *
 * @param kind Which server.
 * @returns The server.
 */
export function startBunRaw(kind: RawServerKind): Promise<EchoServer> {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (srv.upgrade(request)) return undefined;
      return new Response("WebSocket only", { status: 426 });
    },
    websocket: {
      message: kind === "echo"
        ? (ws, message) => void ws.send(message)
        : (ws, message) => void ws.send(answer(message as string)),
    },
  });
  return Promise.resolve({
    url: `ws://127.0.0.1:${server.port}/`,
    close: () => server.stop(true),
  });
}

/**
 * Run the suite on Bun.
 *
 * @param args Command-line flags (`--quick`, `--rounds=N`).
 * @returns Bun's figures.
 */
export function runBun(args: readonly string[]): Promise<RuntimeResult> {
  return runSuite({ name: "bun", version: Bun.version }, startBunRaw, optionsFromArgs(args));
}

/** The JSON floor: parse a request, answer with its params as the result. */
function answer(frame: string): string {
  const request = JSON.parse(frame) as { id: number; params: unknown };
  return JSON.stringify({ jsonrpc: "2.0", id: request.id, result: request.params });
}

if (import.meta.main) {
  console.log(JSON.stringify(await runBun(Bun.argv.slice(2))));
}
