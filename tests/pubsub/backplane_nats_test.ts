import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsBackplane } from "../../lib/pubsub/nats_backplane.ts";
import { messageSeq } from "../../lib/pubsub/nats_message.ts";
import { type Engine, engineMissing, startNats } from "../_engines.ts";
import { backplaneConformance, RETAIN } from "./backplane_conformance.ts";
import { waitFor } from "../_pubsub_helpers.ts";

let engine: Engine | undefined;

backplaneConformance("nats", {
  async setup() {
    engine = await startNats();
  },
  async teardown() {
    await engine?.stop();
  },
  open: () =>
    NatsBackplane.connect(engine!.url, {
      replay: { size: RETAIN, maxAge: 60_000 },
      timeout: 1_000,
    }),
  engine: () => engine!,
}, engineMissing("nats-server"));

describe("nats backplane stream", { skip: engineMissing("nats-server") ?? false }, () => {
  let nats: Engine | undefined;
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    await nats?.stop();
  });

  it("creates one stream that keeps `size` events per topic and republishes what it stored", async () => {
    const first = await NatsBackplane.connect(nats!.url, {
      prefix: "app",
      stream: "APP",
      replay: { size: 7 },
      topicTtl: 3_600_000,
    });
    // A second instance with other options uses the stream as the first created it.
    const second = await NatsBackplane.connect(nats!.url, {
      prefix: "app",
      stream: "APP",
      replay: { size: 2 },
    });
    const nc = await connect({ servers: nats!.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info("APP");
      assert.deepEqual(info.config.subjects, ["app.in.>"]);
      assert.equal(info.config.max_msgs_per_subject, 7);
      assert.equal(info.config.max_age, 3_600_000 * 1_000_000);
      assert.deepEqual(info.config.republish, { src: "app.in.>", dest: "app.ev.>" });
      // Stored with the topic's seq in the body; heard on the ev subject.
      const heard: string[] = [];
      const sub = nc.subscribe("app.ev.>", {
        callback: (_, msg) => void heard.push(`${msg.subject}#${messageSeq(msg.data)}`),
      });
      await nc.flush();
      await first.publish("a.b", 1);
      await second.publish("a.b", 2);
      await waitFor(() => heard.length === 2, "two republished events");
      assert.deepEqual(heard, ["app.ev.a.b#1", "app.ev.a.b#2"]);
      sub.unsubscribe();
    } finally {
      await nc.close();
      await first.close();
      await second.close();
    }
  });

  it("publishes queued on a topic go as one message and come back as single events", async () => {
    const options = { prefix: "bat", stream: "BAT", replay: { size: 100 }, timeout: 2_000 };
    const a = await NatsBackplane.connect(nats!.url, options);
    const b = await NatsBackplane.connect(nats!.url, options);
    const nc = await connect({ servers: nats!.url });
    try {
      const heard: number[] = [];
      const stream = b.stream((event) => heard.push(event.data as number));
      for (const filter of ["q.t", "q.*", "q.**"]) await stream.add(filter);
      const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => a.publish("q.t", i)));
      assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i + 1));
      await waitFor(() => heard.length >= 30, "30 events");
      assert.deepEqual(heard, Array.from({ length: 30 }, (_, i) => i));
      // Fewer stored messages than events: they were batched.
      const info = await (await jetstreamManager(nc)).streams.info("BAT");
      assert.ok(info.state.messages < 30, `${info.state.messages} messages for 30 events`);
      // Replay cuts a batch where asked.
      const replayed = await b.replay("q.t", 10);
      assert.ok("events" in replayed);
      assert.deepEqual(
        replayed.events.map((e) => [e.seq, e.data]),
        seqs.slice(10).map((s) => [s, s - 1]),
      );
      // Another instance continues after the batch.
      assert.equal(await b.publish("q.t", 30), 31);
      stream.close();
    } finally {
      await nc.close();
      await a.close();
      await b.close();
    }
  });

  it("a publish no stream takes yet (JetStream recovering) is retried within its timeout", async () => {
    const options = { prefix: "nr", stream: "NORESP", replay: { size: 10 }, timeout: 3_000 };
    const a = await NatsBackplane.connect(nats!.url, options);
    const nc = await connect({ servers: nats!.url });
    let b: NatsBackplane | undefined;
    try {
      assert.equal(await a.publish("nr.t", "before"), 1);
      // As after a NATS restart before JetStream serves the stream again: no responders.
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete("NORESP");
      const publish = Promise.resolve(a.publish("nr.t", "while gone"));
      await new Promise((resolve) => setTimeout(resolve, 150));
      b = await NatsBackplane.connect(nats!.url, options); // creates the stream again
      const seq = await publish;
      assert.equal(seq, 1, "the stream came back empty: the topic starts again");
    } finally {
      await nc.close();
      await a.close();
      await b?.close();
    }
  });

  it("an instance that hears another's event on a topic publishes after it without re-reading", async () => {
    const options = { prefix: "cas", stream: "CAS", replay: { size: 10 }, timeout: 2_000 };
    const a = await NatsBackplane.connect(nats!.url, options);
    const b = await NatsBackplane.connect(nats!.url, options);
    const nc = await connect({ servers: nats!.url });
    // Every read of a topic's last message (a publish without a cached last, or a retry
    // after "wrong last sequence") is a stream message get: count them.
    let reads = 0;
    const spies = [
      "$JS.API.STREAM.MSG.GET.CAS",
      "$JS.API.DIRECT.GET.CAS",
      "$JS.API.DIRECT.GET.CAS.>",
    ]
      .map((subject) => nc.subscribe(subject, { callback: () => void reads++ }));
    await nc.flush();
    try {
      const heardA: number[] = [];
      const heardB: number[] = [];
      const streamA = a.stream((event) => heardA.push(event.seq));
      const streamB = b.stream((event) => heardB.push(event.seq));
      await streamA.add("x.t");
      await streamB.add("x.t");
      for (let i = 0; i < 10; i++) {
        const publisher = i % 2 === 0 ? a : b;
        assert.equal(await publisher.publish("x.t", i), i + 1);
        // Both heard it before the other publishes.
        await waitFor(() => heardA.length > i && heardB.length > i, `event ${i + 1} heard`);
      }
      await nc.flush();
      // The first publish of each instance read the topic's last; no other read, no retry.
      assert.equal(reads, 2);
      assert.deepEqual(heardA, Array.from({ length: 10 }, (_, i) => i + 1));
      assert.deepEqual(heardB, heardA);
      streamA.close();
      streamB.close();
    } finally {
      for (const spy of spies) spy.unsubscribe();
      await nc.close();
      await a.close();
      await b.close();
    }
  });
});
