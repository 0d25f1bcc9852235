/**
 * Before authentication nothing big is read and nothing lingers: HTTP bodies of callers that
 * have not authenticated are read to the pre-auth cap (declared or chunked), unauthenticated
 * sockets get a hello deadline (4002) and caps in all and per address (503 / 429), and
 * `requireUpgradeAuth` refuses upgrades without a credential.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { openRaw, type RawSocket } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";
import { rawRequest, upgradeRequest } from "../_raw_http.ts";

const AUTH = { auth: { secrets: [{ secret: "s3cret", id: "w1" }] } };
const HELLO = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "rpc.hello",
  params: { token: "s3cret" },
});

function chunkedHead(port: number): string {
  return [
    "POST /rpc HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Content-Type: application/json",
    "Transfer-Encoding: chunked",
    "Connection: close",
    "",
    "",
  ].join("\r\n");
}

function chunk(text: string): string {
  return `${new TextEncoder().encode(text).byteLength.toString(16)}\r\n${text}\r\n`;
}

/** The close event of a socket, or a failure after `ms`. */
function closedWithin(raw: RawSocket, ms: number): Promise<CloseEvent> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms);
  });
  return Promise.race([raw.closed, deadline]).finally(() => clearTimeout(timer));
}

describe("hub before authentication", () => {
  it("answers a chunked unauthenticated body over the cap with 401, without reading on", async () => {
    const hub = await startHub(AUTH);
    try {
      const port = Number(new URL(hub.origin).port);
      // 600 bytes and no final chunk: the body never ends, so only a bounded read answers.
      const filler = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "x",
        params: ["a".repeat(560)],
      });
      const res = await rawRequest(port, chunkedHead(port) + chunk(filler), 20);
      assert.equal(res.status, 401, res.head);
      assert.match(res.body, /"code":-32010,"message":"Authentication required"/);
      const small = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.time" });
      const ok = await rawRequest(port, chunkedHead(port) + chunk(small) + "0\r\n\r\n", 20);
      assert.equal(ok.status, 200, ok.head);
      assert.match(ok.body, /-32010/);
    } finally {
      await hub.close();
    }
  });

  it("closes a socket that does not authenticate within preAuthTimeout with 4002", async () => {
    const hub = await startHub({ ...AUTH, preAuthTimeout: 150 });
    try {
      const idle = await openRaw(hub.wsUrl);
      const hello = await openRaw(hub.wsUrl);
      const answer = await hello.exchange(HELLO) as { result: { client: string } };
      assert.equal(answer.result.client, "w1");
      const event = await closedWithin(idle, 3000);
      assert.equal(event.code, 4002);
      assert.equal(event.reason, "Authentication timeout");
      // Authenticated in time: still open after the deadline passed for its sibling.
      assert.equal(
        await hello.exchange(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "rpc.ping" })).then((
          r,
        ) => (r as { result: string }).result),
        "pong",
      );
      hello.socket.close();
    } finally {
      await hub.close();
    }
  });

  it("caps unauthenticated sockets per address (429) and in all (503)", async () => {
    const hub = await startHub({ ...AUTH, preAuthMaxSocketsPerAddress: 2 });
    const port = Number(new URL(hub.origin).port);
    const held: RawSocket[] = [];
    try {
      held.push(await openRaw(hub.wsUrl), await openRaw(hub.wsUrl));
      const third = await rawRequest(port, upgradeRequest("/rpc", `127.0.0.1:${port}`), 20);
      assert.equal(third.status, 429, third.head);
      assert.match(third.body, /"code":-32005/);
      // A credential before the upgrade does not count against the cap.
      const withToken = await rawRequest(
        port,
        upgradeRequest("/rpc?token=s3cret", `127.0.0.1:${port}`),
      );
      assert.equal(withToken.status, 101, withToken.head);
      // One authenticates: its place is free again.
      await held[0]!.exchange(HELLO);
      held.push(await openRaw(hub.wsUrl));
    } finally {
      for (const raw of held) raw.socket.close();
      await hub.close();
    }
    const global = await startHub({ ...AUTH, preAuthMaxSockets: 1 });
    const globalPort = Number(new URL(global.origin).port);
    try {
      const first = await openRaw(global.wsUrl);
      const second = await rawRequest(
        globalPort,
        upgradeRequest("/rpc", `127.0.0.1:${globalPort}`),
        20,
      );
      assert.equal(second.status, 503, second.head);
      first.socket.close();
    } finally {
      await global.close();
    }
  });

  it("requireUpgradeAuth refuses an upgrade without a credential with 401", async () => {
    const hub = await startHub({ ...AUTH, requireUpgradeAuth: true });
    try {
      const port = Number(new URL(hub.origin).port);
      const bare = await rawRequest(port, upgradeRequest("/rpc", `127.0.0.1:${port}`), 20);
      assert.equal(bare.status, 401, bare.head);
      assert.match(bare.body, /-32010/);
      const raw = await openRaw(`${hub.wsUrl}?token=s3cret`);
      const pong = await raw.exchange(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.ping" }),
      );
      assert.equal((pong as { result: string }).result, "pong");
      raw.socket.close();
    } finally {
      await hub.close();
    }
  });
});
