/**
 * deploy.ts under `deno serve` (the Deno Deploy contract), as a child process with the
 * permissions docs/DEPLOY.md names: it answers a POST call and a WebSocket call, serves the
 * client, refuses to start without env access (printing the command), and with
 * `SWITCHBOARD_BACKPLANE` two isolates (two processes) are hubs of one cluster on redis-server.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { openClient, post, until } from "../_fixtures.ts";
import { within } from "../_deadline.ts";
import { startRedis } from "../_engines.ts";
import { offer } from "../../lib/hub/offer.ts";
import { DENO, ROOT, run } from "../_runtimes.ts";

/** `deno serve` of deploy.ts on a free port; resolves with its origin once it listens. */
async function serveDeploy(
  env: Record<string, string> = {},
  allowNet?: string,
): Promise<{ origin: string; stop(): Promise<void> }> {
  const child = spawn(DENO, [
    "serve",
    "--no-prompt",
    "--allow-env",
    "--allow-read",
    ...(allowNet === undefined ? [] : [`--allow-net=${allowNet}`]),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "deploy.ts",
  ], {
    cwd: ROOT,
    env: { ...globalThis.process.env, NO_COLOR: "1", SWITCHBOARD_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  exit.then(() => exited = true);
  const collect = (chunk: Uint8Array): void => void (out += new TextDecoder().decode(chunk));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const stop = async (): Promise<void> => {
    child.kill("SIGTERM");
    // By pid: Deno's child.kill() does nothing once the child was sent a signal.
    const timer = setTimeout(() => globalThis.process.kill(child.pid!, "SIGKILL"), 5000);
    await exit;
    clearTimeout(timer);
  };
  try {
    await until(() => /Listening on http:\/\/\S+/.test(out) || exited, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const match = out.match(/Listening on (http:\/\/[^/\s]+)/);
  if (match === null) throw new Error(`deno serve deploy.ts did not start: ${out}`);
  return { origin: match[1]!, stop };
}

describe("deploy.ts under deno serve", () => {
  it(
    "answers a POST call and a WebSocket call, and serves the client",
    { timeout: 30_000 },
    async () => {
      const server = await serveDeploy();
      try {
        const res = await post(`${server.origin}/rpc`, { jsonrpc: "2.0", id: 1, method: "nope" });
        assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32601);
        const client = await openClient(`${server.origin.replace("http:", "ws:")}/rpc`);
        try {
          const discovered = await client.call("rpc.discover") as { methods?: unknown[] };
          assert.ok(Array.isArray(discovered.methods));
        } finally {
          client.close();
        }
        const bundle = await fetch(`${server.origin}/rpc/client.js`);
        assert.equal(bundle.status, 200);
        assert.equal(bundle.headers.get("x-typescript-types"), "./client.d.ts");
        await bundle.body?.cancel();
      } finally {
        await server.stop();
      }
    },
  );

  it(
    "without --allow-env, fails at load naming the command to run",
    { timeout: 30_000 },
    async () => {
      await assert.rejects(
        run(DENO, ["serve", "--no-prompt", "--port", "0", `${ROOT}deploy.ts`], { NO_COLOR: "1" }),
        /deno serve --allow-env --allow-read deploy\.ts/,
      );
    },
  );

  it("with SWITCHBOARD_BACKPLANE, two isolates share topics and routed procedures", {
    timeout: 60_000,
  }, async () => {
    const redis = await startRedis();
    const env = { SWITCHBOARD_BACKPLANE: redis.url };
    const net = `127.0.0.1:${redis.port}`;
    const [one, two] = await Promise.all([serveDeploy(env, net), serveDeploy(env, net)]);
    const a = await openClient(`${one.origin.replace("http:", "ws:")}/rpc`);
    const b = await openClient(`${two.origin.replace("http:", "ws:")}/rpc`);
    try {
      const heard: unknown[] = [];
      await within(a.subscribe("news.today", (data) => heard.push(data)).ready, "subscribed");
      assert.equal(await b.publish("news.today", { n: 1 }), 1);
      await until(() => heard.length === 1, 5_000);
      assert.deepEqual(heard, [{ n: 1 }]);
      await offer(b, "math.add", ([x, y]: number[]) => x! + y!);
      assert.equal(await a.call("math.add", [2, 3]), 5);
    } finally {
      a.close();
      b.close();
      await Promise.all([one.stop(), two.stop()]);
      await redis.stop();
    }
  });
});
