/**
 * Type tests of the contract: `deno task check` type-checks this file, so every
 * `@ts-expect-error` below must be an error (an unused one fails the check). The runtime
 * part only proves the typed values are what they claim.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import * as v from "valibot";
import { z } from "zod";
import {
  type Caller,
  type Handlers,
  implement,
  type InferProcedures,
  procedure,
  remote,
  type TypedSubscribe,
} from "../../server.ts";
import { Registry } from "../../lib/router/registry.ts";

interface Api {
  server: {
    math: {
      add(a: number, b: number): number;
      trig: { sin(x: number): number };
    };
    greet(who: { name: string }): string;
    count(n: number): AsyncIterable<number>;
    countTo(n: number): AsyncGenerator<number, string>;
    slow(ms: number): Promise<void>;
  };
  client: { confirm(question: string): boolean };
  topics: { "chat.message": { from: string; text: string }; ticks: number };
}

const handlers: Handlers<Api["server"]> = {
  math: {
    add: ([a, b]) => a + b,
    trig: { sin: ([x]) => Promise.resolve(Math.sin(x)) },
  },
  greet: procedure(
    { input: z.object({ name: z.string() }) },
    ({ name }) => `hello ${name}`,
  ),
  count: async function* ([n]) {
    for (let i = 0; i < n; i++) yield i;
  },
  countTo: async function* ([n]) {
    for (let i = 0; i < n; i++) yield i;
    return "done";
  },
  slow: async () => {},
};

// Type-level checks: never executed, only compiled.
function typeChecks(caller: Caller): void {
  const api = remote<Api["server"]>(caller);
  const sum: Promise<number> = api.math.add(1, 2);
  const sin: Promise<number> = api.math.trig.sin(0);
  const hi: Promise<string> = api.greet({ name: "ada" });
  const stream: AsyncIterable<number> = api.count(3);
  const end: Promise<string> = api.countTo(3).result;
  const nothing: Promise<void> = api.slow(1);
  void [sum, sin, hi, stream, end, nothing];

  // @ts-expect-error: unknown procedure
  api.math.mul(1, 2);
  // @ts-expect-error: wrong argument type
  api.math.add("1", 2);
  // @ts-expect-error: missing argument
  api.math.add(1);
  // @ts-expect-error: the result is a number, not a string
  const wrong: Promise<string> = api.math.add(1, 2);
  // @ts-expect-error: a stream's items are numbers
  const wrongItems: AsyncIterable<string> = api.count(3);
  // @ts-expect-error: wrong field in an object argument
  api.greet({ nom: "ada" });
  void [wrong, wrongItems];

  const client = remote<Api["client"]>(caller);
  const ok: Promise<boolean> = client.confirm("sure?");
  // @ts-expect-error: the client does not offer math
  client.math.add(1, 2);
  void ok;
}

function handlerChecks(): void {
  const registry = new Registry();
  implement<Api["server"]>(registry, handlers);
  implement<Api["client"]>(registry, { confirm: ([q]) => q.length > 0 });
  // @ts-expect-error: a handler returning the wrong type
  implement<Api["client"]>(registry, { confirm: ([q]) => q });
  // @ts-expect-error: an extra procedure the contract does not have
  implement<Api["client"]>(registry, { confirm: () => true, extra: () => 1 });
  // @ts-expect-error: a missing procedure
  implement<Api["client"]>(registry, {});
  // @ts-expect-error: argument types are checked
  implement<Api["client"]>(registry, { confirm: ([q]: [number]) => q > 0 });
  implement<Api["server"]>(registry, {
    ...handlers,
    // @ts-expect-error: a schema that accepts the wrong input for the contract
    greet: procedure({ input: v.object({ name: v.number() }) }, ({ name }) => `${name}`),
  });
  implement<Api["server"]>(registry, {
    ...handlers,
    math: {
      ...handlers.math,
      // @ts-expect-error: add must return a number
      add: ([a, b]) => [a, b],
    },
  });
  // @ts-expect-error: the contract's side is required (no inference from the handlers)
  implement(registry, { anything: () => 1 });
}

function topicChecks(subscribe: TypedSubscribe<Api["topics"]>): void {
  subscribe("chat.message", (event) => event.text.toUpperCase());
  subscribe("ticks", (n) => n.toFixed(1));
  // @ts-expect-error: unknown topic
  subscribe("chat.mesage", () => {});
  // @ts-expect-error: wrong event type
  subscribe("ticks", (n: string) => n);
}

function inferChecks(): void {
  const defined = {
    double: procedure({ input: v.number(), output: v.number() }, (n) => n * 2),
    tag: ([label, n]: [string, number]) => `${label}${n}`,
  };
  type Inferred = InferProcedures<typeof defined>;
  const api = remote<Inferred>(undefined as unknown as Caller);
  const twice: Promise<number> = api.double(2);
  const tagged: Promise<string> = api.tag("a", 1);
  // @ts-expect-error: inferred from the valibot schema: a number
  api.double("2");
  void [twice, tagged];
}

describe("contract types", () => {
  it("implement() registers handlers under dotted names", () => {
    const registry = new Registry();
    implement<Api["server"]>(registry, handlers);
    assert.deepEqual(registry.names().sort(), [
      "count",
      "countTo",
      "greet",
      "math.add",
      "math.trig.sin",
      "slow",
    ]);
    assert.equal(typeof typeChecks, "function");
    assert.equal(typeof handlerChecks, "function");
    assert.equal(typeof topicChecks, "function");
    assert.equal(typeof inferChecks, "function");
  });
});
