/**
 * The backplane conformance suite: what every backplane (memory, Redis, NATS) must do,
 * written once and run against each by tests/backplane_*_test.ts.
 *
 * @module
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import type { Backplane } from "../../lib/pubsub/backplane.ts";
import type { BackplaneHealth } from "../../lib/pubsub/backplane_health.ts";
import type { TopicEvent } from "../../lib/pubsub/replay.ts";
import type { Engine } from "../_engines.ts";
import { waitFor } from "../_pubsub_helpers.ts";

/** A backplane that may report its engine's health. */
export type TestBackplane = Backplane & { health?(): BackplaneHealth };

/** How the suite gets backplanes. */
export interface BackplaneFactory {
  /** Set up the engine (start a server); called once before the suite. */
  setup?(): Promise<void>;
  /** Tear it down; called once after the suite. */
  teardown?(): Promise<void>;
  /**
   * A new backplane instance on the shared engine, as another process would have, keeping
   * the last 5 events per topic for a minute.
   */
  open(): Promise<TestBackplane>;
  /** The engine, for outage tests (remote backplanes only). */
  engine?(): Engine;
}

/** Replay size the factory's backplanes keep per topic. */
export const RETAIN = 5;

let namespaces = 0;

/** A topic prefix no other test (or earlier run on a kept engine) uses. */
function namespace(): string {
  return `c${++namespaces}x${Math.random().toString(36).slice(2, 8)}`;
}

/** Collects events, and waits for them with a deadline. */
class Heard {
  readonly events: TopicEvent[] = [];
  readonly listener = (event: TopicEvent): void => {
    this.events.push(event);
  };

  async until(what: string, check: (events: TopicEvent[]) => boolean): Promise<void> {
    await waitFor(() => check(this.events), what, 10_000);
  }

  seqs(topic: string): number[] {
    return this.events.filter((e) => e.topic === topic).map((e) => e.seq);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Register the conformance suite for one backplane.
 *
 * @param name The backplane's name (in test titles).
 * @param factory How to get instances.
 * @param skip A reason to skip the suite (an engine is not installed).
 */
export function backplaneConformance(
  name: string,
  factory: BackplaneFactory,
  skip?: string,
): void {
  describe(`${name} backplane conformance`, { skip: skip ?? false }, () => {
    const open: TestBackplane[] = [];
    const instance = async (): Promise<TestBackplane> => {
      const backplane = await factory.open();
      open.push(backplane);
      return backplane;
    };
    before(async () => {
      await factory.setup?.();
    });
    after(async () => {
      for (const backplane of open) await backplane.close();
      await factory.teardown?.();
    });

    it("publish() numbers each topic's events densely from 1, under concurrency", async () => {
      const bp = await instance();
      const ns = namespace();
      const seqs = await Promise.all(
        range(1, 30).map((i) => bp.publish(`${ns}.${i % 2 ? "odd" : "even"}`, i)),
      );
      const odd = seqs.filter((_, i) => (i + 1) % 2 === 1).sort((a, b) => a - b);
      const even = seqs.filter((_, i) => (i + 1) % 2 === 0).sort((a, b) => a - b);
      assert.deepEqual(odd, range(1, 15));
      assert.deepEqual(even, range(1, 15));
    });

    it("a listener hears each event exactly once, in seq order, across overlapping filters", async () => {
      const bp = await instance();
      const ns = namespace();
      const heard = new Heard();
      const stream = bp.stream(heard.listener);
      for (const filter of [`${ns}.a`, `${ns}.*`, `${ns}.**`]) await stream.add(filter);
      await Promise.all(range(1, 40).map((i) => bp.publish(`${ns}.${i % 2 ? "a" : "b"}`, i)));
      await bp.publish(`${ns}.end`, "end");
      await heard.until("the end marker", (events) => events.some((e) => e.topic === `${ns}.end`));
      assert.deepEqual(heard.seqs(`${ns}.a`), range(1, 20));
      assert.deepEqual(heard.seqs(`${ns}.b`), range(1, 20));
      assert.equal(heard.events.length, 41);
      stream.close();
    });

    it("an event carries its publisher's id for exclusion", async () => {
      const bp = await instance();
      const ns = namespace();
      const heard = new Heard();
      const stream = bp.stream(heard.listener);
      await stream.add(`${ns}.t`);
      await bp.publish(`${ns}.t`, 1, "connection-1");
      await bp.publish(`${ns}.t`, 2);
      await heard.until("two events", (events) => events.length === 2);
      assert.equal(heard.events[0]!.exclude, "connection-1");
      assert.equal(heard.events[1]!.exclude, undefined);
      stream.close();
    });

    it("patterns: * matches one segment, ** one or more", async () => {
      const bp = await instance();
      const ns = namespace();
      const one = new Heard();
      const many = new Heard();
      const s1 = bp.stream(one.listener);
      const s2 = bp.stream(many.listener);
      await s1.add(`${ns}.p.*`);
      await s2.add(`${ns}.p.**`);
      for (const topic of ["p", "p.a", "p.a.b", "q.a", "p.a.b.c", "px.a", "p.end"]) {
        await bp.publish(`${ns}.${topic}`, topic);
      }
      await one.until("the end marker", (events) => events.some((e) => e.data === "p.end"));
      await many.until("the end marker", (events) => events.some((e) => e.data === "p.end"));
      assert.deepEqual(one.events.map((e) => e.data), ["p.a", "p.end"]);
      assert.deepEqual(many.events.map((e) => e.data), ["p.a", "p.a.b", "p.a.b.c", "p.end"]);
      s1.close();
      s2.close();
    });

    it("when publish() resolves, the instance's own listeners have the event", async () => {
      const bp = await instance();
      const topic = `${namespace()}.own`;
      const heard = new Heard();
      const stream = bp.stream(heard.listener);
      await stream.add(topic);
      for (let i = 1; i <= 30; i++) {
        const seq = await bp.publish(topic, i);
        assert.deepEqual(heard.seqs(topic), range(1, seq), `after publish ${i}`);
      }
      const seqs = await Promise.all(range(31, 60).map((i) => bp.publish(topic, i)));
      assert.deepEqual(heard.seqs(topic), range(1, Math.max(...seqs)));
      stream.close();
    });

    it("remove() and close() stop delivery", async () => {
      const bp = await instance();
      const ns = namespace();
      const heard = new Heard();
      const stream = bp.stream(heard.listener);
      await stream.add(`${ns}.a`);
      await stream.add(`${ns}.end`);
      await bp.publish(`${ns}.a`, 1);
      stream.remove(`${ns}.a`);
      await bp.publish(`${ns}.a`, 2);
      await bp.publish(`${ns}.end`, "end");
      await heard.until("the end marker", (events) => events.some((e) => e.data === "end"));
      assert.deepEqual(heard.events.map((e) => e.data), [1, "end"]);
      stream.close();
    });

    it("replay() returns the events after a seq, in order, with their data", async () => {
      const bp = await instance();
      const topic = `${namespace()}.r`;
      for (let i = 1; i <= 4; i++) await bp.publish(topic, { i }, i === 3 ? "c3" : undefined);
      const missed = await bp.replay(topic, 2);
      assert.ok("events" in missed, JSON.stringify(missed));
      assert.equal(missed.seq, 4);
      assert.deepEqual(missed.events.map((e) => [e.seq, e.data, e.exclude]), [
        [3, { i: 3 }, "c3"],
        [4, { i: 4 }, undefined],
      ]);
      assert.deepEqual(await bp.replay(topic), { events: [], seq: 4 });
      assert.deepEqual(await bp.replay(topic, 4), { events: [], seq: 4 });
    });

    it("replay() from a seq inside one batch of publishes returns only the later ones", async () => {
      const bp = await instance();
      const topic = `${namespace()}.inside`;
      // Published in one turn: remote backplanes store them together.
      const seqs = await Promise.all(range(1, 4).map((i) => bp.publish(topic, i)));
      assert.deepEqual(seqs, range(1, 4));
      const missed = await bp.replay(topic, 2);
      assert.ok("events" in missed, JSON.stringify(missed));
      assert.deepEqual(missed.events.map((e) => [e.seq, e.data]), [[3, 3], [4, 4]]);
    });

    it("one caller's publishes, not awaited, get seqs in call order whatever their data", async () => {
      const a = await instance();
      const b = await instance();
      const topic = `${namespace()}.order`;
      const heard = new Heard();
      const stream = b.stream(heard.listener);
      await stream.add(topic);
      // Plain JSON, rich values and binary interleaved: each may take another packing path.
      const data: unknown[] = [
        1,
        { when: new Date(0) },
        new Uint8Array([7]),
        "four",
        new Blob(["five"]),
        { six: [6] },
        7,
      ];
      const seqs = await Promise.all(data.map((value) => a.publish(topic, value)));
      assert.deepEqual(seqs, range(1, data.length));
      await heard.until("every event", (events) => events.length === data.length);
      assert.deepEqual(heard.seqs(topic), range(1, data.length));
      assert.equal(heard.events[3]!.data, "four");
      assert.ok(heard.events[4]!.data instanceof Blob);
      assert.equal(heard.events[6]!.data, 7);
      stream.close();
    });

    it("replay() reports the gap when retention ran out, or the seq is ahead", async () => {
      const bp = await instance();
      const topic = `${namespace()}.g`;
      for (let i = 1; i <= RETAIN + 3; i++) await bp.publish(topic, i);
      const seq = RETAIN + 3;
      const oldest = seq - RETAIN + 1;
      assert.deepEqual(await bp.replay(topic, 1), {
        gap: { since: 1, oldest, seq, reason: "expired" },
      });
      const kept = await bp.replay(topic, oldest - 1);
      assert.ok("events" in kept);
      assert.deepEqual(kept.events.map((e) => e.seq), range(oldest, seq));
      const ahead = await bp.replay(topic, seq + 5);
      assert.ok("gap" in ahead && ahead.gap.reason === "ahead" && ahead.gap.seq === seq);
      assert.deepEqual(await bp.replay(`${topic}.never`, 3), {
        gap: { since: 3, oldest: null, seq: 0, reason: "ahead" },
      });
    });

    it("two instances share the engine: B hears A's event with the same seq, and continues it", async () => {
      const a = await instance();
      const b = await instance();
      const topic = `${namespace()}.shared`;
      const heard = new Heard();
      const stream = b.stream(heard.listener);
      await stream.add(topic);
      const first = await a.publish(topic, "from a");
      const second = await b.publish(topic, "from b");
      assert.deepEqual([first, second], [1, 2]);
      await heard.until("two events", (events) => events.length === 2);
      assert.deepEqual(heard.events.map((e) => [e.seq, e.data]), [[1, "from a"], [2, "from b"]]);
      const replayed = await b.replay(topic, 0);
      assert.ok("events" in replayed && replayed.events[0]!.data === "from a");
      stream.close();
    });

    it("two instances publishing on one topic at once get distinct, dense seqs, heard in order", async () => {
      const a = await instance();
      const b = await instance();
      const topic = `${namespace()}.race`;
      const heard = new Heard();
      const stream = a.stream(heard.listener);
      await stream.add(topic);
      const seqs = await Promise.all(range(1, 40).map((i) => (i % 2 ? a : b).publish(topic, i)));
      assert.deepEqual([...seqs].sort((x, y) => x - y), range(1, 40));
      await heard.until("forty events", (events) => events.length === 40);
      assert.deepEqual(heard.seqs(topic), range(1, 40));
      // Each event's data is the one its publisher was told the seq of.
      const told = new Map(seqs.map((seq, i) => [seq, i + 1]));
      for (const event of heard.events) assert.equal(event.data, told.get(event.seq));
      stream.close();
    });

    it("data round-trips as in memory: binary attachments, Dates, nested values", async () => {
      const a = await instance();
      const b = await instance();
      const topic = `${namespace()}.data`;
      const heard = new Heard();
      const stream = b.stream(heard.listener);
      await stream.add(topic);
      const data = {
        bytes: new Uint8Array([0, 1, 255]),
        buffer: new Uint16Array([513]).buffer,
        floats: new Float64Array([1.5]),
        blob: new Blob(["blob text"], { type: "application/x-test" }),
        when: new Date(86_400_000),
        list: [1, "two", null, { deep: true }],
        text: "naïve ☃",
      };
      await a.publish(topic, data);
      await heard.until("the event", (events) => events.length === 1);
      const replayed = await a.replay(topic, 0);
      assert.ok("events" in replayed);
      for (const got of [heard.events[0]!.data, replayed.events[0]!.data]) {
        const value = got as typeof data;
        assert.deepEqual([...value.bytes], [0, 1, 255]);
        assert.ok(value.buffer instanceof ArrayBuffer);
        assert.deepEqual([...new Uint16Array(value.buffer)], [513]);
        assert.ok(value.floats instanceof Float64Array && value.floats[0] === 1.5);
        assert.ok(value.blob instanceof Blob && value.blob.type === "application/x-test");
        assert.equal(await value.blob.text(), "blob text");
        assert.ok(value.when instanceof Date && value.when.getTime() === 86_400_000);
        assert.deepEqual(value.list, data.list);
        assert.equal(value.text, data.text);
      }
      stream.close();
    });

    // Only engines a test can stop: the memory backplane has no outage to show.
    if (factory.engine !== undefined) {
      it("an unreachable engine: publish rejects, health is down; it reconnects by itself", async () => {
        const engine = factory.engine!();
        const a = await instance();
        const b = await instance();
        const topic = `${namespace()}.outage`;
        const heard = new Heard();
        const stream = b.stream(heard.listener);
        await stream.add(topic);
        assert.equal(await a.publish(topic, "before"), 1);
        await heard.until("the first event", (events) => events.length === 1);
        assert.equal(a.health!().state, "up");
        await engine.down();
        try {
          await waitFor(() => a.health!().state === "down", "health down", 10_000);
          await assert.rejects(
            Promise.resolve(a.publish(topic, "lost?")),
            /backplane could not publish/,
          );
        } finally {
          await engine.up();
        }
        // One publish once the publisher is back: heard live, or fetched when the listener's
        // connection (and its subscriptions) came back.
        await waitFor(() => a.health!().state === "up", "the publisher up again", 15_000);
        const seq = await a.publish(topic, "after");
        assert.equal(seq, 2, "the topic's seq went on from the stored one");
        await heard.until("the event after the outage", (events) => events.length === 2);
        assert.deepEqual(heard.events.map((e) => [e.seq, e.data]), [[1, "before"], [2, "after"]]);
        await waitFor(() => b.health!().state === "up", "the listener up again", 15_000);
        stream.close();
      });

      it("publishes in flight when the engine goes away settle: stored ones keep their seqs", async () => {
        const engine = factory.engine!();
        const a = await instance();
        const topic = `${namespace()}.inflight`;
        assert.equal(await a.publish(topic, 0), 1);
        // Each one is stored (a seq) or refused (an error) within the backplane's timeout.
        const pending = Promise.allSettled(
          range(1, 50).map((i) => Promise.resolve(a.publish(topic, i))),
        );
        await engine.down();
        let settled: PromiseSettledResult<number>[];
        try {
          settled = await pending;
        } finally {
          await engine.up();
        }
        const stored = settled.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
        for (const r of settled) {
          if (r.status === "rejected") {
            assert.match(String(r.reason), /backplane could not publish/);
          }
        }
        await waitFor(() => a.health!().state === "up", "the publisher up again", 15_000);
        const next = await a.publish(topic, "after");
        // The seqs handed out before the outage are taken: nothing after reuses one of them.
        assert.ok(stored.every((seq) => seq < next), `${stored} then ${next}`);
        assert.equal(new Set(stored).size, stored.length, "no seq twice");
      });
    }
  });
}
