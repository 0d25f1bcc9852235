/**
 * Events carrying binary attachments and rich types: encoded once per codec, delivered as
 * the same types to every subscriber, refused (not garbled) where binary was not agreed.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import { superjsonCodec } from "../../mod.ts";
import { jsonCodec } from "../../lib/codec/json.ts";
import { Delivery, type Subscriber } from "../../lib/pubsub/delivery.ts";
import type { EncodedMessage } from "../../lib/framing/encoded.ts";
import { openClient, openRaw, startServer, until } from "../_fixtures.ts";

describe("pub/sub events with binary data", () => {
  it("delivers Uint8Array, ArrayBuffer and Blob event data to every subscriber", async () => {
    const errors: unknown[] = [];
    const sb = new Switchboard({ onError: (e) => errors.push(e) });
    const server = await startServer(sb);
    const clients = await Promise.all([1, 2, 3].map(() => openClient(server.wsUrl)));
    try {
      const got: unknown[][] = clients.map(() => []);
      await Promise.all(
        clients.map((c, i) => c.subscribe("files.new", (data) => void got[i]!.push(data)).ready),
      );
      const bytes = new Uint8Array(300 * 1024).map((_, i) => i % 251);
      // Bun normalizes a text Blob's type ("text/plain;charset=utf-8"): compare with the source.
      const blob = new Blob(["hello"], { type: "text/plain" });
      await sb.publish("files.new", {
        name: "a.bin",
        bytes,
        raw: new Uint8Array([9, 8, 7]).buffer,
        blob,
      });
      await until(() => got.every((g) => g.length === 1), 5000);
      for (const [event] of got) {
        const data = event as { name: string; bytes: Uint8Array; raw: ArrayBuffer; blob: Blob };
        assert.equal(data.name, "a.bin");
        assert.ok(data.bytes instanceof Uint8Array);
        assert.deepEqual(data.bytes, bytes);
        assert.ok(data.raw instanceof ArrayBuffer);
        assert.deepEqual([...new Uint8Array(data.raw)], [9, 8, 7]);
        assert.ok(data.blob instanceof Blob);
        assert.equal(data.blob.type, blob.type);
        assert.equal(await data.blob.text(), "hello");
      }
      assert.deepEqual(errors, []);
    } finally {
      for (const c of clients) c.close();
      await server.close();
    }
  });

  it("delivers rich types to superjson subscribers and plain JSON to others", async () => {
    const sb = new Switchboard({ pubsub: { onError: () => {} } });
    const server = await startServer(sb);
    const rich = await openClient(server.wsUrl, { codec: superjsonCodec });
    const plain = await openClient(server.wsUrl);
    try {
      const got: unknown[] = [];
      const gotPlain: unknown[] = [];
      await rich.subscribe("t", (data) => void got.push(data)).ready;
      await plain.subscribe("t", (data) => void gotPlain.push(data)).ready;
      const when = new Date("2026-11-21T00:00:00Z");
      await sb.publish("t", { when, tags: new Set(["a"]), big: 12345678901234567890n });
      await sb.publish("t", { when });
      await until(() => got.length === 2 && gotPlain.length === 1);
      const data = got[0] as { when: Date; tags: Set<string>; big: bigint };
      assert.ok(data.when instanceof Date);
      assert.equal(data.when.getTime(), when.getTime());
      assert.deepEqual(data.tags, new Set(["a"]));
      assert.equal(data.big, 12345678901234567890n);
      // JSON cannot carry a BigInt: the plain subscriber gets the next event only, with the
      // Date as JSON writes it.
      assert.deepEqual(gotPlain[0], { when: when.toISOString() });
    } finally {
      rich.close();
      plain.close();
      await server.close();
    }
  });

  it("sends an error in place of binary event data to a connection without binary", async () => {
    const errors: unknown[] = [];
    const sb = new Switchboard({ pubsub: { onError: (e) => errors.push(e) } });
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    try {
      raw.socket.send('{"jsonrpc":"2.0","id":1,"method":"rpc.subscribe","params":{"topic":"t"}}');
      JSON.parse(await raw.next() as string);
      await sb.publish("t", new Uint8Array([1]));
      await sb.publish("t", "text is fine");
      const notice = JSON.parse(await raw.next() as string);
      assert.deepEqual(notice.params.error?.code, -32004, "the event's place, with an error");
      assert.equal(notice.params.seq, 1);
      assert.equal("data" in notice.params, false);
      const event = JSON.parse(await raw.next() as string);
      assert.equal(event.params.data, "text is fine");
      assert.equal(event.params.seq, 2);
      assert.ok(errors.some((e) => e instanceof TypeError));
    } finally {
      raw.socket.close();
      await server.close();
    }
  });
});

describe("a Switchboard client without binary", () => {
  it("reports an undeliverable binary event to onError and keeps its handlers for the rest", async () => {
    const sb = new Switchboard();
    const server = await startServer(sb);
    const errors: unknown[] = [];
    const client = await openClient(server.wsUrl, {
      binary: false,
      onError: (error) => errors.push(error),
    });
    try {
      const got: unknown[] = [];
      await client.subscribe("t", (data) => void got.push(data)).ready;
      await sb.publish("t", new Uint8Array([1]));
      await sb.publish("t", "text");
      await until(() => got.length === 1 && errors.length === 1);
      assert.deepEqual(got, ["text"]);
      assert.equal((errors[0] as { code: number }).code, -32004);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe("Delivery encodes an event once per codec", () => {
  it("hands every subscriber the same encoded frames", () => {
    const seen: EncodedMessage[] = [];
    const subscriber = (id: string): Subscriber => ({
      info: { id, headers: new Headers(), data: {} },
      codec: jsonCodec,
      send: () => {
        throw new Error("binary events must not be sent as text");
      },
      sendEncoded: (encoded) => void seen.push(encoded),
      bufferedAmount: () => 0,
      close() {},
    });
    const delivery = new Delivery((error) => {
      throw error;
    });
    const conns = ["a", "b", "c"].map((id) => ({
      subscriber: subscriber(id),
      subs: new Map(),
      closed: false,
    }));
    const event = { topic: "t", seq: 1, data: new Uint8Array(1 << 20), exclude: undefined };
    for (const conn of conns) {
      delivery.emit({ conn, exact: true, lastSeq: 0, queue: undefined } as never, event as never);
    }
    assert.equal(seen.length, 3);
    assert.equal(seen[0], seen[1]);
    assert.equal(seen[1], seen[2]);
    assert.equal(seen[0]!.parts[0]!.buffer, event.data.buffer, "no copy of the attachment");
  });
});
