import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import { implement, type Middleware, procedure, RpcError, Switchboard } from "../../server.ts";
import { openClient, startServer, type TestServer } from "../_fixtures.ts";

const log: string[] = [];

function trace(name: string): Middleware {
  return async (ctx, next) => {
    log.push(`${name} in ${ctx.method}`);
    try {
      return await next();
    } finally {
      log.push(`${name} out`);
    }
  };
}

function server(): Switchboard {
  const sb = new Switchboard({
    context: (c) => ({ user: c.req.header("x-user") ?? c.req.query("user") }),
    onOpen: (peer) => peer.use(trace("peer")),
  });
  sb.use(trace("outer"));
  sb.use(trace("inner"));
  // Auth: anonymous connections may only call "public".
  sb.use(async (ctx, next) => {
    if (ctx.connection.data.user === undefined && ctx.method !== "public") {
      throw new RpcError(-32010, "Unauthorized");
    }
    return await next();
  });
  // Result rewriting: a middleware may answer with something else.
  sb.use(async (ctx, next) => {
    const result = await next();
    return ctx.method === "doubled" ? (result as number) * 2 : undefined;
  });
  implement<{
    public(): string;
    whoami(): string;
    doubled(n: number): number;
    checked(input: { n: number }): number;
    ticks(n: number): AsyncIterable<number>;
  }>(sb, {
    public: () => "hello",
    whoami: (_args, ctx) => String(ctx.connection.data.user),
    doubled: ([n]) => n,
    checked: procedure({ input: z.object({ n: z.number() }) }, ({ n }) => n),
    ticks: async function* ([n]) {
      for (let i = 0; i < n; i++) yield i;
    },
  });
  return sb;
}

describe("middleware", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer(server());
  });
  after(async () => {
    await srv.close();
  });

  it("runs as an onion: server middleware in order, then the connection's, then the procedure", async () => {
    const client = await openClient(`${srv.wsUrl}?user=ada`);
    try {
      log.length = 0;
      assert.equal(await client.call("whoami"), "ada");
      assert.deepEqual(log, [
        "outer in whoami",
        "inner in whoami",
        "peer in whoami",
        "peer out",
        "inner out",
        "outer out",
      ]);
    } finally {
      client.close();
    }
  });

  it("refuses before validation runs, using the connection context", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      assert.equal(await client.call("public"), "hello");
      const error = await client.call("checked", [{ n: "not a number" }]).catch((e: RpcError) => e);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32010, "auth answers, not the schema");
    } finally {
      client.close();
    }
  });

  it("can rewrite a result, and keeps it when it returns undefined", async () => {
    const client = await openClient(`${srv.wsUrl}?user=ada`);
    try {
      assert.equal(await client.call("doubled", [21]), 42);
      assert.equal(await client.call("public"), "hello");
    } finally {
      client.close();
    }
  });

  it("wraps a streamed call under the procedure's name, and skips rpc.* methods", async () => {
    const client = await openClient(`${srv.wsUrl}?user=ada`);
    try {
      log.length = 0;
      const items: number[] = [];
      for await (const item of client.stream<number>("ticks", [3])) items.push(item);
      assert.deepEqual(items, [0, 1, 2]);
      assert.equal(log[0], "outer in ticks");
      log.length = 0;
      assert.equal(await client.call("rpc.ping"), "pong");
      assert.deepEqual(log, []);
    } finally {
      client.close();
    }
  });
});
