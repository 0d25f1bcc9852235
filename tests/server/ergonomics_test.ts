/**
 * Seed ergonomics: direct events a client hears without subscribing (`client.onEvent`),
 * per-procedure error exposure, per-connection services (`sb.service`), the hint for a
 * `procedure()` object given to `register`, and `rpc.discover` params from Standard Schema.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import * as v from "valibot";
import { implement, procedure, RpcError, Switchboard } from "../../server.ts";
import { type CloseInfo, connect, type EventParams } from "../../mod.ts";
import { openClient, post, rejection, startServer, until } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";

describe("client.onEvent()", () => {
  it("hears sb.sendEvent without subscribing, exact and by pattern, until removed", async () => {
    const sb = new Switchboard();
    sb.register("poke", (_params, ctx) => {
      sb.sendEvent(ctx.connection.id, "inbox.ada", { text: "hi" });
      return "poked";
    });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      const exact: unknown[] = [];
      const patterned: EventParams[] = [];
      const offExact = client.onEvent("inbox.ada", (data) => exact.push(data));
      client.onEvent("inbox.*", (_data, event) => patterned.push(event));
      assert.equal(await client.call("poke"), "poked");
      await until(() => exact.length === 1 && patterned.length === 1);
      assert.deepEqual(exact, [{ text: "hi" }]);
      // A direct event: no seq.
      assert.deepEqual(patterned[0], { topic: "inbox.ada", data: { text: "hi" } });
      offExact();
      await client.call("poke");
      await until(() => patterned.length === 2);
      assert.equal(exact.length, 1, "the removed listener heard nothing more");
      assert.equal(sb.pubsub.topics().length, 0, "no server subscription was made");
    } finally {
      client.close();
      await server.close();
    }
  });

  it("also hears the events of a subscription, next to its handler", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      const subscribed: unknown[] = [];
      const listened: unknown[] = [];
      await client.subscribe("news.today", (data) => subscribed.push(data)).ready;
      client.onEvent("news.today", (data) => listened.push(data));
      await sb.publish("news.today", "extra");
      await until(() => subscribed.length === 1 && listened.length === 1);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("rejects a missing topic or handler", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      assert.throws(() => client.onEvent("", () => {}), TypeError);
      assert.throws(() => client.onEvent("a", "nope" as never), /must be a function/);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe("register(name, fn, { exposeErrors })", () => {
  it("reveals a thrown message per procedure, over WebSocket and HTTP", async () => {
    const sb = new Switchboard();
    sb.register("open", () => {
      throw new Error("disk full");
    }, { exposeErrors: true });
    sb.register("closed", () => {
      throw new Error("db password is hunter2");
    });
    sb.register("rpcError", () => {
      throw new RpcError(4001, "Out of stock", { sku: "A1" });
    });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      const open = await rejection(client.call("open"));
      assert.deepEqual(open.toJSON(), {
        code: -32603,
        message: "Internal error",
        data: "disk full",
      });
      const closed = await rejection(client.call("closed"));
      assert.deepEqual(closed.toJSON(), { code: -32603, message: "Internal error" });
      const chosen = await rejection(client.call("rpcError"));
      assert.deepEqual(chosen.toJSON(), {
        code: 4001,
        message: "Out of stock",
        data: { sku: "A1" },
      });
      const res = await post(server.httpUrl, { jsonrpc: "2.0", id: 1, method: "open" });
      assert.deepEqual((await res.json()).error.data, "disk full");
    } finally {
      client.close();
      await server.close();
    }
  });

  it("hides a message per procedure when the server exposes errors, async ones too", async () => {
    const sb = new Switchboard({ exposeErrors: true });
    sb.register("secret", async () => {
      await Promise.resolve();
      throw new Error("token abc");
    }, { exposeErrors: false });
    sb.register("shown", async () => {
      await Promise.resolve();
      throw new Error("shown");
    });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl, { reconnect: false });
    try {
      assert.equal((await rejection(client.call("secret"))).data, undefined);
      assert.equal((await rejection(client.call("shown"))).data, "shown");
      assert.throws(
        () => sb.register("bad", () => 1, { exposeErrors: "yes" as never }),
        /exposeErrors of procedure bad must be a boolean/,
      );
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe("register() given a procedure() object", () => {
  it("says to use implement()", () => {
    const sb = new Switchboard();
    const add = procedure({ input: z.object({ a: z.number() }) }, ({ a }) => a);
    assert.throws(
      () => sb.register("add", add as never),
      (error: unknown) =>
        error instanceof TypeError && /procedure\(\{ input \}\) object/.test(error.message) &&
        /implement<Api>\(sb, \{ "add": procedure\(…\) \}\)/.test(error.message),
    );
    assert.throws(() => sb.register("n", 42 as never), /must be a function: got number/);
  });
});

describe("sb.service()", () => {
  it("gives each connection its own instance, init before calls, close at close", async () => {
    const closed: { id: string; count: number; code: number }[] = [];
    const errors: string[] = [];
    const sb = new Switchboard({ onError: (error, where) => errors.push(`${where}: ${error}`) });
    sb.service((session) => {
      let count = 0;
      let name = "?";
      return {
        // Async init that calls the client back: calls of the methods wait for it.
        init: async () => {
          name = String(await session.peer.call("whoami"));
          session.emit("notice", `welcome ${name}`);
        },
        methods: {
          increment: ([by = 1]: number[]) => (count += by),
          greet: () => `hello ${name}, ${count}`,
        },
        close: (info: CloseInfo) => closed.push({ id: session.info.id, count, code: info.code }),
      };
    }, { prefix: "counter" });
    const server = await startServer(sb);
    const notices: unknown[] = [];
    // Registered before the socket opens: the service's init calls it at once.
    const a = connect(server.wsUrl, { reconnect: false });
    a.register("whoami", () => "ada");
    a.onEvent("notice", (text) => notices.push(text));
    const b = connect(server.wsUrl, { reconnect: false });
    b.register("whoami", () => "bob");
    try {
      assert.equal(await a.call("counter.increment", [2]), 2);
      assert.equal(await a.call("counter.increment", [3]), 5);
      assert.equal(await b.call("counter.increment", [1]), 1);
      assert.equal(await a.call("counter.greet"), "hello ada, 5");
      assert.equal(await b.call("counter.greet"), "hello bob, 1");
      await until(() => notices.length === 1);
      assert.deepEqual(notices, ["welcome ada"]);
      a.close();
      await until(() => closed.length === 1);
      assert.equal(closed[0]!.count, 5);
      assert.equal(closed[0]!.code, 1000);
      assert.deepEqual(errors, []);
    } finally {
      a.close();
      b.close();
      await server.close();
    }
  });

  it("closes the connection with 1011 when init fails, and stops for new connections", async () => {
    const errors: string[] = [];
    const sb = new Switchboard({ onError: (error, where) => errors.push(`${where}: ${error}`) });
    const off = sb.service(() => ({
      init: () => Promise.reject(new Error("no database")),
      methods: { work: () => "done" },
    }));
    const server = await startServer(sb);
    try {
      const client = connect(server.wsUrl, { reconnect: false });
      const info = await client.closed;
      assert.equal(info.code, 1011);
      assert.match(errors.join(), /service init: Error: no database/);
      off();
      const next = await openClient(server.wsUrl, { reconnect: false });
      assert.equal((await rejection(next.call("work"))).code, -32601);
      next.close();
    } finally {
      await server.close();
    }
  });

  it("rejects a factory that returns no methods, at the connection, not the server", async () => {
    const errors: string[] = [];
    const sb = new Switchboard({ onError: (error, where) => errors.push(`${where}: ${error}`) });
    sb.service(() => ({ methods: { ok: "not a function" as never } }));
    assert.throws(() => sb.service("nope" as never), /must be a factory function/);
    const server = await startServer(sb);
    try {
      const client = connect(server.wsUrl, { reconnect: false });
      assert.equal((await client.closed).code, 1011);
      assert.match(errors.join(), /service method ok must be a function/);
      await until(() => sb.socketCount === 0 && sb.peers.size === 0);
    } finally {
      await server.close();
    }
  });
});

describe("rpc.discover with Standard Schema procedures", () => {
  it("shows zod's JSON Schema, the description, and {} for valibot", async () => {
    const hub = await startHub({ allowAnonymous: true });
    implement<{
      add(input: { a: number; b: number }): number;
      shout(text: string): string;
    }>(hub.hub.switchboard, {
      add: procedure({
        input: z.object({ a: z.number(), b: z.number() }),
        output: z.number(),
        description: "Adds two numbers",
      }, ({ a, b }) => a + b),
      shout: procedure({ input: v.string() }, (text) => text.toUpperCase()),
    });
    const client = await openClient(hub.wsUrl, { reconnect: false });
    try {
      const doc = await client.call("rpc.discover") as {
        methods: { name: string; description?: string; params: unknown[]; result: unknown }[];
      };
      const add = doc.methods.find((m) => m.name === "add");
      assert.deepEqual(add, {
        name: "add",
        description: "Adds two numbers",
        params: [{
          name: "input",
          schema: {
            type: "object",
            properties: { a: { type: "number" }, b: { type: "number" } },
            required: ["a", "b"],
          },
        }],
        result: { name: "result", schema: { type: "number" } },
      });
      const shout = doc.methods.find((m) => m.name === "shout");
      assert.deepEqual(shout?.params, [{ name: "input", schema: {} }]);
      assert.equal(await client.call("add", [{ a: 1, b: 2 }]), 3);
    } finally {
      client.close();
      await hub.close();
    }
  });
});
