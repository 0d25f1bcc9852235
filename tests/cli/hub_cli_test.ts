/**
 * The hub CLI: call, discover, publish, subscribe, errors and usage, against a real hub.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { hubSocketUrl, runCli } from "../../lib/cli/cli.ts";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, until } from "../_fixtures.ts";
import { createServer } from "node:net";
import { spawn } from "node:child_process";
import { startHub, type TestHub } from "../_hub.ts";
import type { Client } from "../../mod.ts";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("hub CLI", () => {
  let hub: TestHub;
  let worker: Client;
  before(async () => {
    hub = await startHub({ auth: { secrets: [{ secret: "cli-secret", id: "ops" }] } });
    worker = await openClient(`${hub.wsUrl}?token=cli-secret`);
    await offer(worker, "math.add", ([a, b]: number[]) => a! + b!, { description: "Adds" });
  });
  after(async () => {
    worker.close();
    await hub.close();
  });

  it("runCli() call prints the result as JSON", async () => {
    const r = await cli(["call", hub.httpUrl, "math.add", "[2,3]", "--token", "cli-secret"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "5");
  });

  it("runCli() call prints a JSON-RPC error and exits 1", async () => {
    const r = await cli(["call", hub.wsUrl, "math.add", "[1,2]"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error -32010: Authentication required/);
  });

  it("runCli() discover lists procedures with descriptions", async () => {
    const r = await cli(["discover", hub.wsUrl, "--token", "cli-secret"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^math\.add {2}Adds$/m);
  });

  it("runCli() rejects bad usage and bad params with exit code 2", async () => {
    assert.equal((await cli(["frobnicate"])).code, 2);
    assert.equal((await cli(["call", hub.wsUrl, "math.add", "{nope"])).code, 2);
    assert.equal((await cli(["subscribe", hub.wsUrl])).code, 2);
    assert.equal((await cli(["publish", hub.wsUrl, "a.b", "{nope"])).code, 2);
    assert.equal((await cli(["subscribe", hub.wsUrl, "a.b", "--count", "x"])).code, 2);
    assert.equal(hubSocketUrl("localhost:9"), "ws://localhost:9/rpc");
  });

  it("runCli() subscribe prints events one per line until --count", async () => {
    const listening = cli([
      "subscribe",
      hub.wsUrl,
      "chat.*",
      "--count",
      "2",
      "--timeout",
      "10000",
      "--token",
      "cli-secret",
    ]);
    const broker = hub.hub.switchboard.pubsub;
    await until(() => broker.topics().some((t) => t.topic === "chat.*"), 5000);
    const first = await cli([
      "publish",
      hub.wsUrl,
      "chat.lobby",
      '{"text":"hi"}',
      "--token",
      "cli-secret",
    ]);
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out, "published chat.lobby #1");
    await worker.publish("chat.room-2", [1, 2]);
    await worker.publish("chat.room-3", "not printed: --count 2 was reached");
    const r = await listening;
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'chat.lobby #1 {"text":"hi"}\nchat.room-2 #1 [1,2]');
    assert.match(r.err, /^subscribed to chat\.\* at #0$/m);
  });

  it("runCli() subscribe exits 1 when --timeout ends it before --count", async () => {
    const r = await cli([
      "subscribe",
      hub.wsUrl,
      "quiet.topic",
      "--count",
      "1",
      "--timeout",
      "50",
      "--token",
      "cli-secret",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /timed out after 0 of 1 events/);
  });

  it("runCli() subscribe reports a refusal as a JSON-RPC error", async () => {
    const r = await cli(["subscribe", hub.wsUrl, "a.b"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error -32010: Authentication required/);
  });

  it("runCli() --help prints the usage of every command and exits 0", async () => {
    const all = await cli(["--help"]);
    assert.equal(all.code, 0);
    for (const name of ["call", "discover", "publish", "subscribe"]) {
      assert.match(all.out, new RegExp(`^  ${name} <url>`, "m"));
      const one = await cli([name, "--help"]);
      assert.equal(one.code, 0);
      assert.match(one.out, new RegExp(`^usage: cli ${name} <url>`));
      assert.match(one.out, /exit codes: 0 success/);
    }
  });

  it("hubSocketUrl() keeps a given path and refuses what is not a hub URL", () => {
    assert.equal(hubSocketUrl("127.0.0.1:8000"), "ws://127.0.0.1:8000/rpc");
    assert.equal(hubSocketUrl("127.0.0.1:8000/x"), "ws://127.0.0.1:8000/x");
    assert.equal(hubSocketUrl("[::1]:8000"), "ws://[::1]:8000/rpc");
    assert.equal(hubSocketUrl("http://127.0.0.1:8000/rpc"), "ws://127.0.0.1:8000/rpc");
    assert.equal(hubSocketUrl("wss://example.test/rpc"), "wss://example.test/rpc");
    assert.throws(() => hubSocketUrl("127.0.0.1"), /write host:port/);
    assert.throws(() => hubSocketUrl("ftp://h/rpc"), /not a hub URL/);
    assert.throws(() => hubSocketUrl("::::"), /not a hub URL/);
  });
});

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe("hub CLI without a hub", () => {
  it("runCli() exits 2 with one line when nothing listens", async () => {
    const port = await freePort();
    const r = await cli(["call", `127.0.0.1:${port}`, "rpc.time", "--timeout", "3000"]);
    assert.equal(r.code, 2);
    assert.equal(r.err, `cannot connect to ws://127.0.0.1:${port}/rpc`);
  });

  it("runCli() exits 2 when the path is wrong (the upgrade is refused)", async () => {
    const hub = await startHub();
    try {
      const r = await cli(["call", `${new URL(hub.httpUrl).host}/nope`, "rpc.time"]);
      assert.equal(r.code, 2);
      assert.match(r.err, /^cannot connect to ws:\/\/127\.0\.0\.1:\d+\/nope$/);
    } finally {
      await hub.close();
    }
  });

  it("runCli() subscribe exits 2 when the hub closes the connection", async () => {
    const hub = await startHub();
    let closed = false;
    try {
      const listening = cli(["subscribe", hub.wsUrl, "a.b", "--timeout", "10000"]);
      await until(() => hub.hub.switchboard.pubsub.topics().some((t) => t.topic === "a.b"), 5000);
      await hub.close();
      closed = true;
      const r = await listening;
      assert.equal(r.code, 2);
      assert.match(r.err, /^connection to ws:\/\/127\.0\.0\.1:\d+\/rpc closed/m);
    } finally {
      if (!closed) await hub.close();
    }
  });

  it("the CLI process exits 2 within its timeout when the hub is down", async () => {
    const port = await freePort();
    const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
    const args = isDeno ? ["run", "-A", "lib/cli/cli.ts"] : ["lib/cli/cli.ts"];
    const child = spawn(
      process.execPath,
      [...args, "call", `127.0.0.1:${port}`, "rpc.time", "--timeout", "2000"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
    );
    let err = "";
    child.stderr.on("data", (chunk: Uint8Array) => err += new TextDecoder().decode(chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error("the CLI was still running after 15 s"));
      }, 15_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 2, err);
    assert.match(err, /cannot connect to ws:\/\/127\.0\.0\.1:\d+\/rpc/);
  });
});
