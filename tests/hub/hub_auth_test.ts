/**
 * Hub auth refusals at each layer: origin, pre-upgrade token, rpc.hello, per-procedure and
 * per-registration rules, and the pre-authentication message size cap.
 */

import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, openRaw, post, rejection } from "../_fixtures.ts";
import { startHub, type TestHub } from "../_hub.ts";

const JWT_KEY = "test-only-hmac-key-0123456789abcdef";

function upgradeHeaders(extra: Record<string, string>): Record<string, string> {
  return {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  };
}

describe("hub auth", () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({
      auth: {
        secrets: [
          { secret: "worker-secret", id: "worker-1", roles: ["worker"] },
          { secret: "guest-secret", id: "guest-1", roles: ["guest"] },
        ],
        jwt: { secret: JWT_KEY, alg: "HS256" },
      },
      origins: ["https://app.example"],
      rules: [
        { actions: ["register"], match: "*", roles: ["worker"] },
        { actions: ["register"], effect: "deny" },
        { actions: ["call"], match: "admin.*", roles: ["admin"] },
        { actions: ["call"], match: "admin.*", effect: "deny" },
      ],
    });
    hub.hub.switchboard.register("admin.stats", () => "secret stats");
  });
  after(() => hub.close());

  it("refuses a browser upgrade from an origin not allowed with 403", async () => {
    const res = await fetch(hub.httpUrl, {
      headers: upgradeHeaders({ origin: "https://evil.example" }),
    });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, -32006);
  });

  it("accepts an allowed origin and the hub's own origin", async () => {
    for (const origin of ["https://app.example", hub.origin]) {
      const res = await fetch(hub.httpUrl, { headers: upgradeHeaders({ origin }) });
      assert.notEqual(res.status, 403, origin);
      await res.body?.cancel();
    }
  });

  it("refuses a bad bearer token before the upgrade with 401", async () => {
    const res = await fetch(hub.httpUrl, {
      headers: upgradeHeaders({ authorization: "Bearer nope" }),
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, -32010);
  });

  it("admits a query token before the upgrade: no hello needed", async () => {
    const client = await openClient(`${hub.wsUrl}?token=worker-secret`);
    try {
      const who = await client.call("rpc.hello", {}) as { client: string; roles: string[] };
      assert.equal(who.client, "worker-1");
      assert.deepEqual(who.roles, ["worker"]);
    } finally {
      client.close();
    }
  });

  it("admits a bearer token on HTTP POST", async () => {
    const body = { jsonrpc: "2.0", id: 1, method: "rpc.time" };
    const anonymous = await post(hub.httpUrl, body);
    assert.equal((await anonymous.json()).error.code, -32010);
    const res = await fetch(hub.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer guest-secret" },
      body: JSON.stringify(body),
    });
    assert.equal(typeof (await res.json()).result.now, "number");
  });

  it("limits an unauthenticated connection to rpc.hello", async () => {
    const client = await openClient(hub.wsUrl);
    try {
      const error = await rejection(client.call("rpc.time"));
      assert.equal(error.code, -32010);
      assert.equal(error.message, "Authentication required");
      const bad = await rejection(client.call("rpc.hello", { token: "wrong" }));
      assert.equal(bad.code, -32010);
      assert.equal(bad.message, "Authentication failed");
      const ok = await client.call("rpc.hello", { token: "guest-secret" }) as {
        session: string;
        client: string;
      };
      assert.equal(ok.client, "guest-1");
      assert.equal(typeof ok.session, "string");
      assert.equal(typeof await client.call("rpc.time"), "object");
    } finally {
      client.close();
    }
  });

  it("authenticates a signed JWT in rpc.hello and takes its roles", async () => {
    const token = await sign(
      { sub: "ada", roles: ["admin"], exp: Math.floor(Date.now() / 1000) + 60 },
      JWT_KEY,
      "HS256",
    );
    const forged = await sign({ sub: "eve", roles: ["admin"] }, "another-key-0123456789", "HS256");
    const client = await openClient(hub.wsUrl);
    try {
      assert.equal((await rejection(client.call("rpc.hello", { token: forged }))).code, -32010);
      const who = await client.call("rpc.hello", { token }) as { client: string };
      assert.equal(who.client, "ada");
      assert.equal(await client.call("admin.stats"), "secret stats");
    } finally {
      client.close();
    }
  });

  it("applies per-procedure rules: call and register", async () => {
    const guest = await openClient(`${hub.wsUrl}?token=guest-secret`);
    const worker = await openClient(`${hub.wsUrl}?token=worker-secret`);
    try {
      const denied = await rejection(guest.call("admin.stats"));
      assert.equal(denied.code, -32006);
      assert.deepEqual((denied.data as { action: string }).action, "call");
      const noRegister = await rejection(guest.call("rpc.register", { name: "x.y" }));
      assert.equal(noRegister.code, -32006);
      await offer(worker, "work.do", () => "done");
      assert.equal(await guest.call("work.do"), "done");
      const inspect = await rejection(guest.call("rpc.inspect"));
      assert.equal(inspect.code, -32006);
    } finally {
      guest.close();
      worker.close();
    }
  });

  it("closes an unauthenticated connection sending an oversize frame with 1009", async () => {
    const raw = await openRaw(hub.wsUrl);
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: ["a".repeat(600)] });
    raw.socket.send(big);
    const event = await within(raw.closed, "raw.closed");
    assert.equal(event.code, 1009);
  });

  it("allows large frames once authenticated", async () => {
    const raw = await openRaw(hub.wsUrl);
    try {
      const hello = await raw.exchange(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "rpc.hello",
          params: { token: "guest-secret" },
        }),
      ) as { result: { client: string } };
      assert.equal(hello.result.client, "guest-1");
      const big = await raw.exchange(
        JSON.stringify({ jsonrpc: "2.0", id: 2, method: "rpc.ping", params: ["a".repeat(2000)] }),
      ) as { result: string };
      assert.equal(big.result, "pong");
    } finally {
      raw.socket.close();
    }
  });
});

describe("hub with no config", () => {
  it("admits anonymous clients on 127.0.0.1", async () => {
    const hub = await startHub({ host: undefined });
    try {
      assert.match(hub.origin, /^http:\/\/127\.0\.0\.1:/);
      const client = await openClient(hub.wsUrl);
      try {
        const who = await client.call("rpc.hello", {}) as { client: string };
        assert.equal(who.client, "anonymous");
        assert.equal(await client.call("rpc.ping"), "pong");
      } finally {
        client.close();
      }
    } finally {
      await hub.close();
    }
  });
});
