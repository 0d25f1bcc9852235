import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Pattern } from "../../lib/pubsub/pattern.ts";
import { isPattern, validateTopic } from "../../lib/pubsub/topic_name.ts";
import { resolvePubSubLimits } from "../../lib/pubsub/limits.ts";
import { RpcError } from "../../lib/protocol/errors.ts";

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RpcError);
    return error.code;
  }
  throw new Error("expected a throw");
}

describe("Pattern", () => {
  it("matches() takes * as exactly one segment", () => {
    const p = new Pattern("ticker.*");
    assert.equal(p.matches("ticker.ACME"), true);
    assert.equal(p.matches("ticker"), false);
    assert.equal(p.matches("ticker.ACME.eu"), false);
    assert.equal(p.matches("tickers.ACME"), false);
    assert.equal(p.matches("ticke.ACME"), false);
  });

  it("matches() takes * in the middle", () => {
    const p = new Pattern("a.*.c");
    assert.equal(p.matches("a.b.c"), true);
    assert.equal(p.matches("a.bb.c"), true);
    assert.equal(p.matches("a.b.cd"), false);
    assert.equal(p.matches("a.b"), false);
    assert.equal(p.matches("a.b.c.d"), false);
  });

  it("matches() takes a final ** as one or more segments", () => {
    const p = new Pattern("chat.**");
    assert.equal(p.matches("chat.lobby"), true);
    assert.equal(p.matches("chat.room.1.thread"), true);
    assert.equal(p.matches("chat"), false);
    assert.equal(p.matches("chatter.x"), false);
    assert.equal(new Pattern("**").matches("anything.at.all"), true);
    assert.equal(new Pattern("*.**").matches("a"), false);
    assert.equal(new Pattern("*.**").matches("a.b"), true);
  });

  it("matches() of a pattern with no wildcard is equality", () => {
    const p = new Pattern("a.b");
    assert.equal(p.matches("a.b"), true);
    assert.equal(p.matches("a.bc"), false);
    assert.equal(p.matches("a"), false);
  });
});

describe("validateTopic()", () => {
  it("accepts names of letters, digits and _ - : @", () => {
    assert.equal(validateTopic("ticker.ACME"), "ticker.ACME");
    assert.equal(validateTopic("user:42.inbox@eu-1_x"), "user:42.inbox@eu-1_x");
  });

  it("rejects empty, non-string and badly formed names with -32602", () => {
    for (const bad of ["", 42, null, "a..b", ".a", "a.", "a b", "a/b", "é"]) {
      assert.equal(codeOf(() => validateTopic(bad)), -32602, String(bad));
    }
  });

  it("rejects wildcards outside subscriptions and ** before the end", () => {
    assert.equal(codeOf(() => validateTopic("a.*")), -32602);
    assert.equal(validateTopic("a.*", undefined, true), "a.*");
    assert.equal(codeOf(() => validateTopic("a.**.b", undefined, true)), -32602);
    assert.equal(codeOf(() => validateTopic("a.b*", undefined, true)), -32602);
  });

  it("rejects names over the length, segment and wildcard limits with -32005", () => {
    const limits = resolvePubSubLimits({ maxTopicLength: 10, maxSegments: 3, maxWildcards: 1 });
    assert.equal(codeOf(() => validateTopic("a".repeat(11), limits)), -32005);
    assert.equal(codeOf(() => validateTopic("a.b.c.d", limits)), -32005);
    assert.equal(codeOf(() => validateTopic("*.*", limits, true)), -32005);
    assert.equal(validateTopic("a.*", limits, true), "a.*");
  });

  it("isPattern() tells patterns from names", () => {
    assert.equal(isPattern("a.*"), true);
    assert.equal(isPattern("a.**"), true);
    assert.equal(isPattern("a.b"), false);
  });
});
