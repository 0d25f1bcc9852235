/**
 * `deno task start` (= `deno run -A server.ts`, or `bun server.ts`): the hub starts, prints
 * its URL, routes a call to a client that registered a procedure, and answers its health
 * route; SIGTERM stops it gracefully.
 */

import { describe, it, within } from "./_deadline.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { offer } from "../lib/hub/offer.ts";
import { openClient, post } from "./_fixtures.ts";

/** Start server.ts on the runtime running this test, on port 0; resolve with its URL. */
function startMain(): Promise<{ url: string; stop: () => Promise<void> }> {
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const args = isDeno ? ["run", "-A", "server.ts"] : ["server.ts"];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server.ts printed no URL within 20 s: ${out}`));
    }, 20_000);
    const onData = (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
      const match = out.match(/(http:\/\/127\.0\.0\.1:\d+)\/rpc/);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
}

describe("server.ts as the main module", () => {
  it("routes /rpc calls to a registered client and serves GET /health", async () => {
    const { url, stop } = await startMain();
    const client = await openClient(`${url.replace("http:", "ws:")}/rpc`, { reconnect: false });
    try {
      await offer(client, "subtract", ([a, b]: number[]) => a! - b!);
      const res = await post(`${url}/rpc`, {
        jsonrpc: "2.0",
        method: "subtract",
        params: [42, 23],
        id: 3,
      });
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 3, result: 19 });
      assert.deepEqual(await (await fetch(`${url}/health`)).json(), { ok: true, connections: 1 });
    } finally {
      await stop();
      assert.equal((await within(client.closed, "client.closed")).code, 1001);
    }
  });
});
