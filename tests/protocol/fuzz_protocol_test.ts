import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { classify, idOf, isId, Kind } from "../../lib/protocol/guards.ts";
import { Peer } from "../../lib/peer/peer.ts";
import { Registry } from "../../lib/router/registry.ts";
import { fuzzParameters } from "../_fuzz.ts";

/** Values shaped like JSON-RPC messages, often almost valid. */
const messageLike: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.record({
    jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue()),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), fc.jsonValue()),
    method: fc.oneof(fc.constantFrom("add", "rpc.hello", "rpc.cancel", "rpc.ping"), fc.jsonValue()),
    params: fc.oneof(
      fc.array(fc.jsonValue()),
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.jsonValue(),
    ),
    result: fc.jsonValue(),
    error: fc.oneof(fc.record({ code: fc.integer(), message: fc.string() }), fc.jsonValue()),
  }, { requiredKeys: [] }),
);

/** A peer with one procedure that records what it sends. */
function fuzzPeer(): { peer: Peer; sent: string[]; closes: number[] } {
  const sent: string[] = [];
  const closes: number[] = [];
  const procedures = new Registry();
  procedures.register("add", ([a, b]: [number, number]) => a + b, { params: ["a", "b"] });
  const peer = new Peer({
    send: (frame) => void sent.push(typeof frame === "string" ? frame : "<binary>"),
    close: (code) => void closes.push(code),
  }, { procedures, limits: { maxMessageSize: 64 * 1024, maxBatchSize: 16 } });
  return { peer, sent, closes };
}

describe("fuzz: JSON-RPC guards and the peer's decoder", () => {
  it("classify() and idOf() never throw and agree with each other", () => {
    fc.assert(
      fc.property(fc.oneof(messageLike, fc.anything()), (value) => {
        const kind = classify(value);
        const id = idOf(value);
        assert.ok(isId(id));
        if (kind === Kind.Request || kind === Kind.Success || kind === Kind.Error) {
          assert.equal(id, (value as { id: unknown }).id);
        }
      }),
      fuzzParameters(2000),
    );
  });

  it("Peer.receive() answers any text with valid JSON-RPC, never throws, stays bounded", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          messageLike.map((v) => JSON.stringify(v) ?? "null"),
          fc.array(messageLike, { maxLength: 20 }).map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          const { peer, sent, closes } = fuzzPeer();
          peer.receive(text);
          await Promise.resolve();
          await new Promise((resolve) => setTimeout(resolve, 0));
          assert.deepEqual(closes, [], "a text frame under the limit never closes");
          assert.ok(sent.length <= 1, "one frame per incoming frame at most");
          for (const frame of sent) {
            const answer = JSON.parse(frame);
            const answers = Array.isArray(answer) ? answer : [answer];
            assert.ok(answers.length <= 16);
            for (const a of answers) {
              const kind = classify(a);
              assert.ok(kind === Kind.Success || kind === Kind.Error, frame);
            }
            // Bounded: an answer never grows past the input by more than a fixed overhead
            // per batch entry (the error objects).
            assert.ok(frame.length <= text.length + 200 * answers.length + 200, frame);
          }
          peer.close(1000, "done");
        },
      ),
      fuzzParameters(500),
    );
  });
});
