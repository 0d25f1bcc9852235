/**
 * Helpers for the reconnecting-client tests: a server that can be stopped and started again
 * on the same port, and a way to drop every connection from the server side.
 *
 * @module
 */

import { serve, type Switchboard } from "../server.ts";
import type { Client, ClientEvents } from "../mod.ts";

/** A server that can be restarted on the port it got first. */
export interface RestartableServer {
  /** `ws://127.0.0.1:PORT/rpc` */
  readonly wsUrl: string;
  /** Stop listening (drops every connection). */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
}

/**
 * Serve a Switchboard on 127.0.0.1, port 0 first, then the same port on restarts.
 *
 * @param sb The server under test (its state, e.g. replay buffers, survives restarts).
 * @returns The restartable server, listening.
 */
export async function restartable(sb: Switchboard): Promise<RestartableServer> {
  let running = await serve(sb, { hostname: "127.0.0.1", port: 0, path: "/rpc" });
  const port = running.port;
  let up = true;
  return {
    wsUrl: `ws://127.0.0.1:${port}/rpc`,
    async stop() {
      if (!up) return;
      up = false;
      await running.close();
    },
    async start() {
      if (up) return;
      running = await serve(sb, { hostname: "127.0.0.1", port, path: "/rpc" });
      up = true;
    },
  };
}

/**
 * Close every connection from the server side (the clients see an unexpected drop).
 *
 * @param sb The server.
 * @param code The close code. Default 1012 (service restart).
 */
export function dropAll(sb: Switchboard, code = 1012): void {
  for (const peer of [...sb.peers.values()]) peer.close(code, "test drop");
}

/**
 * The next payload of a client event.
 *
 * @param client The client.
 * @param name The event.
 * @param timeoutMs How long at most. Default 5,000.
 * @returns The payload.
 */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  name: K,
  timeoutMs = 5000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(name, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}
