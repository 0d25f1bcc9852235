import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsPublisher, NatsPublishError } from "../../lib/pubsub/nats_publisher.ts";
import { type Engine, engineMissing, startNats } from "../_engines.ts";

describe("NatsPublisher", { skip: engineMissing("nats-server") ?? false }, () => {
  let nats: Engine | undefined;
  let nc: NatsConnection | undefined;
  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, noAsyncTraces: true });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "PUB", subjects: ["pub.>"] });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("resolves each publish to its stream sequence, acknowledgements told apart by token", async () => {
    const publisher = new NatsPublisher(nc!, { timeout: 2_000 });
    try {
      const seqs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => publisher.publish(`pub.t${i % 3}`, `m${i}`)),
      );
      // One stream: distinct sequences, in the order sent over one connection.
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.equal(new Set(seqs).size, 20);
      assert.equal(publisher.waiting, 0);
    } finally {
      publisher.close();
    }
  });

  it("rejects with JetStream's error code when it refuses the message", async () => {
    const publisher = new NatsPublisher(nc!, { timeout: 2_000 });
    try {
      const first = await publisher.publish("pub.cas", "a");
      const expect = headers();
      expect.set("Nats-Expected-Last-Subject-Sequence", String(first + 1000));
      const refused = await publisher.publish("pub.cas", "b", expect).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof NatsPublishError);
      assert.equal(refused.code, 10071, refused.message);
      // The right expectation is stored.
      const ok = headers();
      ok.set("Nats-Expected-Last-Subject-Sequence", String(first));
      assert.ok((await publisher.publish("pub.cas", "c", ok)) > first);
    } finally {
      publisher.close();
    }
  });

  it("rejects when no acknowledgement comes within the timeout", async () => {
    // A core subscriber takes the subject and never answers.
    const silent = nc!.subscribe("quiet.one", { callback: () => {} });
    await nc!.flush();
    const publisher = new NatsPublisher(nc!, { timeout: 100 });
    try {
      await assert.rejects(
        publisher.publish("quiet.one", "x"),
        (error: unknown) =>
          error instanceof NatsPublishError && /no acknowledgement in 100 ms/.test(error.message),
      );
      assert.equal(publisher.waiting, 0);
    } finally {
      publisher.close();
      silent.unsubscribe();
    }
  });

  it("rejects at once when nothing takes the subject (no responders)", async () => {
    const publisher = new NatsPublisher(nc!, { timeout: 10_000 });
    try {
      await assert.rejects(publisher.publish("nobody.here", "x"), NatsPublishError);
    } finally {
      publisher.close();
    }
  });

  it("failAll and close reject what waits; close rejects later publishes", async () => {
    const silent = nc!.subscribe("quiet.two", { callback: () => {} });
    await nc!.flush();
    const publisher = new NatsPublisher(nc!, { timeout: 10_000 });
    try {
      const cut = publisher.publish("quiet.two", "x");
      publisher.failAll("disconnected");
      await assert.rejects(cut, /disconnected/);
      const closing = publisher.publish("quiet.two", "y");
      publisher.close();
      await assert.rejects(closing, /closed/);
      await assert.rejects(publisher.publish("pub.t0", "z"), /closed/);
      assert.equal(publisher.waiting, 0);
    } finally {
      publisher.close();
      silent.unsubscribe();
    }
  });
});
