import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import * as v from "valibot";
import { z } from "zod";
import {
  implement,
  procedure,
  remote,
  RpcError,
  type StandardSchemaV1,
  Switchboard,
} from "../../server.ts";
import { openClient, post, startServer, type TestServer } from "../_fixtures.ts";

interface Api {
  server: {
    zodAdd(input: { a: number; b: number }): number;
    valibotAdd(input: { a: number; b: number }): number;
    shout(text: string): string;
    lies(input: { n: number }): number;
    slowCheck(word: string): string;
  };
}

/** An asynchronous Standard Schema written by hand: only "yes" passes. */
const onlyYes: StandardSchemaV1<string> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: async (value) => {
      await Promise.resolve();
      return value === "yes" ? { value } : { issues: [{ message: "Say yes", path: [{ key: 0 }] }] };
    },
  },
};

function server(): Switchboard {
  const sb = new Switchboard();
  implement<Api["server"]>(sb, {
    zodAdd: procedure(
      { input: z.object({ a: z.number(), b: z.number() }), output: z.number() },
      ({ a, b }) => a + b,
    ),
    valibotAdd: procedure(
      { input: v.object({ a: v.number(), b: v.number() }) },
      ({ a, b }) => a + b,
    ),
    shout: procedure({ input: v.pipe(v.string(), v.transform((s) => s.toUpperCase())) }, (s) => s),
    lies: procedure(
      { input: z.object({ n: z.number() }), output: z.number().int() },
      ({ n }) => n + 0.5,
    ),
    slowCheck: procedure({ input: onlyYes }, (word) => `${word}!`),
  });
  return sb;
}

interface IssueData {
  issues: { message: string; path: (string | number)[] }[];
}

describe("validation with Standard Schema", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer(server());
  });
  after(async () => {
    await srv.close();
  });

  for (const method of ["zodAdd", "valibotAdd"] as const) {
    it(`${method}: valid input passes, invalid gets -32602 with the issues`, async () => {
      const client = await openClient(srv.wsUrl);
      try {
        const api = remote<Api["server"]>(client);
        assert.equal(await api[method]({ a: 1, b: 2 }), 3);
        const error = await client.call(method, [{ a: 1, b: "2" }]).catch((e: RpcError) => e);
        assert.ok(error instanceof RpcError);
        assert.equal(error.code, -32602);
        assert.equal(error.message, "Invalid params");
        const data = error.data as IssueData;
        assert.equal(data.issues.length, 1);
        assert.deepEqual(data.issues[0]!.path, ["b"]);
        assert.equal(typeof data.issues[0]!.message, "string");
        assert.ok(data.issues[0]!.message.length > 0);
      } finally {
        client.close();
      }
    });
  }

  it("a plain JSON-RPC call by name validates the params object", async () => {
    const ok = await post(srv.httpUrl, {
      jsonrpc: "2.0",
      id: 1,
      method: "zodAdd",
      params: { a: 40, b: 2 },
    });
    assert.deepEqual(await ok.json(), { jsonrpc: "2.0", id: 1, result: 42 });
    const bad = await post(srv.httpUrl, {
      jsonrpc: "2.0",
      id: 2,
      method: "valibotAdd",
      params: { a: 40 },
    });
    const body = await bad.json();
    assert.equal(body.error.code, -32602);
    assert.deepEqual(body.error.data.issues[0].path, ["b"]);
  });

  it("more than one argument is -32602", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      const error = await client.call("zodAdd", [{ a: 1, b: 2 }, 3]).catch((e: RpcError) => e);
      assert.equal(error instanceof RpcError && error.code, -32602);
    } finally {
      client.close();
    }
  });

  it("the handler receives the schema's output (transforms apply)", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      assert.equal(await remote<Api["server"]>(client).shout("hey"), "HEY");
    } finally {
      client.close();
    }
  });

  it("a result failing its output schema is -32603, with nothing leaked", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      const error = await client.call("lies", [{ n: 1 }]).catch((e: RpcError) => e);
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32603);
      assert.equal(error.data, undefined);
    } finally {
      client.close();
    }
  });

  it("an asynchronous validator works and its path segments are flattened", async () => {
    const client = await openClient(srv.wsUrl);
    try {
      assert.equal(await client.call("slowCheck", ["yes"]), "yes!");
      const error = await client.call("slowCheck", ["no"]).catch((e: RpcError) => e);
      assert.ok(error instanceof RpcError);
      assert.deepEqual(error.data, { issues: [{ message: "Say yes", path: [0] }] });
    } finally {
      client.close();
    }
  });
});
