import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import net from "node:net";
import { Switchboard } from "../../server.ts";
import type { CloseInfo } from "../../mod.ts";
import { openClient, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

/** A masked client text frame (payload < 64 KiB). */
function clientFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const header = payload.length < 126 ? [0x81, 0x80 | payload.length] : [
    0x81,
    0x80 | 126,
    payload.length >> 8,
    payload.length & 0xff,
  ];
  const mask = [1, 2, 3, 4];
  const frame = new Uint8Array(header.length + 4 + payload.length);
  frame.set(header, 0);
  frame.set(mask, header.length);
  for (let i = 0; i < payload.length; i++) {
    frame[header.length + 4 + i] = payload[i]! ^ mask[i % 4]!;
  }
  return frame;
}

/**
 * A WebSocket client on a bare TCP socket that subscribes and then stops reading, so the
 * server's send buffer fills.
 */
async function stalledSubscriber(port: number, topic: string): Promise<net.Socket> {
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  const gotData = (want: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${want}`)), 5000);
      const onData = (chunk: Uint8Array) => {
        received += new TextDecoder().decode(chunk);
        if (received.includes(want)) {
          clearTimeout(timer);
          socket.off("data", onData);
          resolve();
        }
      };
      socket.on("data", onData);
    });
  await within(
    new Promise<void>((resolve) => socket.once("connect", () => resolve())),
    "the TCP connect",
  );
  const upgraded = gotData("\r\n\r\n");
  socket.write(
    "GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  await upgraded;
  assert.match(received, /^HTTP\/1\.1 101/);
  const subscribed = gotData('"result"');
  socket.write(clientFrame(JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "rpc.subscribe",
    params: { topic },
  })));
  await subscribed;
  socket.pause();
  return socket;
}

describe("pub/sub slow consumer", () => {
  // Large events are checked on every write, small ones on a sample (every 16th): both paths,
  // and on Bun both through the runtime's fan-out.
  for (
    const { size, limit, max } of [
      { size: 64 * 1024, limit: 512 * 1024, max: 1000 },
      { size: 2 * 1024, limit: 128 * 1024, max: 40_000 },
    ]
  ) {
    it(`closes a subscriber whose send buffer passes maxBufferedBytes with 4008, others unharmed (${size / 1024} KiB events)`, async () => {
      const closes: CloseInfo[] = [];
      const sb = new Switchboard({
        pubsub: { limits: { maxBufferedBytes: limit } },
        onClose: (_peer, info) => closes.push(info),
      });
      const server = await startServer(sb);
      const port = Number(new URL(server.origin).port);
      const stalled = await stalledSubscriber(port, "firehose");
      const healthy = await openClient(server.wsUrl);
      try {
        let received = 0;
        await healthy.subscribe("firehose", () => received++).ready;
        const blob = "x".repeat(size);
        let published = 0;
        // Bounded: at most 64 MiB (1,000 of 64 KiB) or 80 MiB (40,000 of 2 KiB), far beyond
        // socket buffers.
        while (closes.length === 0 && published < max) {
          await sb.publish("firehose", blob);
          published++;
          // Pace on the healthy client so that only the stalled one falls behind.
          if (published % 4 === 0) {
            await waitFor(() => received === published, "the healthy client to catch up");
          }
        }
        await waitFor(() => closes.length > 0, "the slow consumer's close");
        assert.equal(closes.length, 1);
        assert.equal(closes[0]!.code, 4008);
        assert.equal(closes[0]!.reason, "Slow consumer");
        assert.equal(closes[0]!.local, true);
        assert.equal(sb.pubsub.subscriberCount("firehose"), 1);
        await waitFor(() => received === published, "the healthy client's events", 20_000);
      } finally {
        stalled.destroy();
        healthy.close();
        await server.close();
      }
    });
  }
});
