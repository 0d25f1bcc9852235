/**
 * The hub routes calls between clients: register, call, errors verbatim, a callee that
 * disconnects mid-call, registrations removed on close, registration policy, discovery.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { RpcError } from "../../mod.ts";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, post, rejection, until } from "../_fixtures.ts";
import { startHub, type TestHub } from "../_hub.ts";

describe("hub routing", () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub();
    hub.hub.switchboard.register("server.echo", (p) => p);
  });
  after(() => hub.close());

  it("rpc.register lets another client call the procedure through the hub", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    try {
      a.register("math.add", ([x, y]: number[]) => x! + y!);
      assert.deepEqual(await a.call("rpc.register", { name: "math.add" }), {
        registered: ["math.add"],
      });
      assert.equal(await b.call("math.add", [2, 3]), 5);
      const res = await post(hub.httpUrl, {
        jsonrpc: "2.0",
        id: 7,
        method: "math.add",
        params: [1, 1],
      });
      assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 7, result: 2 });
    } finally {
      a.close();
      b.close();
    }
  });

  it("a routed call returns the callee's error verbatim", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    try {
      await offer(a, "bank.withdraw", () => {
        throw new RpcError(-32050, "Insufficient funds", { balance: 3 });
      });
      const error = await rejection(b.call("bank.withdraw", { amount: 10 }));
      assert.equal(error.code, -32050);
      assert.equal(error.message, "Insufficient funds");
      assert.deepEqual(error.data, { balance: 3 });
    } finally {
      a.close();
      b.close();
    }
  });

  it("a callee that disconnects mid-call fails the call with -32013", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    try {
      let started = false;
      await offer(a, "slow.op", () => {
        started = true;
        return new Promise(() => {});
      });
      const call = b.call("slow.op");
      await until(() => started);
      a.close();
      const error = await rejection(call);
      assert.equal(error.code, -32013);
      assert.deepEqual((error.data as { procedure: string }).procedure, "slow.op");
    } finally {
      a.close();
      b.close();
    }
  });

  it("a caller that disconnects or aborts mid-call has the callee's handler aborted (rpc.cancel)", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    const c = await openClient(hub.wsUrl);
    try {
      const aborted: string[] = [];
      let started = 0;
      await offer(a, "slow.watch", (params, ctx) => {
        started++;
        return new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted.push((params as string[])[0]!);
            resolve(null);
          });
        });
      });
      const gone = rejection(b.call("slow.watch", ["gone"]));
      await until(() => started === 1);
      b.close();
      await gone;
      await until(() => aborted.length === 1);
      const controller = new AbortController();
      const cancelled = rejection(c.call("slow.watch", ["aborted"], { signal: controller.signal }));
      await until(() => started === 2);
      controller.abort();
      assert.equal((await cancelled).code, -32002);
      await until(() => aborted.length === 2);
      assert.deepEqual(aborted, ["gone", "aborted"]);
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });

  it("registrations are removed when the callee disconnects", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    try {
      await offer(a, "gone.soon", () => 1);
      assert.equal(await b.call("gone.soon"), 1);
      a.close();
      await until(() => hub.hub.router.size === 0);
      assert.equal((await rejection(b.call("gone.soon"))).code, -32601);
    } finally {
      b.close();
    }
  });

  it("rpc.unregister withdraws a procedure", async () => {
    const a = await openClient(hub.wsUrl);
    try {
      const withdraw = await offer(a, "tmp.x", () => 1);
      await withdraw();
      assert.equal((await rejection(a.call("tmp.x"))).code, -32601);
      assert.deepEqual(await a.call("rpc.unregister", { name: "tmp.x" }), { unregistered: [] });
    } finally {
      a.close();
    }
  });

  it("a second client registering a held name gets -32012 (policy single)", async () => {
    const a = await openClient(hub.wsUrl);
    const c = await openClient(hub.wsUrl);
    try {
      await offer(a, "only.one", () => "a");
      const error = await rejection(c.call("rpc.register", { name: "only.one" }));
      assert.equal(error.code, -32012);
      assert.deepEqual(await a.call("rpc.register", { name: "only.one" }), {
        registered: ["only.one"],
      });
    } finally {
      a.close();
      c.close();
    }
  });

  it("routed names cannot shadow rpc. builtins or server procedures", async () => {
    const a = await openClient(hub.wsUrl);
    try {
      assert.equal((await rejection(a.call("rpc.register", { name: "rpc.ping" }))).code, -32602);
      assert.equal(
        (await rejection(a.call("rpc.register", { name: "server.echo" }))).code,
        -32602,
      );
      assert.equal((await rejection(a.call("rpc.register", {}))).code, -32602);
      assert.deepEqual(await a.call("server.echo", [1]), [1]);
    } finally {
      a.close();
    }
  });

  it("rpc.register over HTTP is refused with -32004", async () => {
    const res = await post(hub.httpUrl, {
      jsonrpc: "2.0",
      id: 1,
      method: "rpc.register",
      params: { name: "http.x" },
    });
    assert.equal((await res.json()).error.code, -32004);
  });

  it("rpc.discover lists server, routed and rpc. procedures with known schemas", async () => {
    const a = await openClient(hub.wsUrl);
    try {
      await offer(a, "math.mul", ([x, y]: number[]) => x! * y!, {
        description: "Multiplies",
        params: [{ name: "x", schema: { type: "number" } }, {
          name: "y",
          schema: { type: "number" },
        }],
        result: { name: "product", schema: { type: "number" } },
      });
      const doc = await a.call("rpc.discover") as {
        openrpc: string;
        methods: { name: string; description?: string; params: unknown[] }[];
      };
      assert.equal(doc.openrpc, "1.3.2");
      const names = doc.methods.map((m) => m.name);
      for (const name of ["math.mul", "server.echo", "rpc.ping", "rpc.time", "rpc.version"]) {
        assert.ok(names.includes(name), `${name} in ${names}`);
      }
      const mul = doc.methods.find((m) => m.name === "math.mul")!;
      assert.equal(mul.description, "Multiplies");
      assert.equal(mul.params.length, 2);
      const time = await a.call("rpc.time") as { now: number; iso: string };
      assert.equal(new Date(time.iso).getTime(), time.now);
      const version = await a.call("rpc.version") as { version: string; runtime: string };
      assert.match(version.version, /^\d+\.\d+\.\d+/);
    } finally {
      a.close();
    }
  });
});

describe("hub routing, policy roundrobin", () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ registration: "roundrobin" });
  });
  after(() => hub.close());

  it("calls alternate between the clients sharing a name", async () => {
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    const c = await openClient(hub.wsUrl);
    try {
      await offer(a, "who", () => "a");
      await offer(b, "who", () => "b");
      const answers = [await c.call("who"), await c.call("who"), await c.call("who")];
      assert.deepEqual(answers.toSorted(), ["a", "a", "b"]);
      assert.notEqual(answers[0], answers[1]);
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });
});
