/**
 * The Cloudflare host in workerd (Miniflare, the `miniflare` devDependency): the example
 * Worker and Durable Object of examples/cloudflare/, bundled with esbuild, on 127.0.0.1 with
 * real WebSocket and HTTP clients. The JSON-RPC 2.0 specification's examples over WebSocket
 * and POST; two clients on one object; hibernation (workerd evicts an idle object after
 * 10 s: the sessions come back from the sockets' attachments); a restart over the same
 * storage directory (a fresh workerd, the only way to restart an object locally) with a
 * client resuming by `since`. Skips when Miniflare or workerd is missing, except under
 * CI=true where it fails.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalWorker, startLocal } from "../../examples/cloudflare/local.ts";
import { type Client, connect, RpcError, superjsonCodec, sync } from "../../mod.ts";
import { PING_REQUEST as PING, PING_RESPONSE as PONG } from "../../cloudflare.ts";
import { delay, openRaw, post, type RawSocket } from "../_fixtures.ts";
import { missing, ROOT, SMOKE_REPORT, smokeBody } from "../_runtimes.ts";
import { EXAMPLES, PROBE, PROBE_ANSWER } from "../_spec_examples.ts";

const absent = missing("miniflare", `${ROOT}node_modules/miniflare/package.json`) ??
  missing("workerd", `${ROOT}node_modules/.bin/workerd`);

/** Longest wait for anything workerd does. */
const DEADLINE = 5_000;

/** Idle time after which workerd has evicted a hibernatable object (its timer is 10 s). */
const HIBERNATE_AFTER = 13_000;

/** A client that does not ping (a ping would keep the object awake). */
async function open(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Client> {
  const client = connect(url, { heartbeat: false, reconnect: false, ...options });
  await withDeadline(client.ready, "client ready");
  return client;
}

/** Race a promise against {@linkcode DEADLINE}. */
function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${DEADLINE} ms`)),
      DEADLINE,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolve once `count` items are in `list`, or fail at the deadline. */
async function collected(list: unknown[], count: number, what: string): Promise<void> {
  const end = Date.now() + DEADLINE;
  while (list.length < count) {
    if (Date.now() > end) throw new Error(`${what}: ${list.length} of ${count} within deadline`);
    await delay(5);
  }
}

describe("Switchboard on Cloudflare Durable Objects (workerd)", { skip: absent }, () => {
  let worker: LocalWorker;
  before(async () => {
    worker = await startLocal({ port: 0 });
  });
  after(() => worker?.close());

  describe("JSON-RPC 2.0 specification examples over WebSocket", () => {
    let raw: RawSocket;
    before(async () => {
      raw = await openRaw(`${worker.wsUrl}?room=spec`);
    });
    after(() => raw.socket.close());
    for (const example of EXAMPLES) {
      it(example.name, async () => {
        if (example.expect === undefined) {
          raw.socket.send(example.send);
          assert.deepEqual(await raw.exchange(PROBE), PROBE_ANSWER);
        } else {
          assert.deepEqual(await raw.exchange(example.send), example.expect);
        }
      });
    }
  });

  describe("JSON-RPC 2.0 specification examples over HTTP POST", () => {
    for (const example of EXAMPLES) {
      it(example.name, async () => {
        const res = await post(`${worker.httpUrl}?room=spec`, example.send);
        if (example.expect === undefined) {
          assert.equal(res.status, 204);
          assert.equal(await res.text(), "");
        } else {
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), example.expect);
        }
      });
    }
  });

  it("runs the smoke scenario every runtime runs", { timeout: 20_000 }, async () => {
    const run = new Function(
      `return (async () => { ${
        smokeBody(new URL("../../mod.ts", import.meta.url).href, `${worker.wsUrl}?room=smoke`)
      } return report; })();`,
    ) as () => Promise<unknown>;
    assert.deepEqual(await withDeadline(run(), "smoke"), SMOKE_REPORT);
  });

  it("serves the prebuilt client at /rpc/client.js with an ETag", async () => {
    const res = await fetch(`${worker.httpUrl}/client.js`);
    const etag = res.headers.get("etag");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /export\{/);
    const again = await fetch(`${worker.httpUrl}/client.js`, {
      headers: { "if-none-match": etag ?? "" },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();
  });

  it("answers the fixed-form rpc.ping in the runtime, refuses channels, 426 to a GET", async () => {
    const raw = await openRaw(`${worker.wsUrl}?room=ping`);
    try {
      assert.deepEqual(await raw.exchange(PING), JSON.parse(PONG));
      // Multiplexing is off on a Durable Object: a channel could not be restored on wake.
      const refused = await raw.exchange('{"jsonrpc":"2.0","method":"rpc.channel.open","id":2}');
      assert.equal((refused as { error: { code: number } }).error.code, -32004);
    } finally {
      raw.socket.close();
    }
    const res = await fetch(worker.httpUrl);
    assert.equal(res.status, 426);
    await res.body?.cancel();
  });

  it("gives two clients of one room one hub: call, publish, binary, state, call back", {
    timeout: 20_000,
  }, async () => {
    const a = await open(`${worker.wsUrl}?room=two&user=ada`, { codec: superjsonCodec });
    const b = await open(`${worker.wsUrl}?room=two&user=bob`);
    try {
      assert.equal(await a.call("instance"), await b.call("instance"));
      assert.equal(await a.call("whoami"), "ada");
      assert.equal(await b.call("whoami"), "bob");
      const news: unknown[] = [];
      await withDeadline(a.subscribe("chat.room", (data) => news.push(data)).ready, "subscribe");
      assert.deepEqual(await b.call("rpc.publish", { topic: "chat.room", data: "hi" }), {
        seq: 1,
      });
      await collected(news, 1, "event");
      assert.deepEqual(news, ["hi"]);
      const reversed = await b.call("bytes.reverse", [new Uint8Array([1, 2, 3])]);
      assert.deepEqual(reversed, new Uint8Array([3, 2, 1]));
      const counter = sync(a, "counter");
      await withDeadline(counter.ready, "sync");
      const start = (counter.value as { count: number }).count;
      const seen: number[] = [];
      counter.on("change", (value) => seen.push((value as { count: number }).count));
      await b.call("counter.increment", [2]);
      await collected(seen, 1, "state patch");
      assert.equal(seen.at(-1), start + 2);
      b.register("name", () => "bob's client");
      assert.equal(await b.call("ask", ["name"]), "bob's client");
      const other = await open(`${worker.wsUrl}?room=elsewhere`);
      try {
        assert.notEqual(await other.call("instance"), await a.call("instance"));
      } finally {
        other.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("refuses a subscription, or an upgrade, that would not fit the 2 KB attachment", async () => {
    const client = await open(`${worker.wsUrl}?room=big`);
    try {
      const long = (i: number) => `t${i}.${"x".repeat(240)}`;
      let refused: unknown;
      for (let i = 0; i < 12 && refused === undefined; i++) {
        await client.subscribe(long(i), () => {}).ready.catch((error) => refused = error);
      }
      assert.ok(refused instanceof RpcError, "a subscription is refused");
      assert.equal(refused.code, -32005);
      assert.equal(await client.call("add", [1, 2]), 3, "the connection stays usable");
    } finally {
      client.close();
    }
    // Data from the context hook that alone would not fit: the upgrade is refused.
    await assert.rejects(openRaw(`${worker.wsUrl}?room=big&user=${"u".repeat(2_100)}`));
  });

  it("keeps no history across an event too big for a storage row: a resume gets a gap", {
    timeout: 20_000,
  }, async () => {
    const a = await open(`${worker.wsUrl}?room=bigevent`);
    try {
      const publish = (data: unknown) => a.call("rpc.publish", { topic: "chat.big", data });
      await publish("one");
      assert.deepEqual(await publish(new Uint8Array(2_000_000)), { seq: 2 });
      await publish("three");
      const across = a.subscribe("chat.big", () => {}, { since: 0 });
      const result = await withDeadline(across.ready, "resume across") as {
        gap?: { reason: string };
      };
      assert.equal(result.gap?.reason, "expired");
      await across.unsubscribe();
      const b = await open(`${worker.wsUrl}?room=bigevent`);
      try {
        const after: unknown[] = [];
        const sub = b.subscribe("chat.big", (data) => after.push(data), { since: 2 });
        assert.equal(
          (await withDeadline(sub.ready, "resume after") as { replayed?: number })
            .replayed,
          1,
        );
        await collected(after, 1, "replayed");
        assert.deepEqual(after, ["three"]);
      } finally {
        b.close();
      }
    } finally {
      a.close();
    }
  });

  it("stays awake while a call runs, then restores sessions when it wakes from hibernation", {
    timeout: 2 * HIBERNATE_AFTER + 15_000,
  }, async () => {
    const a = await open(`${worker.wsUrl}?room=sleepy&user=ada`, { codec: superjsonCodec });
    const b = await open(`${worker.wsUrl}?room=sleepy`);
    try {
      const before = await a.call("instance");
      await a.call("login", ["ada2"]);
      const news: unknown[] = [];
      await withDeadline(a.subscribe("news.today", (data) => news.push(data)).ready, "sub");
      const gate = a.call("gate.wait");
      await delay(HIBERNATE_AFTER);
      assert.equal(await b.call("gate.open", ["through"]), true);
      assert.equal(await withDeadline(gate, "call across the idle time"), "through");
      assert.equal(await b.call("instance"), before, "a running call kept the object awake");
      // Idle again, but for the fixed ping every 2 s: the runtime answers it, the object sleeps.
      const pinger = await openRaw(`${worker.wsUrl}?room=sleepy`);
      try {
        for (let slept = 0; slept < HIBERNATE_AFTER; slept += 2_000) {
          await delay(2_000);
          assert.deepEqual(await pinger.exchange(PING), JSON.parse(PONG));
        }
      } finally {
        pinger.socket.close();
      }
      await b.call("news.publish", ["after waking"]);
      assert.notEqual(await b.call("instance"), before, "the object was evicted and woke");
      await collected(news, 1, "event after wake");
      assert.deepEqual(news, ["after waking"]);
      assert.equal(await a.call("whoami"), "ada2", "data survives");
      // superjson is still negotiated on a: a Date goes to the object, back into a's own
      // procedure and out again as a Date.
      const when = new Date(0);
      a.register("echo", ([value]: unknown[]) => value);
      assert.deepEqual(await a.call("ask", ["echo", when]), when);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("Switchboard on Cloudflare: restart over the same storage", { skip: absent }, () => {
  it("rejects a call in flight when workerd stops, with -32001", { timeout: 20_000 }, async () => {
    let worker: LocalWorker | undefined = await startLocal({ port: 0 });
    try {
      const client = await open(`${worker.wsUrl}?room=stop`);
      const call = client.call("wait", [60_000]);
      const outcome = call.then(() => "resolved", (error: RpcError) => error.code);
      await delay(50);
      await worker.close();
      worker = undefined;
      assert.equal(await withDeadline(outcome, "call in flight"), -32001);
    } finally {
      await worker?.close();
    }
  });

  it("replays exactly the missed events to a client resuming with since", {
    timeout: 40_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-workerd-"));
    let worker: LocalWorker | undefined;
    try {
      worker = await startLocal({ port: 0, persist: dir });
      const a = await open(`${worker.wsUrl}?room=resume`);
      const seen: number[] = [];
      await withDeadline(
        a.subscribe("news.today", (_data, event) => seen.push(event.seq ?? 0)).ready,
        "subscribe",
      );
      await a.call("news.publish", ["one"]);
      await collected(seen, 1, "first event");
      const since = seen[0]!;
      a.close();
      const b = await open(`${worker.wsUrl}?room=resume`);
      for (const text of ["two", "three", "four"]) await b.call("news.publish", [text]);
      await b.call("counter.increment", [7]);
      const state = await b.call("rpc.state.get", { name: "counter" }) as {
        epoch: string;
        version: number;
        value: { count: number };
      };
      b.close();
      await worker.close();
      worker = await startLocal({ port: 0, persist: dir });
      const c = await open(`${worker.wsUrl}?room=resume`);
      const missed: unknown[] = [];
      const sub = c.subscribe("news.today", (data) => missed.push(data), { since });
      const result = await withDeadline(sub.ready, "resume") as { replayed?: number };
      assert.equal(result.replayed, 3);
      await collected(missed, 3, "replayed events");
      await delay(50);
      assert.deepEqual(missed, ["two", "three", "four"]);
      assert.deepEqual(await c.call("rpc.state.get", { name: "counter" }), {
        name: "counter",
        ...state,
      });
      c.close();
    } finally {
      await worker?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
