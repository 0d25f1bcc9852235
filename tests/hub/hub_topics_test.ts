/**
 * Topics through the hub: anonymous pub/sub with no config, rules for subscribe and publish,
 * replay from the hub config, metrics, the inspector snapshot and `rpc.discover`'s topics.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import type { EventParams } from "../../mod.ts";
import { openClient, openRaw, rejection, until } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";

const SECRETS = {
  auth: {
    secrets: [
      { secret: "reader-secret", id: "reader", roles: ["reader"] },
      { secret: "editor-secret", id: "editor", roles: ["editor"] },
    ],
  },
  rules: [
    { actions: ["publish"], match: "news.*", roles: ["editor"] },
    { actions: ["publish"], effect: "deny" },
    { actions: ["subscribe"], match: "secret.*", roles: ["editor"] },
    { actions: ["subscribe"], match: "secret.*", effect: "deny" },
  ],
};

describe("hub topics", () => {
  it("with no config, anonymous clients subscribe to a pattern and publish", async () => {
    const hub = await startHub();
    const a = await openClient(hub.wsUrl);
    const b = await openClient(hub.wsUrl);
    try {
      const got: EventParams[] = [];
      await a.subscribe("chat.*", (_data, event) => got.push(event)).ready;
      const own: unknown[] = [];
      await b.subscribe("chat.lobby", (data) => own.push(data)).ready;
      assert.equal(await b.publish("chat.lobby", { text: "hi" }), 1);
      assert.equal(await b.publish("chat.room-2", "second"), 1);
      await until(() => got.length === 2);
      assert.deepEqual(got, [
        { topic: "chat.lobby", seq: 1, data: { text: "hi" } },
        { topic: "chat.room-2", seq: 1, data: "second" },
      ]);
      assert.deepEqual(own, [], "the publisher does not receive its own event");
    } finally {
      a.close();
      b.close();
      await hub.close();
    }
  });

  it("rules refuse subscribe and publish with -32006 Forbidden", async () => {
    const hub = await startHub(SECRETS);
    const reader = await openClient(`${hub.wsUrl}?token=reader-secret`);
    const editor = await openClient(`${hub.wsUrl}?token=editor-secret`);
    const raw = await openRaw(`${hub.wsUrl}?token=reader-secret`);
    try {
      const news: unknown[] = [];
      await reader.subscribe("news.*", (data) => news.push(data)).ready;
      const refusedPublish = await rejection(reader.publish("news.today", "fake"));
      assert.equal(refusedPublish.code, -32006);
      assert.deepEqual(refusedPublish.data, { action: "publish", topic: "news.today" });
      const refusedTopic = await rejection(reader.subscribe("secret.plans", () => {}).ready);
      assert.equal(refusedTopic.code, -32006);
      // A wildcard cannot reach a denied topic.
      const wildcard = await rejection(reader.subscribe("*.plans", () => {}).ready);
      assert.deepEqual(wildcard.data, { action: "subscribe", topic: "*.plans" });
      assert.equal((await rejection(reader.subscribe("**", () => {}).ready)).code, -32006);
      // The same refusal on the wire, exactly.
      assert.deepEqual(
        await raw.exchange(JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "rpc.subscribe",
          params: { topic: "secret.plans" },
        })),
        {
          jsonrpc: "2.0",
          id: 1,
          error: {
            code: -32006,
            message: "Forbidden",
            data: { action: "subscribe", topic: "secret.plans" },
          },
        },
      );
      // The editor may do both; the reader receives what the editor publishes.
      await editor.subscribe("secret.*", () => {}).ready;
      assert.equal(await editor.publish("news.today", "real"), 1);
      await until(() => news.length === 1);
      assert.deepEqual(news, ["real"]);
      assert.equal((await rejection(editor.publish("chat.x", 1))).code, -32006);
      const metrics = await (await fetch(`${hub.origin}/metrics`)).text();
      assert.match(metrics, /^switchboard_calls_refused_total 6$/m);
    } finally {
      raw.socket.close();
      reader.close();
      editor.close();
      await hub.close();
    }
  });

  it("replays missed events from the buffer the hub config sets", async () => {
    const hub = await startHub({ pubsub: { replay: { size: 3, maxAge: 60_000 } } });
    const publisher = await openClient(hub.wsUrl);
    const late = await openClient(hub.wsUrl);
    try {
      for (let i = 1; i <= 5; i++) assert.equal(await publisher.publish("t.x", i), i);
      const got: [number | undefined, unknown][] = [];
      const sub = late.subscribe("t.x", (data, event) => got.push([event.seq, data]), {
        since: 3,
      });
      assert.deepEqual(await within(sub.ready, "sub.ready"), { topic: "t.x", seq: 5, replayed: 2 });
      assert.deepEqual(got, [[4, 4], [5, 5]]);
      const gaps: unknown[] = [];
      const other = await openClient(hub.wsUrl);
      try {
        const result = await other.subscribe("t.x", () => {}, {
          since: 1,
          onGap: (gap) => gaps.push(gap),
        }).ready;
        assert.deepEqual(result.gap, { since: 1, oldest: 3, seq: 5, reason: "expired" });
      } finally {
        other.close();
      }
    } finally {
      publisher.close();
      late.close();
      await hub.close();
    }
  });

  it("metrics, the inspector snapshot and rpc.discover show topics", async () => {
    const hub = await startHub(SECRETS);
    const reader = await openClient(`${hub.wsUrl}?token=reader-secret`);
    const editor = await openClient(`${hub.wsUrl}?token=editor-secret`);
    try {
      const got: unknown[] = [];
      await reader.subscribe("news.today", (data) => got.push(data)).ready;
      await reader.subscribe("news.*", () => {}).ready;
      await editor.subscribe("news.today", () => {}).ready;
      await editor.subscribe("secret.plans", () => {}).ready;
      await editor.publish("news.today", { n: 1 }, { echo: true });
      await editor.publish("news.today", { n: 2 }, { echo: true });
      await until(() => got.length === 2);

      const metrics = await (await fetch(`${hub.origin}/metrics`)).text();
      for (const line of metrics.trimEnd().split("\n")) {
        assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"\\\n]*"\})? [0-9.e+-]+)$/);
      }
      assert.match(metrics, /^switchboard_topics 3$/m);
      assert.match(metrics, /^switchboard_topic_subscribers\{topic="news\.today"\} 2$/m);
      assert.match(metrics, /^switchboard_topic_subscribers\{topic="news\.\*"\} 1$/m);
      assert.match(metrics, /^switchboard_events_total 2$/m);
      // Each event reached the reader once (its two matching subscriptions dedupe) and the
      // editor once (echo).
      assert.match(metrics, /^switchboard_events_delivered_total 4$/m);

      const snapshot = hub.hub.snapshot() as {
        topics: { name: string; subscribers: number; events: number; pattern: boolean }[];
        counters: { events: number; delivered: number };
      };
      assert.deepEqual(
        snapshot.topics.map(({ name, subscribers, events, pattern }) => ({
          name,
          subscribers,
          events,
          pattern,
        })),
        [
          { name: "news.*", subscribers: 1, events: 0, pattern: true },
          { name: "news.today", subscribers: 2, events: 2, pattern: false },
          { name: "secret.plans", subscribers: 1, events: 0, pattern: false },
        ],
      );
      assert.deepEqual(snapshot.counters.events, 2);

      const doc = await reader.call("rpc.discover") as {
        "x-topics": { name: string; publish: boolean }[];
        methods: { name: string }[];
      };
      assert.deepEqual(doc["x-topics"].map((t) => t.name), ["news.*", "news.today"]);
      assert.equal(doc["x-topics"][1]!.publish, false);
      assert.ok(doc.methods.some((m) => m.name === "rpc.subscribe"));
      const editorDoc = await editor.call("rpc.discover") as {
        "x-topics": { name: string; publish: boolean }[];
      };
      assert.deepEqual(editorDoc["x-topics"].map((t) => [t.name, t.publish]), [
        ["news.*", false],
        ["news.today", true],
        ["secret.plans", false],
      ]);
    } finally {
      reader.close();
      editor.close();
      await hub.close();
    }
  });
});
