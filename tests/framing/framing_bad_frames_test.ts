import { after, before, describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Switchboard } from "../../server.ts";
import type { Client } from "../../mod.ts";
import { encodeChunkHeader, encodeMessageFrame } from "../../lib/framing/frame.ts";
import { openClient, openRaw, type RawSocket, startServer, type TestServer } from "../_fixtures.ts";

const utf8 = new TextEncoder();
const MESSAGE = utf8.encode('{"jsonrpc":"2.0","id":7,"method":"size","params":[null]}');

function table(size: number, path: unknown[] = ["params", 0]): Uint8Array {
  return utf8.encode(JSON.stringify([{ path, type: "Uint8Array", size }]));
}

async function helloRaw(url: string): Promise<RawSocket> {
  const raw = await openRaw(url);
  const reply = await raw.exchange(
    '{"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"binary":true}}',
  ) as { result: { binary: boolean } };
  assert.equal(reply.result.binary, true);
  return raw;
}

describe("bad binary frames", () => {
  let server: TestServer;
  let bystander: Client;
  const sb = new Switchboard({
    framing: { maxAttachmentBytes: 1024 * 1024, maxPartialMessages: 2 },
  });
  sb.register("size", ([bytes]: [Uint8Array]) => bytes.byteLength);

  before(async () => {
    server = await startServer(sb);
    bystander = await openClient(server.wsUrl, { binary: true });
  });

  after(async () => {
    bystander.close();
    await server.close();
  });

  async function expectClose(frames: Uint8Array[], code: number, hello = true): Promise<void> {
    const raw = hello ? await helloRaw(server.wsUrl) : await openRaw(server.wsUrl);
    try {
      for (const frame of frames) raw.socket.send(frame);
      const event = await within(raw.closed, "raw.closed");
      assert.equal(event.code, code);
    } finally {
      raw.socket.close();
    }
    // Another connection is untouched.
    assert.equal(await bystander.call("size", [new Uint8Array(3)]), 3);
  }

  it("a binary frame before binary is negotiated closes with 1003", async () => {
    await expectClose([encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(1)])], 1003, false);
  });

  it("a truncated frame closes with 1007", async () => {
    await expectClose([new Uint8Array([0x53, 0x42, 1])], 1007);
  });

  it("a frame shorter than its declared lengths closes with 1007", async () => {
    const frame = encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(1)]);
    new DataView(frame.buffer).setUint32(12, MESSAGE.length + 100);
    await expectClose([frame], 1007);
  });

  it("a frame declaring sections far past its end closes with 1007, not 1009", async () => {
    const frame = encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(1)]);
    new DataView(frame.buffer).setUint32(12, 0x7fff_ffff);
    await expectClose([frame], 1007);
  });

  it("an unknown frame version closes with 1007", async () => {
    const frame = encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(1)]);
    frame[2] = 9;
    await expectClose([frame], 1007);
  });

  it("an oversize attachment claim closes with 1009 before anything is allocated", async () => {
    await expectClose([encodeMessageFrame(5, table(2 ** 40), MESSAGE, [])], 1009);
  });

  it("a chunk for an unknown message closes with 1007", async () => {
    await expectClose([encodeChunkHeader(42, 10), new Uint8Array(10)], 1007);
  });

  it("a raw frame longer than its chunk header closes with 1007", async () => {
    const frames = [encodeMessageFrame(3, table(4), MESSAGE, []), encodeChunkHeader(3, 2)];
    await expectClose([...frames, new Uint8Array(3)], 1007);
  });

  it("a version 1 frame closes with 1007", async () => {
    const frame = encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(1)]);
    frame[2] = 1;
    await expectClose([frame], 1007);
  });

  it("too many partial messages close with 1008", async () => {
    const frames = [1, 2, 3].map((stream) => encodeMessageFrame(stream, table(100), MESSAGE, []));
    await expectClose(frames, 1008);
  });

  it("an attachment path outside the message closes with 1007", async () => {
    const frame = encodeMessageFrame(0, table(1, ["params", "nope"]), MESSAGE, [new Uint8Array(1)]);
    await expectClose([frame], 1007);
  });

  it("text frames interleave with a chunked message", async () => {
    const raw = await helloRaw(server.wsUrl);
    try {
      raw.socket.send(encodeMessageFrame(3, table(4), MESSAGE, []));
      raw.socket.send(encodeChunkHeader(3, 2));
      raw.socket.send(new Uint8Array(2));
      const pong = await raw.exchange('{"jsonrpc":"2.0","id":2,"method":"rpc.ping"}');
      assert.deepEqual(pong, { jsonrpc: "2.0", id: 2, result: "pong" });
      raw.socket.send(encodeChunkHeader(3, 2));
      raw.socket.send(new Uint8Array(2));
      assert.deepEqual(JSON.parse(await raw.next() as string), {
        jsonrpc: "2.0",
        id: 7,
        result: 4,
      });
    } finally {
      raw.socket.close();
    }
  });

  it("an invalid message section gets -32700 and the connection stays open", async () => {
    const raw = await helloRaw(server.wsUrl);
    try {
      raw.socket.send(encodeMessageFrame(0, table(1), utf8.encode("{nope"), [new Uint8Array(1)]));
      const reply = JSON.parse(await raw.next() as string) as { error: { code: number } };
      assert.equal(reply.error.code, -32700);
      const pong = await raw.exchange('{"jsonrpc":"2.0","id":2,"method":"rpc.ping"}');
      assert.deepEqual(pong, { jsonrpc: "2.0", id: 2, result: "pong" });
    } finally {
      raw.socket.close();
    }
  });
});
