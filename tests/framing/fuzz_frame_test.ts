import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeChunkHeader,
  encodeMessageFrame,
  FRAME_VERSION,
  FrameError,
  MAGIC_0,
  MAGIC_1,
  parseFrame,
} from "../../lib/framing/frame.ts";
import { encodeTable } from "../../lib/framing/attachments.ts";
import { Reassembler, type ReassemblyLimits } from "../../lib/framing/reassembly.ts";
import { Peer } from "../../lib/peer/peer.ts";
import { fuzzParameters } from "../_fuzz.ts";

const LIMITS: ReassemblyLimits = {
  maxAttachmentBytes: 4096,
  maxAttachments: 8,
  maxPartialMessages: 2,
  maxChunkBytes: 1024,
  maxDepth: 8,
  maxMessageSize: 2048,
};
const CODES = new Set([1003, 1007, 1008, 1009]);
const utf8 = new TextEncoder();

/** A well-formed frame to mutate: a message (stream 0 or chunked), a chunk header or raw bytes. */
const validFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({
    stream: fc.constantFrom(0, 1, 2, 3),
    sizes: fc.array(fc.integer({ min: 0, max: 1500 }), { maxLength: 3 }),
  }).map(({ stream, sizes }) => {
    const table = encodeTable(
      sizes.map((size, i) => ({
        path: ["params", i],
        type: "Uint8Array",
        size,
        value: new Uint8Array(size),
      })),
    );
    const message = utf8.encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "m",
        params: sizes.map(() => ({ $binary: 0 })),
      }),
    );
    const parts = stream === 0 ? sizes.map((s) => new Uint8Array(s)) : [];
    return encodeMessageFrame(stream, table, message, parts);
  }),
  fc.record({ stream: fc.constantFrom(1, 2, 3, 9), length: fc.integer({ min: 0, max: 2000 }) })
    .map(({ stream, length }) => encodeChunkHeader(stream, length)),
  fc.uint8Array({ maxLength: 1200 }),
);

/** A frame with a few bytes overwritten, or its 32-bit length fields replaced. */
const mutatedFrame: fc.Arbitrary<Uint8Array> = fc.tuple(
  validFrame,
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  fc.option(fc.tuple(fc.constantFrom(4, 8, 12), fc.nat({ max: 0xffff_ffff }))),
).map(([frame, edits, field]) => {
  const out = frame.slice();
  for (const [at, byte] of edits) if (out.length > 0) out[at % out.length] = byte;
  if (field !== null && out.length >= field[0] + 4) {
    new DataView(out.buffer).setUint32(field[0], field[1]);
  }
  return out;
});

/** Arbitrary bytes behind a valid prefix, so the parser gets past the magic. */
const prefixed: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom(1, 2),
  fc.uint8Array({ maxLength: 64 }),
)
  .map(([kind, rest]) => Uint8Array.of(MAGIC_0, MAGIC_1, FRAME_VERSION, kind, ...rest));

const anyFrame = fc.oneof(mutatedFrame, prefixed, fc.uint8Array({ maxLength: 64 }));

/** The close code of the last FrameError seen by {@linkcode expectFrameError}. */
let lastCode = 0;

function expectFrameError(fn: () => unknown): unknown {
  lastCode = 0;
  try {
    return fn();
  } catch (error) {
    assert.ok(error instanceof FrameError, `not a FrameError: ${error}`);
    assert.ok(CODES.has(error.code), `close code ${error.code}`);
    lastCode = error.code;
    return undefined;
  }
}

describe("fuzz: the binary frame parser", () => {
  it("parseFrame() throws only FrameErrors and slices within the frame", () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        const parsed = expectFrameError(() => parseFrame(frame, LIMITS.maxMessageSize)) as
          | ReturnType<typeof parseFrame>
          | undefined;
        if (parsed?.kind !== 1) return;
        // Views of the frame's own buffer: nothing was allocated for the sections.
        for (const part of [parsed.table, parsed.message, parsed.bytes]) {
          assert.equal(part.buffer, frame.buffer);
        }
        assert.ok(parsed.table.length + parsed.message.length <= LIMITS.maxMessageSize);
        assert.ok(
          16 + parsed.table.length + parsed.message.length + parsed.bytes.length === frame.length,
        );
      }),
      fuzzParameters(3000),
    );
  });

  it("parseFrame() calls a frame whose sections run past its end inconsistent (1007), whatever their size", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        (body, tableLength, messageLength) => {
          const frame = new Uint8Array(16 + body.length);
          frame.set([MAGIC_0, MAGIC_1, FRAME_VERSION, 1], 0);
          frame.set(body, 16);
          const view = new DataView(frame.buffer);
          view.setUint32(8, tableLength);
          view.setUint32(12, messageLength);
          fc.pre(16 + tableLength + messageLength > frame.length);
          assert.equal((expectFrameError(() => parseFrame(frame, 1024)), lastCode), 1007);
        },
      ),
      fuzzParameters(2000),
    );
  });

  it("Reassembler.accept() on any sequence throws only FrameErrors and stays within its limits", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validFrame, anyFrame), { maxLength: 12 }), (frames) => {
        const reassembler = new Reassembler(LIMITS);
        for (const frame of frames) {
          let done;
          try {
            done = reassembler.accept(frame);
          } catch (error) {
            expectFrameError(() => {
              throw error;
            });
            return; // The connection would be closed here.
          }
          assert.ok(reassembler.partialMessages <= LIMITS.maxPartialMessages);
          if (done === undefined) continue;
          assert.ok(done.entries.length <= LIMITS.maxAttachments);
          const total = done.data.reduce((n: number, d: Uint8Array) => n + d.byteLength, 0);
          assert.ok(total <= LIMITS.maxAttachmentBytes);
        }
      }),
      fuzzParameters(1500),
    );
  });

  it("Peer.receive() of any binary frame answers or closes with a documented code, never throws", () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 6 }), (frames) => {
        const closes: number[] = [];
        const peer = new Peer({ send() {}, close: (code) => void closes.push(code) }, {
          binaryFrames: true,
          limits: { maxMessageSize: LIMITS.maxMessageSize },
          framing: { maxAttachmentBytes: 4096, maxChunkBytes: 1024, maxPartialMessages: 2 },
        });
        for (const frame of frames) peer.receive(frame);
        for (const code of closes) assert.ok(CODES.has(code), `close ${code}`);
        peer.close(1000, "done");
      }),
      fuzzParameters(1000),
    );
  });
});
