/**
 * The Deno half of the benchmark: a raw `Deno.serve` + `Deno.upgradeWebSocket` echo server,
 * then the shared suite. `bench/run.ts` imports it; run alone it prints its result as JSON.
 *
 * @module
 */

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
export function startDenoRaw(kind: RawServerKind): Promise<EchoServer> {
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
    socket.onmessage = kind === "echo"
      ? (event) => socket.send(event.data)
      : (event) => socket.send(answer(event.data as string));
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
    startDenoRaw,
    optionsFromArgs(args),
  );
}

/** The JSON floor: parse a request, answer with its params as the result. */
function answer(frame: string): string {
  const request = JSON.parse(frame) as { id: number; params: unknown };
  return JSON.stringify({ jsonrpc: "2.0", id: request.id, result: request.params });
}

if (import.meta.main) {
  console.log(JSON.stringify(await runDeno(Deno.args)));
}
