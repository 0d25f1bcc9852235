/**
 * The Bun half of the benchmark: a raw `Bun.serve` WebSocket echo server, then the shared
 * suite. `bench/run.ts` runs it as `bun bench/bun_half.ts [flags]`; it prints its result as
 * one line of JSON on stdout.
 *
 * @module
 */

/// <reference types="bun-types" />

import { type EchoServer, optionsFromArgs, runSuite, type RuntimeResult } from "./_suite.ts";

/**
 * Start a raw WebSocket echo server on 127.0.0.1, port 0: every text frame is sent back.
 *
 * @returns The server.
 */
export function startBunEcho(): Promise<EchoServer> {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (srv.upgrade(request)) return undefined;
      return new Response("WebSocket only", { status: 426 });
    },
    websocket: {
      message(ws, message) {
        ws.send(message);
      },
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
  return runSuite({ name: "bun", version: Bun.version }, startBunEcho, optionsFromArgs(args));
}

if (import.meta.main) {
  console.log(JSON.stringify(await runBun(Bun.argv.slice(2))));
}
