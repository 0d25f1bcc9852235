/**
 * Token lifetime: a JWT's `exp` stays with the connection's identity; at `exp` the hub closes
 * the connection with 4001 unless it sent `rpc.refresh` with a new token; the client's
 * `token` option (string or function) is sent in every hello and a function token is
 * refreshed in-session before it expires. Real JWTs signed here with 1-2 s lifetimes.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { connect } from "../../mod.ts";
import { openRaw, type RawSocket, until } from "../_fixtures.ts";
import { startHub, type TestHub } from "../_hub.ts";

const KEY = "test-only-hmac-key-for-token-lifetime";

/** A JWT for `sub` expiring in `seconds` whole seconds from the next second boundary. */
async function jwt(sub: string, seconds: number): Promise<{ token: string; expires: number }> {
  const exp = Math.ceil(Date.now() / 1000) + seconds;
  return { token: await sign({ sub, exp }, KEY, "HS256"), expires: exp * 1000 };
}

function rpc(id: number, method: string, params?: unknown): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method,
    ...(params === undefined ? {} : { params }),
  });
}

/** The close event, or a failure after `ms`. */
function closedWithin(raw: RawSocket, ms: number): Promise<CloseEvent> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms);
  });
  return Promise.race([raw.closed, deadline]).finally(() => clearTimeout(timer));
}

describe("hub token lifetime", () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ auth: { jwt: { secret: KEY } } });
  });
  after(() => hub.close());

  it("closes a connection with 4001 at its token's exp, subscriptions included", async () => {
    const { token, expires } = await jwt("ada", 1);
    const raw = await openRaw(hub.wsUrl);
    const hello = await raw.exchange(rpc(1, "rpc.hello", { token })) as {
      result: { client: string; expires: number };
    };
    assert.equal(hello.result.client, "ada");
    assert.equal(hello.result.expires, expires);
    const sub = await raw.exchange(rpc(2, "rpc.subscribe", { topic: "news" })) as {
      result: unknown;
    };
    assert.ok(sub.result !== undefined, JSON.stringify(sub));
    const event = await closedWithin(raw, expires - Date.now() + 2000);
    assert.equal(event.code, 4001);
    assert.equal(event.reason, "Token expired");
    assert.ok(Date.now() >= expires - 50, "closed before exp");
  });

  it("rpc.refresh replaces the token in-session: the connection outlives the first exp", async () => {
    const first = await jwt("bob", 1);
    const raw = await openRaw(hub.wsUrl);
    try {
      await raw.exchange(rpc(1, "rpc.hello", { token: first.token }));
      const other = await jwt("mallory", 60);
      const refused = await raw.exchange(rpc(2, "rpc.refresh", { token: other.token })) as {
        error: { code: number; data: { reason: string } };
      };
      assert.equal(refused.error.code, -32010);
      assert.equal(refused.error.data.reason, "The token names another client");
      const second = await jwt("bob", 60);
      const refreshed = await raw.exchange(rpc(3, "rpc.refresh", { token: second.token })) as {
        result: { client: string; expires: number };
      };
      assert.deepEqual(refreshed.result, { client: "bob", roles: [], expires: second.expires });
      await until(() => Date.now() > first.expires + 200, first.expires - Date.now() + 1500);
      const pong = await raw.exchange(rpc(4, "rpc.ping")) as { result: string };
      assert.equal(pong.result, "pong");
    } finally {
      raw.socket.close();
    }
  });

  it("the client's token function is sent in hello and refreshed before exp", async () => {
    const issued: number[] = [];
    const errors: unknown[] = [];
    const client = connect(hub.wsUrl, {
      token: async () => {
        const { token, expires } = await jwt("carol", 1);
        issued.push(expires);
        return token;
      },
      onError: (error) => errors.push(error),
    });
    let drops = 0;
    client.on("disconnected", () => drops++);
    try {
      await client.ready;
      const hello = await client.hello as unknown as { client: string };
      assert.equal(hello.client, "carol");
      await until(() => issued.length >= 2, issued[0]! - Date.now() + 1500);
      await until(() => Date.now() > issued[0]! + 200, issued[0]! - Date.now() + 1500);
      assert.equal(await client.call("rpc.ping"), "pong");
      assert.equal(drops, 0);
      assert.deepEqual(errors, []);
      const manual = await client.refresh();
      assert.equal(manual.client, "carol");
    } finally {
      client.close();
    }
  });

  it("the client's token is asked again on reconnect, and a string token needs no hello", async () => {
    let asked = 0;
    const client = connect(hub.wsUrl, {
      token: async () => {
        asked++;
        return (await jwt("dan", 60)).token;
      },
      reconnect: { min: 10, max: 20 },
    });
    try {
      await client.ready;
      assert.equal(asked, 1);
      hub.hub.switchboard.closeAll(4000, "Drop for the test");
      await until(() => asked === 2 && client.state === "CONNECTED", 3000);
      assert.equal(typeof await client.call("rpc.time"), "object");
    } finally {
      client.close();
    }
    const fixed = await jwt("erin", 60);
    const plain = connect(hub.wsUrl, { token: fixed.token, reconnect: false });
    try {
      await plain.ready;
      assert.equal(typeof await plain.call("rpc.time"), "object");
    } finally {
      plain.close();
    }
  });

  it("a token function that fails is reported and the client retries", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const client = connect(hub.wsUrl, {
      token: () => {
        calls++;
        if (calls === 1) throw new Error("no token yet");
        return "not-a-jwt-but-retried";
      },
      reconnect: { min: 5, max: 10 },
      onError: (error) => errors.push(error),
    });
    try {
      // The failure is reported before the retry asks the function again.
      await until(() => calls >= 2, 2000);
      assert.match(String(errors[0]), /no token yet/);
    } finally {
      client.close();
    }
  });
});
