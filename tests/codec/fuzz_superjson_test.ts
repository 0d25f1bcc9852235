import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createSuperjsonCodec } from "../../lib/codec/superjson.ts";
import { fuzzParameters } from "../_fuzz.ts";

const codec = createSuperjsonCodec({ maxDepth: 16 });

/** Annotation type names: the allowed ones, forbidden ones, and noise. */
const typeName = fc.oneof(
  fc.constantFrom("undefined", "bigint", "Date", "regexp", "set", "map", "number", "URL", "Error"),
  fc.constantFrom("class", "custom", "symbol", "typed-array", "__proto__"),
  fc.string({ maxLength: 8 }),
);

/** A path segment, often a dangerous one. */
const segment = fc.oneof(
  fc.constantFrom("__proto__", "prototype", "constructor", "0", "a", "toString"),
  fc.string({ maxLength: 6 }),
  fc.nat({ max: 4 }),
);

/** superjson `meta.values`-like trees: `[type]`, `[type, {child}]`, `{key: tree}`, noise. */
const annotations: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(typeName),
    fc.tuple(typeName, tie("children")),
    tie("children"),
    fc.jsonValue(),
  ),
  children: fc.dictionary(
    segment.map(String),
    tie("tree"),
    { maxKeys: 4 },
  ),
})).tree;

/** Payloads with values superjson would rebuild. */
const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(segment.map(String), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 3 })), {
    maxLength: 5,
  }),
);

/** A message whose `superjson` member annotates `params`, `result` or `data`, or is noise. */
const message = fc.record({
  slot: fc.constantFrom("params", "result", "data"),
  payload,
  meta: fc.oneof(
    annotations,
    fc.dictionary(fc.constantFrom("params", "result", "data", "x"), annotations),
  ),
}).map(({ slot, payload, meta }) => {
  const body: Record<string, unknown> = { jsonrpc: "2.0", id: 1 };
  if (slot === "data") body.error = { code: 1, message: "m", data: payload };
  else body[slot === "params" ? "method" : "x"] = "m", body[slot] = payload;
  body.superjson = meta;
  return JSON.stringify(body);
});

describe("fuzz: superjson input hardening", () => {
  it("decode() returns or throws a SyntaxError/RangeError, and never pollutes a prototype", () => {
    fc.assert(
      fc.property(fc.oneof(message, fc.string({ maxLength: 100 })), (text) => {
        try {
          codec.decode(text);
        } catch (error) {
          assert.ok(
            error instanceof SyntaxError || error instanceof RangeError,
            `unexpected ${error}`,
          );
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.getPrototypeOf({}), Object.prototype);
        for (const name of ["toString", "constructor", "hasOwnProperty"]) {
          assert.equal(
            typeof (Object.prototype as unknown as Record<string, unknown>)[name],
            "function",
          );
        }
      }),
      fuzzParameters(2000),
    );
  });

  it("decode(encode(x)) gives back what was encoded for rich values", () => {
    const rich = fc.oneof(
      fc.date({ noInvalidDate: true }),
      fc.bigInt(),
      fc.constant(undefined),
      fc.array(fc.integer(), { maxLength: 4 }).map((a) => new Set(a)),
      fc.array(fc.tuple(fc.string(), fc.integer()), { maxLength: 4 }).map((e) => new Map(e)),
      fc.double(),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(
      fc.property(fc.array(rich, { maxLength: 4 }), (params) => {
        const text = codec.encode({ jsonrpc: "2.0", id: 1, method: "m", params });
        const back = codec.decode(text) as { params: unknown[] };
        assert.deepEqual(back.params, params);
      }),
      fuzzParameters(500),
    );
  });
});
