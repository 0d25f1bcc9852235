import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import { connectBackplane } from "../../lib/pubsub/connect_backplane.ts";
import { type Engine, engineMissing, startNats, startRedis } from "../_engines.ts";
import { openClient, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

for (const kind of ["redis", "nats"] as const) {
  const binary = kind === "redis" ? "redis-server" : "nats-server";
  describe(
    `two Switchboards on one ${kind} backplane`,
    { skip: engineMissing(binary) ?? false },
    () => {
      let engine: Engine | undefined;
      before(async () => {
        engine = kind === "redis" ? await startRedis({ persist: false }) : await startNats();
      });
      after(async () => {
        await engine?.stop();
      });

      it("a client on one server hears another server's client, with the same seqs; publisher excluded; resume on either", async () => {
        const replay = { replay: { size: 50 } };
        const one = new Switchboard({
          pubsub: { backplane: await connectBackplane(engine!.url, replay), authorize: () => true },
        });
        const two = new Switchboard({
          pubsub: { backplane: await connectBackplane(engine!.url, replay), authorize: () => true },
        });
        const s1 = await startServer(one);
        const s2 = await startServer(two);
        const c1 = await openClient(s1.wsUrl);
        const c2 = await openClient(s2.wsUrl);
        try {
          const heard1: [string, number, unknown][] = [];
          const heard2: unknown[] = [];
          await c1.subscribe(
            "room.*",
            (data, event) => heard1.push([event.topic, event.seq!, data]),
          )
            .ready;
          await c2.subscribe("room.a", (data) => heard2.push(data)).ready;
          const seqs: number[] = [];
          for (let i = 1; i <= 3; i++) seqs.push(await c2.publish("room.a", { i }));
          seqs.push(await one.publish("room.a", { i: 4 }));
          assert.deepEqual(seqs, [1, 2, 3, 4]);
          await waitFor(() => heard1.length === 4, "four events on server one", 10_000);
          assert.deepEqual(heard1, [1, 2, 3, 4].map((i) => ["room.a", i, { i }]));
          // c2 published 1..3 without echo: it hears only the server's event.
          await waitFor(() => heard2.length === 1, "the server's event on server two", 10_000);
          assert.deepEqual(heard2, [{ i: 4 }]);
          // A client resuming on the other server gets what it missed after seq 2.
          const c3 = await openClient(s1.wsUrl);
          try {
            const resumed: number[] = [];
            const result = await c3.subscribe("room.a", (_d, e) => resumed.push(e.seq!), {
              since: 2,
            })
              .ready;
            assert.equal(result.seq, 4);
            await waitFor(() => resumed.length === 2, "two replayed events");
            assert.deepEqual(resumed, [3, 4]);
          } finally {
            c3.close();
          }
        } finally {
          c1.close();
          c2.close();
          await s1.close();
          await s2.close();
        }
      });
    },
  );
}
