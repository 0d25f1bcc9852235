/**
 * The Deno half of the benchmark: a raw `Deno.serve` + `Deno.upgradeWebSocket` echo server,
 * then the shared suite. `bench/run.ts` imports it; run alone it prints its result as JSON.
 *
 * @module
 */

import { type EchoServer, optionsFromArgs, runSuite, type RuntimeResult } from "./_suite.ts";

/**
 * Start a raw WebSocket echo server on 127.0.0.1, port 0: every text frame is sent back.
 *
 * @returns The server.
 */
export function startDenoEcho(): Promise<EchoServer> {
  const { promise, resolve } = Promise.withResolvers<EchoServer>();
  const abort = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: abort.signal,
    onListen: (addr) => {
      resolve({
        url: `ws://127.0.0.1:${addr.port}/`,
        close: async () => {
          abort.abort();
          await server.finished;
        },
      });
    },
  }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  return promise;
}

/**
 * Run the suite on Deno.
 *
 * @param args Command-line flags (`--quick`, `--rounds=N`).
 * @returns Deno's figures.
 */
export function runDeno(args: readonly string[]): Promise<RuntimeResult> {
  return runSuite(
    { name: "deno", version: Deno.version.deno },
    startDenoEcho,
    optionsFromArgs(args),
  );
}

if (import.meta.main) {
  console.log(JSON.stringify(await runDeno(Deno.args)));
}
