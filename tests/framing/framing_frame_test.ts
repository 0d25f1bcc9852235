import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import {
  encodeChunkHeader,
  encodeMessageFrame,
  FrameError,
  parseFrame,
} from "../../lib/framing/frame.ts";
import {
  encodeTable,
  extractAttachments,
  insertAttachments,
  parseTable,
} from "../../lib/framing/attachments.ts";
import { Reassembler, type ReassemblyLimits } from "../../lib/framing/reassembly.ts";
import { ChunkSender } from "../../lib/framing/sender.ts";
import { Wire } from "../../lib/framing/wire.ts";

const utf8 = new TextEncoder();
const LIMITS: ReassemblyLimits = {
  maxAttachmentBytes: 1024,
  maxAttachments: 4,
  maxPartialMessages: 2,
  maxChunkBytes: 512,
  maxDepth: 8,
  maxMessageSize: 4096,
};
const MESSAGE = utf8.encode('{"jsonrpc":"2.0","id":1,"result":null}');

function table(size: number, type = "Uint8Array", path: unknown[] = ["result"]): Uint8Array {
  return utf8.encode(JSON.stringify([{ path, type, size }]));
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FrameError, String(error));
    return error.code;
  }
  throw new Error("expected a FrameError");
}

describe("parseFrame()", () => {
  it("parseFrame() rejects a truncated header", () => {
    assert.equal(code(() => parseFrame(new Uint8Array([0x53, 0x42, 1]), 100)), 1007);
    const short = encodeMessageFrame(0, table(0), MESSAGE, []).subarray(0, 12);
    assert.equal(code(() => parseFrame(short, 1000)), 1007);
  });

  it("parseFrame() rejects bad magic, an unknown version and an unknown kind", () => {
    const frame = encodeChunkHeader(1, 1);
    assert.equal(code(() => parseFrame(Uint8Array.of(0, ...frame.subarray(1)), 100)), 1007);
    const version = frame.slice();
    version[2] = 1;
    assert.equal(code(() => parseFrame(version, 100)), 1007, "version 1 is no longer read");
    const kind = frame.slice();
    kind[3] = 9;
    assert.equal(code(() => parseFrame(kind, 100)), 1007);
  });

  it("parseFrame() rejects declared lengths past the end of the frame", () => {
    const frame = encodeMessageFrame(0, table(0), MESSAGE, []);
    new DataView(frame.buffer).setUint32(12, MESSAGE.length + 10);
    assert.equal(code(() => parseFrame(frame, 4096)), 1007);
  });

  it("parseFrame() rejects huge declared lengths past the end as inconsistent (1007), not too big", () => {
    const frame = encodeMessageFrame(0, table(0), MESSAGE, []);
    new DataView(frame.buffer).setUint32(12, 0xffff_fff0);
    assert.equal(code(() => parseFrame(frame, 4096)), 1007);
    const tableTooLong = encodeMessageFrame(0, table(0), MESSAGE, []);
    new DataView(tableTooLong.buffer).setUint32(8, 5000);
    assert.equal(code(() => parseFrame(tableTooLong, 4096)), 1007);
  });

  it("parseFrame() rejects a consistent frame whose message section is over the limit with 1009", () => {
    const big = utf8.encode(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "x".repeat(5000) }));
    const frame = encodeMessageFrame(0, table(0), big, []);
    assert.equal(code(() => parseFrame(frame, 4096)), 1009);
    assert.equal(parseFrame(frame, big.length + 64).kind, 1);
  });

  it("parseFrame() slices a frame at a non-zero byte offset", () => {
    const frame = encodeMessageFrame(0, table(2), MESSAGE, [Uint8Array.of(7, 8)]);
    const padded = new Uint8Array(frame.length + 5);
    padded.set(frame, 5);
    const parsed = parseFrame(padded.subarray(5), 4096);
    assert.equal(parsed.kind, 1);
    assert.deepEqual([...parsed.bytes], [7, 8]);
  });
});

describe("parseTable()", () => {
  it("parseTable() rejects malformed tables", () => {
    const bad = [
      "not json",
      "{}",
      '[{"path":[],"type":"Uint8Array","size":1}]',
      '[{"path":["__proto__"],"type":"Uint8Array","size":1}]',
      '[{"path":["constructor","prototype"],"type":"Uint8Array","size":1}]',
      '[{"path":[-1],"type":"Uint8Array","size":1}]',
      '[{"path":["a"],"type":"Function","size":1}]',
      '[{"path":["a"],"type":"Uint8Array","size":-1}]',
      '[{"path":["a"],"type":"Float64Array","size":7}]',
    ];
    for (const text of bad) assert.equal(code(() => parseTable(utf8.encode(text), LIMITS)), 1007);
  });

  it("parseTable() rejects an oversize claim or too many attachments with 1009", () => {
    assert.equal(code(() => parseTable(table(2 ** 40), LIMITS)), 1009);
    const many = JSON.stringify(
      Array.from({ length: 5 }, () => ({ path: ["a"], type: "Blob", size: 1 })),
    );
    assert.equal(code(() => parseTable(utf8.encode(many), LIMITS)), 1009);
  });
});

describe("Reassembler", () => {
  it("Reassembler.accept() rejects a chunk for an unknown stream", () => {
    const r = new Reassembler(LIMITS);
    assert.equal(code(() => r.accept(encodeChunkHeader(5, 1))), 1007);
  });

  it("Reassembler.accept() rejects a chunk that overruns its stream", () => {
    const r = new Reassembler(LIMITS);
    r.accept(encodeMessageFrame(3, table(4), MESSAGE, []));
    assert.equal(r.accept(encodeChunkHeader(3, 2)), undefined);
    assert.equal(r.accept(new Uint8Array(2)), undefined);
    assert.equal(code(() => r.accept(encodeChunkHeader(3, 3))), 1007);
  });

  it("Reassembler.accept() rejects a raw frame whose length differs from its header", () => {
    const r = new Reassembler(LIMITS);
    r.accept(encodeMessageFrame(3, table(4), MESSAGE, []));
    r.accept(encodeChunkHeader(3, 2));
    assert.equal(code(() => r.accept(new Uint8Array(3))), 1007);
    const shorter = new Reassembler(LIMITS);
    shorter.accept(encodeMessageFrame(3, table(4), MESSAGE, []));
    shorter.accept(encodeChunkHeader(3, 2));
    assert.equal(code(() => shorter.accept(new Uint8Array(1))), 1007);
  });

  it("Reassembler.acceptText() rejects a text frame between a header and its raw frame", () => {
    const r = new Reassembler(LIMITS);
    r.accept(encodeMessageFrame(3, table(4), MESSAGE, []));
    r.acceptText();
    r.accept(encodeChunkHeader(3, 2));
    assert.equal(code(() => r.acceptText()), 1007);
  });

  it("Reassembler.accept() rejects a chunk header over maxChunkBytes with 1009", () => {
    const r = new Reassembler(LIMITS);
    r.accept(encodeMessageFrame(3, table(1000), MESSAGE, []));
    assert.equal(code(() => r.accept(encodeChunkHeader(3, 513))), 1009);
  });

  it("Reassembler.accept() rejects a chunked message frame that carries bytes", () => {
    const r = new Reassembler(LIMITS);
    const frame = encodeMessageFrame(3, table(4), MESSAGE, [new Uint8Array(1)]);
    assert.equal(code(() => r.accept(frame)), 1007);
  });

  it("Reassembler uses a raw frame that is exactly one attachment without a copy", () => {
    const r = new Reassembler(LIMITS);
    const two = utf8.encode(JSON.stringify([
      { path: ["result", 0], type: "Uint8Array", size: 3 },
      { path: ["result", 1], type: "Uint8Array", size: 4 },
    ]));
    r.accept(encodeMessageFrame(8, two, MESSAGE, []));
    const first = Uint8Array.of(1, 2, 3);
    const second = Uint8Array.of(4, 5, 6, 7);
    r.accept(encodeChunkHeader(8, 3));
    r.accept(first);
    r.accept(encodeChunkHeader(8, 4));
    const done = r.accept(second);
    assert.equal(done?.data[0], first);
    assert.equal(done?.data[1], second);
  });

  it("Reassembler.accept() rejects a complete frame with missing or extra bytes", () => {
    const r = new Reassembler(LIMITS);
    const short = encodeMessageFrame(0, table(4), MESSAGE, [new Uint8Array(2)]);
    assert.equal(code(() => r.accept(short)), 1007);
    const long = encodeMessageFrame(0, table(1), MESSAGE, [new Uint8Array(2)]);
    assert.equal(code(() => r.accept(long)), 1007);
  });

  it("Reassembler.accept() rejects a reused stream id", () => {
    const r = new Reassembler(LIMITS);
    const frame = encodeMessageFrame(3, table(4), MESSAGE, []);
    r.accept(frame);
    assert.equal(code(() => r.accept(frame)), 1007);
  });

  it("Reassembler.accept() limits concurrent partial messages with 1008", () => {
    const r = new Reassembler(LIMITS);
    for (const stream of [1, 2]) {
      r.accept(encodeMessageFrame(stream, table(8), MESSAGE, []));
    }
    const third = encodeMessageFrame(3, table(8), MESSAGE, []);
    assert.equal(code(() => r.accept(third)), 1008);
  });

  it("Reassembler.accept() rejects a frame carrying more than maxChunkBytes with 1009", () => {
    const r = new Reassembler(LIMITS);
    const frame = encodeMessageFrame(0, table(600), MESSAGE, [new Uint8Array(600)]);
    assert.equal(code(() => r.accept(frame)), 1009);
  });

  it("Reassembler keeps only what was sent for a huge claim within the limit", () => {
    const r = new Reassembler({ ...LIMITS, maxAttachmentBytes: 2 ** 40 });
    const frame = encodeMessageFrame(9, table(2 ** 39), MESSAGE, []);
    assert.equal(r.accept(frame), undefined);
    assert.equal(r.accept(encodeChunkHeader(9, 3)), undefined);
    assert.equal(r.accept(new Uint8Array(3)), undefined);
    assert.equal(r.partialMessages, 1);
    r.clear();
    assert.equal(r.partialMessages, 0);
  });
});

describe("attachments", () => {
  it("extractAttachments() and insertAttachments() round-trip every binary type", async () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const message = {
      jsonrpc: "2.0",
      id: 1,
      result: {
        u8: bytes.subarray(1, 4),
        ab: bytes.buffer.slice(0, 2),
        f64: new Float64Array([1.5, -2]),
        i16: new Int16Array([-3, 4]),
        big: new BigUint64Array([2n ** 63n]),
        dv: new DataView(bytes.buffer, 2, 3),
        blob: new Blob([bytes], { type: "image/png" }),
        list: [new Uint8Array(0), { deeper: [Uint8Array.of(9)] }],
        plain: { n: 1 },
      },
    };
    const { message: skeleton, attachments } = extractAttachments(message, 64);
    assert.equal(attachments.length, 9);
    assert.notEqual(skeleton, message);
    assert.ok(message.result.u8 instanceof Uint8Array, "caller's object untouched");
    const decoded = JSON.parse(JSON.stringify(skeleton));
    const entries = parseTable(encodeTable(attachments), { ...LIMITS, maxAttachments: 16 }).entries;
    const data = await Promise.all(
      attachments.map(async (a) =>
        a.value instanceof Blob ? new Uint8Array(await a.value.arrayBuffer()) : a.value.slice()
      ),
    );
    const back = insertAttachments(decoded, entries, data) as typeof message;
    const r = back.result;
    assert.deepEqual([...r.u8], [2, 3, 4]);
    assert.ok(r.ab instanceof ArrayBuffer && r.ab.byteLength === 2);
    assert.deepEqual(r.f64, new Float64Array([1.5, -2]));
    assert.deepEqual(r.i16, new Int16Array([-3, 4]));
    assert.deepEqual(r.big, new BigUint64Array([2n ** 63n]));
    assert.ok(r.dv instanceof DataView && r.dv.getUint8(0) === 3);
    assert.ok(r.blob instanceof Blob && r.blob.type === "image/png" && r.blob.size === 8);
    assert.deepEqual(r.list[0], new Uint8Array(0));
    assert.deepEqual(r.plain, { n: 1 });
  });

  it("extractAttachments() returns the same object when there is nothing to extract", () => {
    const message = { jsonrpc: "2.0", method: "m", params: [{ a: [1, 2] }, new Date(0)] };
    const { message: out, attachments } = extractAttachments(message, 64);
    assert.equal(out, message);
    assert.equal(attachments.length, 0);
  });

  it("insertAttachments() rejects a path that does not lead to a placeholder", () => {
    const entries = [{ path: ["result", "x"], type: "Uint8Array", size: 1 }];
    const data = [new Uint8Array(1)];
    assert.equal(code(() => insertAttachments({ result: { x: 5 } }, entries, data)), 1007);
    assert.equal(code(() => insertAttachments({ result: {} }, entries, data)), 1007);
    assert.equal(code(() => insertAttachments({ result: [null] }, entries, data)), 1007);
    const inherited = [{ path: ["result", "toString"], type: "Uint8Array", size: 1 }];
    assert.equal(code(() => insertAttachments({ result: {} }, inherited, data)), 1007);
  });
});

describe("ChunkSender and Wire", () => {
  it("ChunkSender splits a large attachment into chunks that reassemble", async () => {
    const frames: Uint8Array[] = [];
    const sender = new ChunkSender((f) => void frames.push(f), () => undefined, {
      chunkSize: 100,
      highWaterMark: 1000,
    });
    const payload = Uint8Array.from({ length: 450 }, (_, i) => i % 251);
    const attachments = [{ path: ["result"], type: "Uint8Array", size: 450, value: payload }];
    sender.send(encodeTable(attachments), MESSAGE, attachments);
    for (let i = 0; i < 20 && sender.activeStreams > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // A message frame, then a (header, raw view) pair per 100 bytes.
    assert.equal(frames.length, 1 + 2 * 5);
    assert.equal(frames[2]!.buffer, payload.buffer, "raw frames are views, not copies");
    const r = new Reassembler(LIMITS);
    let done;
    for (const frame of frames) done = r.accept(frame) ?? done;
    assert.deepEqual(done?.data[0], payload);
  });

  it("Wire.decode() closes binary frames with 1003 until binary is negotiated", () => {
    const wire = new Wire({ send() {}, close() {} }, { maxMessageSize: 1024 });
    const frame = encodeMessageFrame(0, table(0), MESSAGE, []);
    assert.equal(code(() => wire.decode(frame)), 1003);
    assert.equal(code(() => wire.decode("x".repeat(2000))), 1009);
  });
});
