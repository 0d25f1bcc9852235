/**
 * `maxMessageSize` at its boundary, in bytes: a WebSocket text frame or an HTTP POST body of
 * exactly the limit is served, one byte more is refused (1009, 413), and multi-byte text is
 * measured in UTF-8 bytes, not in JavaScript string length.
 */
import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { CloseCode, Switchboard } from "../../server.ts";
import { openRaw, startServer, type TestServer } from "../_fixtures.ts";

const MAX = 1024;
const encoder = new TextEncoder();

/** An `echo` request of exactly `bytes` UTF-8 bytes, padded with `pad` (1, 2 or 3 bytes). */
function requestOf(bytes: number, pad: "x" | "é" | "€", id = 1): string {
  const head = `{"jsonrpc":"2.0","id":${id},"method":"echo","params":["`;
  const tail = `"]}`;
  let room = bytes - head.length - tail.length;
  const width = encoder.encode(pad).length;
  const body = pad.repeat(Math.floor(room / width));
  room -= body.length * width;
  const text = head + body + "x".repeat(room) + tail;
  assert.equal(encoder.encode(text).length, bytes);
  return text;
}

async function withServer(body: (server: TestServer) => Promise<void>): Promise<void> {
  const sb = new Switchboard({ limits: { maxMessageSize: MAX } });
  sb.register("echo", (params) => params);
  const server = await startServer(sb);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe("maxMessageSize over WebSocket (text frames, in bytes)", () => {
  for (const pad of ["x", "é", "€"] as const) {
    it(`answers a frame of exactly the limit and closes one byte over it with 1009 (pad ${pad})`, async () => {
      await withServer(async (server) => {
        const raw = await openRaw(server.wsUrl);
        try {
          const answer = await raw.exchange(requestOf(MAX, pad)) as { id: number };
          assert.equal(answer.id, 1);
          raw.socket.send(requestOf(MAX + 1, pad, 2));
          const closed = await within(raw.closed, "the close after a frame over the limit");
          assert.equal(closed.code, CloseCode.MessageTooBig);
        } finally {
          raw.socket.close();
        }
      });
    });
  }

  it("closes a frame whose string length is within the limit but whose bytes are not", async () => {
    await withServer(async (server) => {
      const raw = await openRaw(server.wsUrl);
      try {
        // 400 three-byte characters: 458 UTF-16 code units, 1,258 bytes.
        const text = `{"jsonrpc":"2.0","id":1,"method":"echo","params":["${"€".repeat(400)}"]}`;
        assert.ok(text.length < MAX && encoder.encode(text).length > MAX);
        raw.socket.send(text);
        const closed = await within(raw.closed, "the close after a multi-byte frame");
        assert.equal(closed.code, CloseCode.MessageTooBig);
      } finally {
        raw.socket.close();
      }
    });
  });
});

/** POST a body, as a string (with Content-Length) or streamed (chunked, no length). */
function postBody(url: string, text: string, streamed: boolean): Promise<Response> {
  const bytes = encoder.encode(text);
  const body = streamed
    ? new ReadableStream<Uint8Array>({
      start(controller) {
        // Two chunks, so the limit is checked while reading, not on a declared length.
        controller.enqueue(bytes.subarray(0, 100));
        controller.enqueue(bytes.subarray(100));
        controller.close();
      },
    })
    : text;
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    // Deno and Bun take a streamed body with `duplex: "half"`.
    ...(streamed ? { duplex: "half" } : {}),
  } as RequestInit);
}

describe("maxMessageSize over HTTP POST (bodies, in bytes)", () => {
  for (const streamed of [false, true]) {
    for (const pad of ["x", "€"] as const) {
      const how = streamed ? "streamed" : "with Content-Length";
      it(`answers a body of exactly the limit with 200 and one byte more with 413 (${how}, pad ${pad})`, async () => {
        await withServer(async (server) => {
          const ok = await postBody(server.httpUrl, requestOf(MAX, pad), streamed);
          assert.equal(ok.status, 200);
          assert.equal((await ok.json()).id, 1);
          const over = await postBody(server.httpUrl, requestOf(MAX + 1, pad), streamed);
          assert.equal(over.status, 413);
          assert.equal(await over.text(), `Body exceeds ${MAX} bytes`);
        });
      });
    }
  }
});
