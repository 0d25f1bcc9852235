/**
 * Synced state end to end: real servers on 127.0.0.1, real clients. Snapshot on subscribe,
 * patches to every client, methods as procedures, one order for concurrent mutations,
 * catch-up by replay or by snapshot, authorization, and the exact wire JSON.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Client, type StateClient, superjsonCodec, sync } from "../../mod.ts";
import { Switchboard, type SwitchboardOptions } from "../../server.ts";
import {
  openClient,
  openRaw,
  post,
  rejection,
  startServer,
  type TestServer,
  until,
} from "../_fixtures.ts";

interface Counter {
  count: number;
  [key: string]: unknown;
}
interface CounterMethods {
  increment(by?: number): number;
}

async function withServer(
  options: SwitchboardOptions,
  body: (sb: Switchboard, server: TestServer) => Promise<void>,
): Promise<void> {
  const sb = new Switchboard(options);
  const server = await startServer(sb);
  try {
    await body(sb, server);
  } finally {
    await server.close();
    await sb.pubsub.close();
  }
}

function counterState(sb: Switchboard) {
  return sb.state<Counter>("counter", { count: 0 }, {
    methods: {
      increment: (state, [by = 1]: number[]) => state.set({ count: state.value.count + by }),
    },
  });
}

/** A StateClient that records the methods called through it. */
function counting(client: Client): { client: StateClient; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    client: {
      call: (method, params) => {
        calls.push(method);
        return client.call(method, params);
      },
      subscribe: (topic, handler, options) => client.subscribe(topic, handler, options),
    },
  };
}

describe("sync()", () => {
  it("gets the snapshot, then every patch; methods call procedures", async () => {
    await withServer({}, async (sb, server) => {
      const counter = counterState(sb);
      counter.set({ count: 5 });
      const client = await openClient(server.wsUrl);
      try {
        const state = sync<Counter, CounterMethods>(client, "counter");
        const seen: number[] = [];
        state.on("change", (value) => seen.push(value.count));
        await within(state.ready, "state.ready");
        assert.deepEqual(state.value, { count: 5 });
        assert.equal(state.version, 1);
        assert.equal(await state.increment(2), 2);
        await until(() => state.value?.count === 7);
        counter.set({ label: "x" });
        await until(() => state.value?.label === "x");
        counter.delete("label");
        await until(() => state.version === 4);
        assert.deepEqual(state.value, { count: 7 });
        assert.deepEqual(seen, [5, 7, 7, 7]);
        assert.ok(Object.isFrozen(state.value));
        assert.equal(typeof (state as unknown as { then?: unknown }).then, "undefined");
        await state.close();
      } finally {
        client.close();
      }
    });
  });

  it("several clients converge on one order of concurrent mutations", async () => {
    await withServer({}, async (sb, server) => {
      counterState(sb);
      const clients = await Promise.all([0, 1, 2].map(() => openClient(server.wsUrl)));
      try {
        const states = clients.map((c) => sync<Counter, CounterMethods>(c, "counter"));
        await Promise.all(states.map((s) => s.ready));
        const versions = await Promise.all(
          states.flatMap((s) => Array.from({ length: 20 }, () => s.increment(1))),
        );
        // Every call got its own version: the server applied them one at a time.
        assert.deepEqual(
          [...versions].sort((a, b) => a - b),
          Array.from({ length: 60 }, (_, i) => i + 1),
        );
        await until(() => states.every((s) => s.version === 60));
        for (const s of states) assert.deepEqual(s.value, { count: 60 });
      } finally {
        for (const c of clients) c.close();
      }
    });
  });

  it("resumes from a checkpoint by replaying missed patches, without a snapshot", async () => {
    await withServer({ pubsub: { replay: { size: 100 } } }, async (sb, server) => {
      const counter = counterState(sb);
      const first = await openClient(server.wsUrl);
      const state = sync<Counter>(first, "counter");
      await within(state.ready, "state.ready");
      counter.set({ count: 1 });
      await until(() => state.version === 1);
      const saved = state.checkpoint()!;
      first.close();
      for (let i = 2; i <= 6; i++) counter.set({ count: i });
      const second = await openClient(server.wsUrl);
      try {
        const { client, calls } = counting(second);
        const resumed = sync<Counter>(client, "counter", { resume: saved });
        await within(resumed.ready, "resumed.ready");
        assert.deepEqual(resumed.value, { count: 6 });
        assert.equal(resumed.version, 6);
        assert.deepEqual(calls, [], "no rpc.state.get: the patches were replayed");
        counter.set({ count: 7 });
        await until(() => resumed.value?.count === 7);
      } finally {
        second.close();
      }
    });
  });

  it("resumes with a fresh snapshot when the patches are gone (gap)", async () => {
    await withServer({ pubsub: { replay: { size: 2 } } }, async (sb, server) => {
      const counter = counterState(sb);
      const first = await openClient(server.wsUrl);
      const state = sync<Counter>(first, "counter");
      await within(state.ready, "state.ready");
      const saved = state.checkpoint()!;
      first.close();
      for (let i = 1; i <= 5; i++) counter.set({ count: i });
      const second = await openClient(server.wsUrl);
      try {
        const { client, calls } = counting(second);
        const resumed = sync<Counter>(client, "counter", { resume: saved });
        await within(resumed.ready, "resumed.ready");
        assert.deepEqual(calls, ["rpc.state.get"]);
        assert.deepEqual(resumed.value, { count: 5 });
        assert.equal(resumed.version, 5);
      } finally {
        second.close();
      }
    });
  });

  it("resyncs when the checkpoint is from another epoch (a restarted server)", async () => {
    await withServer({ pubsub: { replay: { size: 100 } } }, async (sb, server) => {
      const counter = counterState(sb);
      counter.set({ count: 1 });
      counter.set({ count: 2 });
      const client = await openClient(server.wsUrl);
      try {
        const resumed = sync<Counter>(client, "counter", {
          resume: { epoch: "previous", version: 1, seq: 1, value: { count: 99 } },
        });
        await within(resumed.ready, "resumed.ready");
        assert.equal(resumed.epoch, counter.epoch);
        assert.deepEqual(resumed.value, { count: 2 });
      } finally {
        client.close();
      }
    });
  });

  it("catches up after its subscription was dropped and resumed with since", async () => {
    await withServer({ pubsub: { replay: { size: 100 } } }, async (sb, server) => {
      const counter = counterState(sb);
      const client = await openClient(server.wsUrl);
      try {
        const state = sync<Counter>(client, "counter");
        await within(state.ready, "state.ready");
        // What a reconnect does: the server forgets the subscription, the client resubscribes
        // with the last sequence number it saw; the state's handler gets the replay.
        const seq = client.subscriptions.lastSeq("@state.counter")!;
        sb.pubsub.unsubscribe([...sb.peers.keys()][0]!, "@state.counter");
        counter.set({ count: 1 });
        counter.set({ count: 2 });
        assert.equal(state.version, 0);
        await client.call("rpc.subscribe", { topic: "@state.counter", since: seq });
        await until(() => state.version === 2);
        assert.deepEqual(state.value, { count: 2 });
      } finally {
        client.close();
      }
    });
  });
});

describe("state authorization", () => {
  it("uses the pub/sub authorize hook for reading, and never lets clients publish patches", async () => {
    const options: SwitchboardOptions = {
      pubsub: { authorize: ({ topic }) => topic !== "@state.secret" },
    };
    await withServer(options, async (sb, server) => {
      sb.state("secret", { pin: 1234 });
      counterState(sb);
      const client = await openClient(server.wsUrl);
      try {
        const refused = sync(client, "secret");
        assert.equal((await rejection(refused.ready)).code, -32006);
        assert.equal(refused.value, undefined);
        assert.equal(
          (await rejection(client.call("rpc.state.get", { name: "secret" }))).code,
          -32006,
        );
        const forged = client.publish("@state.counter", {
          epoch: "x",
          version: 1,
          set: { count: 9 },
        });
        assert.equal((await rejection(forged)).code, -32006);
        const missing = await rejection(client.call("rpc.state.get", { name: "nope" }));
        assert.equal(missing.code, -32602);
        assert.equal((await rejection(client.call("rpc.state.get", {}))).code, -32602);
      } finally {
        client.close();
      }
    });
  });
});

describe("state over other transports and codecs", () => {
  it("rpc.state.get works over HTTP POST and is listed by rpc.hello", async () => {
    await withServer({}, async (sb, server) => {
      const counter = counterState(sb);
      const res = await post(server.httpUrl, {
        jsonrpc: "2.0",
        id: 1,
        method: "rpc.state.get",
        params: ["counter"],
      });
      assert.deepEqual((await res.json()).result, {
        name: "counter",
        epoch: counter.epoch,
        version: 0,
        value: { count: 0 },
      });
      const client = await openClient(server.wsUrl);
      try {
        const hello = await client.call("rpc.hello") as { extensions: string[] };
        assert.ok(hello.extensions.includes("rpc.state.get"));
      } finally {
        client.close();
      }
    });
  });

  it("carries rich values with the superjson codec", async () => {
    await withServer({}, async (sb, server) => {
      const meeting = sb.state("meeting", { at: new Date(0), tags: new Set(["a"]) });
      const client = await openClient(server.wsUrl, { codec: superjsonCodec });
      try {
        const state = sync<{ at: Date; tags: Set<string> }>(client, "meeting");
        await within(state.ready, "state.ready");
        assert.ok(state.value?.at instanceof Date);
        meeting.set({ at: new Date(1000) });
        await until(() => state.version === 1);
        assert.equal(state.value?.at.getTime(), 1000);
        assert.ok(state.value?.tags instanceof Set);
      } finally {
        client.close();
      }
    });
  });
});

describe("state wire JSON", () => {
  it("rpc.state.get answers the snapshot; patches are rpc.event data", async () => {
    await withServer({}, async (sb, server) => {
      const counter = counterState(sb);
      const raw = await openRaw(server.wsUrl);
      try {
        const snapshot = await raw.exchange(
          '{"jsonrpc":"2.0","id":1,"method":"rpc.state.get","params":{"name":"counter"}}',
        );
        assert.deepEqual(snapshot, {
          jsonrpc: "2.0",
          id: 1,
          result: { name: "counter", epoch: counter.epoch, version: 0, value: { count: 0 } },
        });
        const subscribed = await raw.exchange(
          '{"jsonrpc":"2.0","id":2,"method":"rpc.subscribe","params":{"topic":"@state.counter"}}',
        );
        assert.deepEqual(subscribed, {
          jsonrpc: "2.0",
          id: 2,
          result: { topic: "@state.counter", seq: 0 },
        });
        counter.set({ count: 3, note: "hi" });
        counter.delete("note");
        assert.deepEqual(JSON.parse(await raw.next() as string), {
          jsonrpc: "2.0",
          method: "rpc.event",
          params: {
            topic: "@state.counter",
            seq: 1,
            data: { epoch: counter.epoch, version: 1, set: { count: 3, note: "hi" } },
          },
        });
        assert.deepEqual(JSON.parse(await raw.next() as string).params.data, {
          epoch: counter.epoch,
          version: 2,
          delete: ["note"],
        });
      } finally {
        raw.socket.close();
      }
    });
  });
});
