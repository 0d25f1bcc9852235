import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Peer, RATE_LIMIT_CLOSE, Switchboard } from "../../server.ts";
import { Registry } from "../../lib/router/registry.ts";
import { RateLimiter, Verdict } from "../../lib/server/rate_limit.ts";
import type { CloseInfo } from "../../mod.ts";
import { openClient, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";
import { clientTextFrame, closeCodeOf, connectTcp, type TcpClient } from "../_tcp_client.ts";

/** `count` calls of `echo` as one buffer, written at once. */
function calls(count: number, first = 1): Uint8Array {
  const frames = Array.from(
    { length: count },
    (_, i) => clientTextFrame(`{"jsonrpc":"2.0","id":${first + i},"method":"echo","params":[1]}`),
  );
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/** The JSON messages the client got so far. */
function answers(
  client: TcpClient,
): { id: number; result?: number; error?: { code: number; message: string; data?: unknown } }[] {
  return client.frames.filter((f) => f.opcode === 1).map((f) =>
    JSON.parse(new TextDecoder().decode(f.payload))
  );
}

describe("rate limits", () => {
  it("requests past the frame rate get -32029 and every request is answered once", async () => {
    const sb = new Switchboard({ rateLimit: { messages: 100 }, heartbeat: false });
    sb.register("echo", ([x]: [number]) => x);
    const server = await startServer(sb);
    const client = await connectTcp(Number(new URL(server.origin).port));
    try {
      // 190 calls in one write: 100 tokens, so about 90 are refused (a refill of 90 would
      // take 0.9 s); still within a burst below zero, so the connection stays open.
      client.write(calls(190));
      await waitFor(() => answers(client).length === 190, "190 answers", 10_000);
      const all = answers(client);
      assert.deepEqual(
        all.map((a) => a.id).sort((a, b) => a - b),
        [...Array(190).keys()].map((i) => i + 1),
      );
      const refused = all.filter((a) => a.error !== undefined);
      assert.ok(refused.length > 0, "some calls were refused");
      for (const answer of refused) {
        assert.deepEqual(answer.error, {
          code: -32029,
          message: "Rate limit exceeded",
          data: { limit: "messages", perSecond: 100 },
        });
      }
      assert.ok(all.filter((a) => a.result === 1).length >= 100, "the burst ran");
      assert.ok(!client.ended());
      // Slowing down gives the tokens back (polled, not timed).
      await recovers(client);
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it("a sustained flood closes the socket with 4029 while other connections' calls succeed", async () => {
    const closes: CloseInfo[] = [];
    const sb = new Switchboard({
      rateLimit: { messages: 200 },
      heartbeat: false,
      onClose: (_peer, info) => closes.push(info),
    });
    sb.register("echo", ([x]: [number]) => x);
    const server = await startServer(sb);
    const bystander = await openClient(server.wsUrl);
    const flooder = await connectTcp(Number(new URL(server.origin).port));
    try {
      // Bounded: 5,000 calls, 25 times the rate; a burst's worth below zero closes.
      flooder.write(calls(5000));
      const during = Promise.all(Array.from({ length: 50 }, (_, i) => bystander.call("echo", [i])));
      during.catch(() => {}); // Awaited below; a rejection must not go unhandled meanwhile.
      await waitFor(
        () => flooder.frames.some((f) => f.opcode === 8) || flooder.ended(),
        "the flooder's close",
        10_000,
      );
      // Calls of another connection are unaffected by the flood.
      assert.deepEqual(await during, Array.from({ length: 50 }, (_, i) => i));
      const close = flooder.frames.find((f) => f.opcode === 8);
      if (close !== undefined) assert.equal(closeCodeOf(close), RATE_LIMIT_CLOSE);
      // Or a reset: Deno resets a socket it closes with requests still unread (the kernel
      // then discards what this side had not read, the close frame too).
      else assert.ok(flooder.ended(), "a close frame or the connection's end");
      await waitFor(() => closes.length > 0, "the server's close");
      assert.equal(closes[0]!.code, 4029);
      assert.equal(closes[0]!.reason, "Rate limit exceeded");
      const got = answers(flooder);
      assert.ok(got.length < 5000, "the flood was cut off");
      if (close !== undefined) {
        assert.ok(got.some((a) => a.error?.code === -32029), "refused before being closed");
      }
      assert.equal(await bystander.call("echo", [7]), 7);
    } finally {
      flooder.socket.destroy();
      bystander.close();
      await server.close();
    }
  });
});

/** Send one call at a time, 50 ms apart, until one runs (at most 60). */
async function recovers(client: TcpClient): Promise<void> {
  for (let id = 10_000; id < 10_060; id++) {
    client.write(calls(1, id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (answers(client).some((a) => a.id === id && a.result === 1)) return;
  }
  throw new Error("the connection never got its tokens back");
}

describe("RateLimiter and refused frames", () => {
  it("take() refuses past the burst, closes a burst below zero, refills at the rate", () => {
    let now = 0;
    const limiter = new RateLimiter({ messages: 100, bytes: 10_000 }, () => now);
    const conn = { messageTokens: 0, byteTokens: 0, refilled: -1, frames: 0 };
    const verdicts = Array.from({ length: 100 }, () => limiter.take(conn, 1));
    assert.ok(verdicts.every((v) => v === Verdict.Admit));
    assert.equal(limiter.take(conn, 1), Verdict.Refuse);
    assert.equal(limiter.refusalOf(conn), limiter.messagesRefusal);
    // 99 more refused reach -100: a burst below zero, not past it.
    for (let i = 0; i < 99; i++) assert.equal(limiter.take(conn, 1), Verdict.Refuse);
    assert.equal(limiter.take(conn, 1), Verdict.Close);
    now += 2000; // two seconds refill 200, capped at the burst
    assert.equal(limiter.take(conn, 1), Verdict.Admit);
    // Bytes: a frame larger than the whole burst is refused, a second one closes.
    const big = { messageTokens: 0, byteTokens: 0, refilled: -1, frames: 0 };
    assert.equal(limiter.take(big, 10_001), Verdict.Refuse);
    assert.equal(limiter.refusalOf(big), limiter.bytesRefusal);
    assert.equal(limiter.take(big, 10_001), Verdict.Close);
  });

  it("a refused batch answers its requests with the refusal, settles responses, runs cancels only", async () => {
    const sent: string[] = [];
    let ran = 0;
    const procedures = new Registry();
    procedures.register("work", () => ++ran);
    procedures.register("note", () => void ran++);
    const peer = new Peer({ send: (f) => void sent.push(String(f)), close() {} }, { procedures });
    const call = peer.call("client.method", [], { timeout: 0 });
    const outgoingId = JSON.parse(sent[0]!).id;
    const refusal = { code: -32029, message: "Rate limit exceeded" };
    peer.receive(
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "work" },
        { jsonrpc: "2.0", method: "note" },
        { jsonrpc: "2.0", method: "rpc.cancel", params: { id: 99 } },
        { jsonrpc: "2.0", id: outgoingId, result: "from the client" },
        { jsonrpc: "2.0", id: 2, method: "work" },
      ]),
      refusal,
    );
    assert.equal(await call, "from the client");
    assert.equal(ran, 0, "nothing ran");
    assert.deepEqual(JSON.parse(sent[1]!), [
      { jsonrpc: "2.0", id: 1, error: refusal },
      { jsonrpc: "2.0", id: 2, error: refusal },
    ]);
    peer.close(1000, "done");
  });
});
