/**
 * The three-hub cluster suite, run against one engine by tests/cluster/cluster_redis_test.ts and
 * tests/cluster/cluster_nats_test.ts: hubs as separate processes, clients spread across them.
 *
 * @module
 */

import { after, before, describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { type Client, connect, RpcError } from "../mod.ts";
import { offer } from "../lib/hub/offer.ts";
import type { Engine } from "./_engines.ts";
import { health, hubConfig, type HubProcess, startHubProcess, until } from "./_cluster.ts";
import { openClient, post } from "./_fixtures.ts";

const CALL_TIMEOUT = 1_500;

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof RpcError ? error.code : -1;
  }
}

/**
 * Define the suite for one engine.
 *
 * @param name The engine's name.
 * @param available Whether its binary is installed (a skip reason when not).
 * @param startEngine Starts it.
 */
export function clusterSuite(
  name: string,
  available: boolean,
  startEngine: () => Promise<Engine>,
): void {
  describe(`a three-hub cluster on ${name}`, { skip: !available && `no ${name} server` }, () => {
    let engine: Engine;
    let config: string;
    /** D and E (roundrobin): a long call timeout, so a call to a killed hub meets its lease. */
    let patient: string;
    let hubs: HubProcess[] = [];
    const clients: Client[] = [];
    const client = async (url: string | string[], options = {}): Promise<Client> => {
      const c = Array.isArray(url) ? connect(url, options) : await openClient(url, options);
      clients.push(c);
      await within(c.ready, 10_000, `a client of ${url}`);
      return c;
    };

    before(async () => {
      engine = await startEngine();
      config = await hubConfig({
        callTimeout: CALL_TIMEOUT,
        shutdownTimeout: 500,
        logLevel: "info",
      });
      patient = await hubConfig({ callTimeout: 15_000, shutdownTimeout: 500, logLevel: "info" });
      hubs = await Promise.all([1, 2, 3].map(() => startHubProcess(engine.url, config)));
    }, { timeout: 60_000 });

    after(async () => {
      for (const c of clients) c.close();
      await Promise.all(hubs.map((h) => h.stop()));
      await engine?.stop();
    }, { timeout: 30_000 });

    it(
      "events published on two hubs reach every subscriber on every hub once, in order, with the same seq",
      { timeout: 30_000 },
      async () => {
        const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
        const subscribers = await Promise.all([a, b, c, c].map((h) => client(h.wsUrl)));
        const got: number[][] = subscribers.map(() => []);
        await Promise.all(
          subscribers.slice(0, 3).map((s, i) =>
            s.subscribe("room.one", (_data, event) => {
              got[i]!.push(event.seq ?? -1);
            }).ready
          ),
        );
        await subscribers[3]!.subscribe("room.*", (_data, event) => {
          got[3]!.push(event.seq ?? -1);
        }).ready;
        const [pa, pb] = await Promise.all([client(a.wsUrl), client(b.wsUrl)]);
        const seqs = await Promise.all([
          ...Array.from({ length: 25 }, (_, i) => pa.publish("room.one", { from: "a", i })),
          ...Array.from({ length: 25 }, (_, i) => pb.publish("room.one", { from: "b", i })),
        ]);
        const expected = Array.from({ length: 50 }, (_, i) => i + 1);
        assert.deepEqual([...seqs].sort((x, y) => x - y), expected);
        await until("every subscriber has 50 events", () => got.every((g) => g.length >= 50));
        await new Promise((resolve) => setTimeout(resolve, 100)); // Nothing more may come.
        for (const g of got) assert.deepEqual(g, expected);
      },
    );

    it(
      "a procedure registered on hub A is called through hub B (plain JSON-RPC over HTTP) and hub C, and single holds cluster-wide",
      { timeout: 30_000 },
      async () => {
        const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
        const callee = await client(a.wsUrl);
        await offer(callee, "math.add", ([x, y]: number[]) => x! + y!, {
          description: "Adds two numbers",
        });
        const res = await post(b.httpUrl, {
          jsonrpc: "2.0",
          method: "math.add",
          params: [2, 3],
          id: 7,
        });
        assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 7, result: 5 });
        const caller = await client(c.wsUrl);
        assert.equal(await caller.call("math.add", [40, 2]), 42);
        const rival = await client(b.wsUrl);
        assert.equal(await codeOf(rival.call("rpc.register", { name: "math.add" })), -32012);
        const unknown = await post(b.httpUrl, { jsonrpc: "2.0", method: "math.nope", id: 8 });
        assert.equal((await unknown.json()).error.code, -32601);
        const doc = await caller.call("rpc.discover") as { methods: { name: string }[] };
        assert.ok(doc.methods.some((m) => m.name === "math.add"));
        const metrics = await (await fetch(`${c.origin}/metrics`)).text();
        assert.match(metrics, /switchboard_backplane_up 1/);
        assert.match(metrics, /switchboard_cluster_routing_up 1/);
      },
    );

    it(
      "a callee that disconnects gives -32013 on the caller's hub",
      { timeout: 30_000 },
      async () => {
        const [a, b] = hubs as [HubProcess, HubProcess];
        const callee = await client(a.wsUrl, { reconnect: false });
        const started = deferred();
        await offer(callee, "slow.hang", () => {
          started.resolve();
          return new Promise(() => {});
        });
        const caller = await client(b.wsUrl);
        const call = codeOf(caller.call("slow.hang"));
        await within(started.promise, 5_000, "the callee got the call");
        callee.close();
        assert.equal(await within(call, 5_000, "the caller's answer"), -32013);
      },
    );

    it("timeouts and rpc.cancel cross hubs and reach the callee", { timeout: 30_000 }, async () => {
      const [a, b] = hubs as [HubProcess, HubProcess];
      const callee = await client(a.wsUrl);
      let started = deferred();
      let aborted = deferred();
      await offer(callee, "slow.wait", (_params, ctx) => {
        started.resolve();
        return new Promise((_, reject) => {
          ctx.signal.addEventListener("abort", () => {
            aborted.resolve();
            reject(new Error("aborted"));
          });
        });
      });
      const caller = await client(b.wsUrl);
      // The hub's timeout (callTimeout) on the caller's side.
      assert.equal(await within(codeOf(caller.call("slow.wait")), 8_000, "timeout"), -32000);
      await within(aborted.promise, 5_000, "the callee heard rpc.cancel after the timeout");
      // The caller cancels.
      started = deferred();
      aborted = deferred();
      const controller = new AbortController();
      const call = codeOf(caller.call("slow.wait", [], { signal: controller.signal }));
      await within(started.promise, 5_000, "the callee got the call");
      controller.abort();
      assert.equal(await call, -32002);
      await within(aborted.promise, 5_000, "the callee heard rpc.cancel");
    });

    it(
      "roundrobin shares a name across hubs and alternates between them",
      { timeout: 30_000 },
      async () => {
        const rr = await Promise.all(
          [1, 2].map(() =>
            startHubProcess(engine.url, patient, { SWITCHBOARD_REGISTRATION: "roundrobin" })
          ),
        );
        hubs.push(...rr);
        const [d, e] = rr as [HubProcess, HubProcess];
        const [cd, ce] = await Promise.all([client(d.wsUrl), client(e.wsUrl)]);
        await offer(cd, "rr.who", () => "d");
        await offer(ce, "rr.who", () => "e");
        const caller = await client(d.wsUrl);
        await until("both callees seen", async () => {
          const seen = new Set<unknown>();
          for (let i = 0; i < 4; i++) seen.add(await caller.call("rr.who"));
          return seen.size === 2;
        });
        const answers: unknown[] = [];
        for (let i = 0; i < 6; i++) answers.push(await caller.call("rr.who"));
        assert.equal(answers.filter((x) => x === "d").length, 3, answers.join());
      },
    );

    it(
      "a killed hub's subscriber reconnects to another hub and resumes with nothing lost or duplicated; a call to its callee gets -32013",
      { timeout: 30_000 },
      async () => {
        const [a, b] = hubs as [HubProcess, HubProcess];
        const d = hubs[3]!; // Roundrobin, callTimeout 15 s (the test above).
        const doomed = await startHubProcess(engine.url, config);
        hubs.push(doomed);
        const callee = await client(doomed.wsUrl, { reconnect: false });
        const started = deferred();
        await offer(callee, "doomed.hang", () => {
          started.resolve();
          return new Promise(() => {});
        });
        const caller = await client(d.wsUrl);
        const hanging = codeOf(caller.call("doomed.hang", [], { timeout: 20_000 }));
        await within(started.promise, 5_000, "the callee on the doomed hub got the call");
        const subscriber = await client([doomed.wsUrl, a.wsUrl], {
          reconnect: { min: 20, max: 200 },
        });
        const seqs: number[] = [];
        await subscriber.subscribe("feed.k", (_data, event) => {
          seqs.push(event.seq ?? -1);
        }).ready;
        const publisher = await client(b.wsUrl);
        const total = 120;
        let killed: Promise<void> | undefined;
        for (let i = 1; i <= total; i++) {
          await publisher.publish("feed.k", i);
          if (i === 40) killed = doomed.kill();
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await killed;
        // Its lease (3 s) lapses; the caller's hub checks every 2 s.
        assert.equal(await within(hanging, 10_000, "the call to the killed hub's callee"), -32013);
        await until(`the subscriber has ${total} events`, () => seqs.length >= total);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));
        assert.equal(subscriber.url, a.wsUrl);
      },
    );

    it(
      "the engine down for seconds: degraded health, local traffic served, publishes refused, then back by itself",
      { timeout: 30_000 },
      async () => {
        const [a, b, c] = hubs as [HubProcess, HubProcess, HubProcess];
        const callee = await client(a.wsUrl);
        await offer(callee, "local.echo", (params) => params);
        const local = await client(a.wsUrl);
        const remote = await client(b.wsUrl);
        assert.deepEqual(await remote.call("local.echo", ["x"]), ["x"]);
        const restarted = engine.restart(2_500);
        await until("every hub reports degraded", async () => {
          const states = await Promise.all([a, b, c].map(health));
          return states.every((s) => s.cluster?.degraded === true);
        }, 2_000);
        assert.deepEqual(await local.call("local.echo", ["still"]), ["still"]);
        assert.equal(await codeOf(local.publish("down.topic", 1)), -32015);
        await restarted;
        await until("every hub is up again", async () => {
          const states = await Promise.all([a, b, c].map(health));
          return states.every((s) => s.cluster?.degraded === false);
        }, 15_000);
        const listener = await client(c.wsUrl);
        const got: unknown[] = [];
        await listener.subscribe("after.restart", (data) => {
          got.push(data);
        }).ready;
        await until("a publish after the restart reaches hub C", async () => {
          await local.publish("after.restart", "hello").catch(() => {});
          return got.length > 0;
        });
        await until("a routed call across hubs works again", async () => {
          return await codeOf(remote.call("local.echo", ["back"])) === undefined;
        });
      },
    );
  });
}
