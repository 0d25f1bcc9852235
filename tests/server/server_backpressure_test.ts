import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { Switchboard, switchboardRoutes } from "../../server.ts";
import type { CloseInfo } from "../../mod.ts";
import type { Peer } from "../../server.ts";
import { openClient, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";
import { clientTextFrame, closeCodeOf, connectTcp } from "../_tcp_client.ts";
import { Backpressure, type Buffering } from "../../lib/server/backpressure.ts";
import { FakeClock } from "../_fake_clock.ts";

const BOUND = 512 * 1024;
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const CALLS = 40_000;
const ANSWER = "x".repeat(1000);

/** The calls as one buffer per 1,000, so the client writes them fast. */
function pipelinedCalls(count: number): Uint8Array[] {
  const batches: Uint8Array[] = [];
  for (let first = 1; first <= count; first += 1000) {
    const frames: Uint8Array[] = [];
    for (let id = first; id < first + 1000 && id <= count; id++) {
      frames.push(clientTextFrame(`{"jsonrpc":"2.0","id":${id},"method":"kib"}`));
    }
    const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const frame of frames) {
      batch.set(frame, at);
      at += frame.length;
    }
    batches.push(batch);
  }
  return batches;
}

describe("outgoing backpressure", () => {
  it("a client that pipelines 40,000 calls and stops reading is closed with 4008; its server buffer stays bounded; no answer is lost silently", async () => {
    const closes: CloseInfo[] = [];
    let peer: Peer | undefined;
    const sb = new Switchboard({
      maxBufferedBytes: BOUND,
      // 40,000 pipelined calls are over the default rate limit: this test is about the bound.
      rateLimit: false,
      heartbeat: false,
      onOpen: (p) => void (peer ??= p),
      onClose: (_peer, info) => closes.push(info),
    });
    let maxBuffered = 0;
    sb.register("kib", () => {
      // Read where the server's own loop runs: the buffer as the answers pile up.
      maxBuffered = Math.max(maxBuffered, peer?.transport.bufferedAmount?.() ?? 0);
      return ANSWER;
    });
    const server = await startServer(sb);
    const port = Number(new URL(server.origin).port);
    const client = await connectTcp(port);
    await waitFor(() => peer !== undefined, "the connection");
    const bystander = await openClient(server.wsUrl);
    try {
      // Stop reading before any answer: from here the server's kernel buffer and this side's
      // fill, then the server's own send buffer (what the bound limits).
      client.socket.pause();
      for (const batch of pipelinedCalls(CALLS)) client.write(batch);
      await waitFor(() => closes.length > 0, "the slow consumer's close", 30_000);
      assert.equal(closes[0]!.code, 4008);
      assert.equal(closes[0]!.reason, "Slow consumer");
      assert.equal(closes[0]!.local, true);
      // Twice the bound, plus the frames sent between two samples of the buffered amount.
      assert.ok(maxBuffered > BOUND, `the buffer filled: ${maxBuffered} bytes`);
      assert.ok(maxBuffered <= 2 * BOUND + 64 * 1024, `buffered ${maxBuffered} bytes`);
      // Read again: every answer that was sent arrives, in order, then the 4008 close frame.
      client.socket.resume();
      await waitFor(
        () => client.frames.some((f) => f.opcode === 8) || client.ended(),
        "the close frame",
        30_000,
      );
      const ids: number[] = [];
      for (const frame of client.frames) {
        if (frame.opcode !== 1) continue;
        const answer = JSON.parse(new TextDecoder().decode(frame.payload));
        assert.equal(answer.result, ANSWER);
        ids.push(answer.id);
      }
      const close = client.frames.find((f) => f.opcode === 8);
      if (close !== undefined) assert.equal(closeCodeOf(close), 4008);
      // Or the TCP connection was reset: Deno resets it when it closes a socket whose
      // incoming requests it has not all read (the kernel then discards what this side had
      // not read yet). Either way the client sees the connection end, never a silent gap.
      else assert.ok(client.ended(), "a close frame or the connection's end");
      assert.ok(ids.length < CALLS, "the connection closed before all answers were buffered");
      assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1), "no gap");
      // Another connection is unharmed.
      assert.equal(await bystander.call("kib"), ANSWER);
    } finally {
      client.socket.destroy();
      bystander.close();
      await server.close();
    }
  });

  it("a server call into a client that stopped reading is rejected with the close when the bound closes it", async () => {
    const closes: CloseInfo[] = [];
    let peer: Peer | undefined;
    const sb = new Switchboard({
      maxBufferedBytes: 64 * 1024,
      heartbeat: false,
      onOpen: (p) => void (peer = p),
      onClose: (_peer, info) => closes.push(info),
    });
    const server = await startServer(sb);
    const port = Number(new URL(server.origin).port);
    const client = await connectTcp(port);
    try {
      client.socket.pause();
      await waitFor(() => peer !== undefined, "the connection");
      const pending = peer!.call("never.answered", [], { timeout: 0 });
      const outcome = pending.then(() => "answered", (error: Error) => error);
      // Notifications of 64 KiB each until the bound closes the connection (bounded: 512).
      const blob = "y".repeat(64 * 1024);
      for (let i = 0; i < 512 && closes.length === 0; i++) {
        peer!.notify("news", [blob]);
        if (i % 8 === 7) await new Promise((r) => setTimeout(r, 1));
      }
      await waitFor(() => closes.length > 0, "the slow consumer's close", 10_000);
      assert.equal(closes[0]!.code, 4008);
      const error = await outcome;
      assert.ok(error instanceof Error);
      assert.equal((error as Error & { code: number }).code, -32001);
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it("on Bun, a frame the runtime drops (send() returns 0) closes the connection with 4008", {
    skip: onBun ? false : "Bun only: Deno's send() never drops",
  }, async () => {
    const { upgradeWebSocket, websocket } = await import("../../lib/adapters/bun.ts");
    const closes: CloseInfo[] = [];
    let peer: Peer | undefined;
    // The bound far above Bun's own limit: Bun drops first, and that must not be ignored.
    const sb = new Switchboard({
      maxBufferedBytes: 1 << 30,
      heartbeat: false,
      onOpen: (p) => void (peer = p),
      onClose: (_peer, info) => closes.push(info),
    });
    const app = new Hono().route("/rpc", switchboardRoutes(sb, upgradeWebSocket));
    const Bun = (globalThis as unknown as {
      Bun: { serve(options: unknown): { port: number; stop(force: boolean): Promise<void> } };
    }).Bun;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: app.fetch,
      websocket: { ...websocket, backpressureLimit: 256 * 1024 },
    });
    const client = await connectTcp(server.port);
    try {
      client.socket.pause();
      await waitFor(() => peer !== undefined, "the connection");
      const blob = "z".repeat(32 * 1024);
      // Bounded: at most 2,000 frames of 32 KiB (64 MiB), far past Bun's 256 KiB limit.
      for (let i = 0; i < 2000 && closes.length === 0; i++) {
        peer!.notify("news", [blob]);
        if (i % 16 === 15) await new Promise((r) => setTimeout(r, 1));
      }
      await waitFor(() => closes.length > 0, "the close after a dropped frame", 10_000);
      assert.equal(closes[0]!.code, 4008);
      assert.equal(closes[0]!.reason, "Slow consumer");
    } finally {
      client.socket.destroy();
      await server.stop(true);
    }
  });
});

describe("Backpressure", () => {
  function buffering(buffered: () => number) {
    const closes: [number, string][] = [];
    const conn: Buffering = {
      sends: 0,
      pressure: undefined,
      bufferedAmount: buffered,
      terminate: (code, reason) => void closes.push([code, reason]),
    };
    return { conn, closes };
  }
  const clock = new FakeClock();
  const bound = new Backpressure({ maxBufferedBytes: 1000, slowConsumerGrace: 100 }, clock);

  it("sent() closes a connection still over maxBufferedBytes after the grace period", async () => {
    const { conn, closes } = buffering(() => 1500);
    for (let i = 0; i < 16; i++) bound.sent(conn, 10, undefined);
    assert.ok(conn.pressure !== undefined, "the 16th frame was sampled");
    await clock.tick(99);
    assert.deepEqual(closes, [], "still within the grace period");
    await clock.tick(1);
    assert.deepEqual(closes, [[4008, "Slow consumer"]]);
    assert.equal(clock.pending, 0);
  });

  it("sent() keeps a connection that drained within the grace period", async () => {
    let buffered = 1500;
    const { conn, closes } = buffering(() => buffered);
    bound.sent(conn, 20_000, undefined);
    assert.ok(conn.pressure !== undefined);
    buffered = 0;
    await clock.tick(100);
    assert.equal(conn.pressure, undefined, "the re-check ran");
    assert.deepEqual(closes, []);
  });

  it("released() after a drain drops the re-check; Bun's -1 is checked at once, 0 closes", () => {
    let buffered = 1500;
    const { conn, closes } = buffering(() => buffered);
    bound.sent(conn, 10, -1);
    assert.ok(conn.pressure !== undefined, "-1 reads the buffer at once");
    bound.released(conn, false);
    assert.ok(conn.pressure !== undefined, "still over: kept");
    buffered = 10;
    bound.released(conn, false);
    assert.equal(conn.pressure, undefined);
    bound.sent(conn, 10, 10);
    assert.deepEqual(closes, []);
    bound.sent(conn, 10, 0);
    assert.deepEqual(closes, [[4008, "Slow consumer"]]);
  });

  it("check() closes at once past twice the bound, not counting the frame just sent", () => {
    const { conn, closes } = buffering(() => 2500);
    bound.check(conn, 600);
    assert.deepEqual(closes, [], "1,900 bytes before the frame: the grace applies");
    bound.released(conn);
    bound.check(conn, 100);
    assert.deepEqual(closes, [[4008, "Slow consumer"]]);
  });
});
