/**
 * The ticker example: a lazy publisher on `ticker.<SYMBOL>` that publishes a price every
 * 100 ms while at least one subscriber listens, and a chat where clients may publish on
 * `chat.*`.
 *
 * Run: `deno run -A examples/ticker.ts` or `bun examples/ticker.ts` (PORT, default 8000;
 * path `/rpc`). Then, from any JSON-RPC 2.0 WebSocket client:
 *
 * ```text
 * → {"jsonrpc":"2.0","id":1,"method":"rpc.subscribe","params":{"topic":"ticker.ACME"}}
 * ← {"jsonrpc":"2.0","id":1,"result":{"topic":"ticker.ACME","seq":0}}
 * ← {"jsonrpc":"2.0","method":"rpc.event","params":{"topic":"ticker.ACME","seq":1,"data":{"symbol":"ACME","price":100.07}}}
 * ```
 *
 * @example Subscribe with the Switchboard client
 * ```ts ignore
 * import { connect } from "../mod.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * client.subscribe("ticker.ACME", (tick) => console.log(tick));
 * ```
 *
 * @module
 */

import { type RunningServer, serve, Switchboard } from "../server.ts";

/**
 * Build the ticker server.
 *
 * @param interval Milliseconds between prices. Default 100.
 * @returns The Switchboard, with the `ticker.*` publisher and the `chat.*` policy.
 * @example
 * ```ts
 * import { createTickerSwitchboard } from "./ticker.ts";
 * const sb = createTickerSwitchboard();
 * if (!sb.procedures.has("rpc.subscribe")) throw new Error("unreachable");
 * ```
 */
export function createTickerSwitchboard(interval = 100): Switchboard {
  const sb = new Switchboard({
    pubsub: {
      replay: { size: 100, maxAge: 60_000 },
      authorize: ({ action, topic }) => action === "subscribe" || topic.startsWith("chat."),
    },
  });
  sb.topic("ticker.*", ({ topic, publish }) => {
    const symbol = topic.slice("ticker.".length);
    let price = 100;
    const timer = setInterval(() => {
      price = Math.max(0.01, price + (Math.random() - 0.5));
      publish({ symbol, price: Math.round(price * 100) / 100 });
    }, interval);
    return () => clearInterval(timer);
  });
  return sb;
}

/**
 * Serve the ticker on 127.0.0.1 (HOST, PORT env; port 8000 by default) at `/rpc`.
 *
 * @param port A port to use instead of PORT.
 * @returns The running server.
 * @example
 * ```ts
 * import { startTickerServer } from "./ticker.ts";
 * const server = await startTickerServer(0);
 * await server.close();
 * ```
 */
export async function startTickerServer(port?: number): Promise<RunningServer> {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } })
    .process?.env ?? {};
  const server = await serve(createTickerSwitchboard(), {
    hostname: env.HOST ?? "127.0.0.1",
    port: port ?? Number(env.PORT ?? 8000),
    path: "/rpc",
  });
  console.log(`Switchboard ticker on ${server.url.replace("http", "ws")}/rpc`);
  return server;
}

if (import.meta.main) await startTickerServer();
