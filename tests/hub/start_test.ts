/**
 * `deno task start` (= `deno run -A server.ts`, or `bun server.ts`): the hub starts, prints
 * its URL, routes a call to a client that registered a procedure, and answers its health
 * route; SIGTERM stops it gracefully.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, post } from "../_fixtures.ts";
import { DENO } from "../_runtimes.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;

/** Collect what a child prints on stdout and stderr. */
function output(child: ChildProcess): () => string {
  let out = "";
  const onData = (chunk: Uint8Array): void => {
    out += new TextDecoder().decode(chunk);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  return () => out;
}

/** Resolve with a child's exit code, or reject after `ms`. */
function exitCode(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`still running after ${ms} ms`));
    }, ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Whether a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start server.ts on the runtime running this test, on port 0; resolve with its URL. */
function startMain(): Promise<{ url: string; stop: () => Promise<void> }> {
  // Deno: exactly the permissions docs name, through sh, because Deno's child_process hands
  // its own permissions to a `deno` it spawns.
  const command = isDeno
    ? `exec "${process.execPath}" run --allow-net --allow-env --allow-read server.ts`
    : `exec "${process.execPath}" server.ts`;
  const child = spawn("sh", ["-c", command], {
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

  it("without permissions on Deno, prints the command to run and exits 2", async () => {
    // Deno's binary from either runtime, through sh: Deno's child_process hands its own
    // permissions to a `deno` it spawns.
    const child = spawn("sh", ["-c", `exec "${DENO}" run server.ts`], {
      env: { ...process.env, PORT: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const printed = output(child);
    assert.equal(await exitCode(child, 15_000), 2);
    assert.match(printed(), /Requires env access/);
    assert.match(
      printed(),
      /^ {2}deno run --allow-net --allow-env --allow-read server\.ts$/m,
    );
  });

  it("npm start runs the hub as its own child: SIGTERM to npm stops it; the start line has its pid", async () => {
    const child = spawn("npm", ["start"], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const printed = output(child);
    let pid = 0;
    try {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && pid === 0) {
        pid = Number(
          /listening on http:\/\/127\.0\.0\.1:\d+\/rpc .*pid (\d+)/.exec(printed())?.[1] ?? 0,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(pid > 0, `no start line with a pid within 20 s: ${printed()}`);
      assert.ok(alive(pid));
      child.kill("SIGTERM");
      await exitCode(child, 10_000);
      const gone = Date.now() + 10_000;
      while (alive(pid) && Date.now() < gone) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(alive(pid), false, `the hub (pid ${pid}) outlived npm: ${printed()}`);
    } finally {
      if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
    }
  });
});
