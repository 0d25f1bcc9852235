import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { type Backplane, MemoryBackplane, Switchboard } from "../../server.ts";
import type { ReplayResult } from "../../server.ts";
import { openClient, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

/** A memory backplane whose replay answers only when the test says so, like a remote one. */
class SlowReplayBackplane extends MemoryBackplane {
  release: (() => void) | undefined;

  replayLater(topic: string, since?: number): Promise<ReplayResult> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.release = resolve;
    return promise.then(() => this.replay(topic, since));
  }
}

describe("pub/sub backplane", () => {
  it("events published while a resume's replay is fetched arrive after it, once, in order", async () => {
    const inner = new SlowReplayBackplane({ replay: { size: 100 } });
    const backplane: Backplane = {
      publish: (topic, data, exclude) => inner.publish(topic, data, exclude),
      stream: (listener) => inner.stream(listener),
      replay: (topic, since) => inner.replayLater(topic, since),
      close: () => inner.close(),
    };
    const sb = new Switchboard({ pubsub: { backplane } });
    const server = await startServer(sb);
    const client = await openClient(server.wsUrl);
    try {
      for (let i = 1; i <= 5; i++) await sb.publish("t", i);
      const seqs: number[] = [];
      const sub = client.subscribe("t", (_d, e) => seqs.push(e.seq!), { since: 2 });
      await waitFor(() => inner.release !== undefined, "the replay request");
      // Live events while the replay is pending: 6 and 7 must follow 3, 4, 5.
      await sb.publish("t", 6);
      await sb.publish("t", 7);
      inner.release!();
      const result = await within(sub.ready, "sub.ready");
      assert.equal(result.replayed, 5);
      await sb.publish("t", 8);
      await waitFor(() => seqs.length === 6, "six events");
      assert.deepEqual(seqs, [3, 4, 5, 6, 7, 8]);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("two servers sharing a backplane deliver each other's events", async () => {
    const backplane = new MemoryBackplane();
    const one = new Switchboard({ pubsub: { backplane } });
    const two = new Switchboard({ pubsub: { backplane } });
    const s1 = await startServer(one);
    const s2 = await startServer(two);
    const c1 = await openClient(s1.wsUrl);
    const c2 = await openClient(s2.wsUrl);
    try {
      const got: string[] = [];
      await c1.subscribe("news.*", (d) => got.push(`1:${d}`)).ready;
      await c2.subscribe("news.today", (d) => got.push(`2:${d}`)).ready;
      await one.publish("news.today", "a");
      await two.publish("news.today", "b");
      await waitFor(() => got.length === 4, "four deliveries");
      assert.deepEqual(got.sort(), ["1:a", "1:b", "2:a", "2:b"]);
    } finally {
      c1.close();
      c2.close();
      await s1.close();
      await s2.close();
    }
  });
});
