/**
 * The contract: one TypeScript type that describes both sides of a connection.
 *
 * ```ts ignore
 * interface Api {
 *   server: {                          // what the server offers
 *     math: { add(a: number, b: number): number };   // called as "math.add"
 *     count(n: number): AsyncIterable<number>;       // a streamed result
 *   };
 *   client: { confirm(question: string): boolean };  // what each client offers
 *   topics: { "chat.message": { from: string; text: string } };
 * }
 * ```
 *
 * Procedures are method signatures; nested objects are namespaces joined with dots. A
 * procedure that returns an `AsyncIterable<T>` (or `AsyncGenerator<T, R>`) streams. No code
 * is generated: the server checks its handlers against the contract with
 * {@linkcode Handlers} (`implement()`), callers get a {@linkcode Remote} proxy (`remote()`).
 *
 * @module
 */

import type { CallContext } from "../router/registry.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * A procedure signature, as written in a contract.
 *
 * @example Types only
 * ```ts
 * import type { ProcedureSignature } from "./contract.ts";
 * const add: ProcedureSignature = (a: number, b: number) => a + b;
 * if (typeof add !== "function") throw new Error("unreachable");
 * ```
 */
export type ProcedureSignature = (...args: never[]) => unknown;

/**
 * A namespace of procedures: signatures, or nested namespaces.
 *
 * @example Types only
 * ```ts
 * import type { Procedures } from "./contract.ts";
 * type Math = { add(a: number, b: number): number; trig: { sin(x: number): number } };
 * const ok: Procedures extends Procedures ? true : false = true;
 * if (!ok) throw new Error("unreachable");
 * ```
 */
export interface Procedures {
  readonly [name: string]: ProcedureSignature | Procedures;
}

/**
 * The whole contract: the server's procedures, the client's procedures, the topics.
 *
 * @example Types only
 * ```ts
 * import type { Contract } from "./contract.ts";
 * interface Api extends Contract {
 *   server: { add(a: number, b: number): number };
 *   client: { ping(): string };
 *   topics: { ticks: number };
 * }
 * const topic: keyof Api["topics"] = "ticks";
 * if (topic !== "ticks") throw new Error("unreachable");
 * ```
 */
export interface Contract {
  /** Procedures the server offers to every client. */
  readonly server?: object;
  /** Procedures each client offers to the server. */
  readonly client?: object;
  /** Topics by name, each with the type of its events. */
  readonly topics?: object;
}

/**
 * The item type of a streaming return type, or `never` for a plain one.
 *
 * @example Types only
 * ```ts
 * import type { StreamItem } from "./contract.ts";
 * const item: StreamItem<AsyncIterable<number>> = 1;
 * if (item !== 1) throw new Error("unreachable");
 * ```
 */
export type StreamItem<R> = R extends AsyncIterable<infer T> ? T : never;

/**
 * The final result of a streaming return type: an async generator's return value, else
 * `null` (what the wire carries for "nothing").
 *
 * @example Types only
 * ```ts
 * import type { StreamResult } from "./contract.ts";
 * const end: StreamResult<AsyncGenerator<number, string>> = "done";
 * if (end !== "done") throw new Error("unreachable");
 * ```
 */
export type StreamResult<R> = R extends AsyncGenerator<unknown, infer Return, never>
  ? (unknown extends Return ? null : void extends Return ? null : Return)
  : null;

/**
 * What a typed call of a streaming procedure returns: iterate it at once (`for await`) to
 * receive the items as they come, with back-pressure; `result` is the final response. A
 * reply that is not iterated in the same tick it was made is sent as a plain call, and its
 * items arrive collected (iterating it later walks that array).
 *
 * @example Types only
 * ```ts
 * import type { StreamReply } from "./contract.ts";
 * async function sum(reply: StreamReply<number, null>): Promise<number> {
 *   let total = 0;
 *   for await (const n of reply) total += n;
 *   return total;
 * }
 * if (typeof sum !== "function") throw new Error("unreachable");
 * ```
 */
export interface StreamReply<T, R> extends AsyncIterable<T> {
  /** The final response's result. */
  readonly result: Promise<R>;
}

/**
 * What a typed call returns: a promise of the result, or for a streaming procedure a
 * {@linkcode StreamReply} of its items.
 *
 * @example Types only
 * ```ts
 * import type { Reply } from "./contract.ts";
 * const reply: Reply<number> = Promise.resolve(3);
 * if ((await reply) !== 3) throw new Error("unreachable");
 * ```
 */
export type Reply<R> = R extends AsyncIterable<unknown>
  ? StreamReply<StreamItem<R>, StreamResult<R>>
  : Promise<Awaited<R>>;

/**
 * The typed proxy of a side's procedures: `api.math.add(1, 2)` calls `"math.add"` with
 * params `[1, 2]` and returns `Promise<number>`.
 *
 * @example Types only
 * ```ts
 * import type { Remote } from "./contract.ts";
 * type Api = { math: { add(a: number, b: number): number } };
 * const call = (api: Remote<Api>): Promise<number> => api.math.add(1, 2);
 * if (typeof call !== "function") throw new Error("unreachable");
 * ```
 */
export type Remote<P> = {
  readonly [K in keyof P]: P[K] extends (...args: infer A) => infer R ? (...args: A) => Reply<R>
    : Remote<P[K]>;
};

/**
 * A handler for a contract procedure: takes the arguments as a tuple (the JSON-RPC params
 * array) and the call context, returns the result, a promise of it, or for a streaming
 * procedure an async iterable (an `async function*`).
 *
 * @example Types only
 * ```ts
 * import type { Handler } from "./contract.ts";
 * const add: Handler<[a: number, b: number], number> = ([a, b]) => a + b;
 * if (add([1, 2], undefined as never) !== 3) throw new Error("unreachable");
 * ```
 */
export type Handler<A extends readonly unknown[], R> = (
  args: A,
  ctx: CallContext,
) => R extends AsyncIterable<unknown> ? R : R | Promise<R>;

/**
 * A procedure with schemas (from `procedure()`): its handler takes the validated input.
 * It fits a contract procedure of exactly one argument whose type the input schema accepts,
 * returning what the contract says.
 *
 * @typeParam I The input the schema accepts (what callers send).
 * @typeParam R The result (an async iterable for a streaming procedure).
 * @example Types only
 * ```ts
 * import type { SchemaProcedure } from "./contract.ts";
 * type P = SchemaProcedure<{ a: number }, number>;
 * const ok: P["kind"] = "switchboard.procedure";
 * if (ok !== "switchboard.procedure") throw new Error("unreachable");
 * ```
 */
export interface SchemaProcedure<I, R> {
  /** Marks a schema procedure. */
  readonly kind: "switchboard.procedure";
  /** The handler, taking the validated input (runtime use). */
  readonly handler: (input: never, ctx: CallContext) => unknown;
  /** Validates the one argument. */
  readonly input: StandardSchemaV1;
  /** Validates the result (not the items of a stream). */
  readonly output: StandardSchemaV1 | undefined;
  /** What `rpc.discover` says the procedure does. */
  readonly description?: string | undefined;
  /** Type-level only: what the procedure accepts and returns. */
  readonly types?: { readonly accepts: (input: I) => void; readonly returns: R } | undefined;
}

/** The result type a contract procedure's handler must produce (promises unwrapped). */
export type Produces<R> = R extends AsyncIterable<unknown> ? R : Awaited<R>;

/**
 * What implementing a side of a contract takes: one handler per procedure, namespaces
 * nested. Missing procedures, extra names and wrong types are compile errors.
 *
 * @example Types only
 * ```ts
 * import type { Handlers } from "./contract.ts";
 * type Api = { math: { add(a: number, b: number): number } };
 * const handlers: Handlers<Api> = { math: { add: ([a, b]) => a + b } };
 * if (typeof handlers.math.add !== "function") throw new Error("unreachable");
 * ```
 */
export type Handlers<P> = {
  readonly [K in keyof P]: P[K] extends (...args: infer A) => infer R ?
      | Handler<A, R>
      | (A extends readonly [infer I] ? SchemaProcedure<I, Produces<R>> : never)
    : Handlers<P[K]>;
};

/**
 * A typed `subscribe` over a contract's topics: the handler receives the topic's event type.
 * Topics are delivered by the pub/sub layer (lib/pubsub); this is the signature it plugs into.
 *
 * @example Types only
 * ```ts
 * import type { TypedSubscribe } from "./contract.ts";
 * type Topics = { ticks: number };
 * const subscribe: TypedSubscribe<Topics> = (_topic, _handler) => () => {};
 * subscribe("ticks", (n) => n.toFixed());
 * ```
 */
export type TypedSubscribe<T> = <K extends keyof T & string>(
  topic: K,
  handler: (event: T[K]) => void,
) => () => void;

/**
 * A typed publish over a contract's topics.
 *
 * @example Types only
 * ```ts
 * import type { TypedPublish } from "./contract.ts";
 * type Topics = { ticks: number };
 * const publish: TypedPublish<Topics> = (_topic, _event) => 0;
 * publish("ticks", 1);
 * ```
 */
export type TypedPublish<T> = <K extends keyof T & string>(topic: K, event: T[K]) => number;

/**
 * The contract procedures implemented by a handlers object: write handlers first (with
 * schemas), derive the contract from them.
 *
 * @example Types only
 * ```ts
 * import type { InferProcedures } from "./contract.ts";
 * const handlers = { add: ([a, b]: [number, number]) => a + b };
 * type Api = InferProcedures<typeof handlers>;
 * const sig: Api["add"] = (a, b) => a - b;
 * if (sig(3, 1) !== 2) throw new Error("unreachable");
 * ```
 */
export type InferProcedures<H> = {
  -readonly [K in keyof H]: H[K] extends SchemaProcedure<infer I, infer R> ? (input: I) => R
    : H[K] extends (args: infer A, ctx: CallContext) => infer R
      ? (...args: A extends readonly unknown[] ? A : [A]) => Produces<R>
    : InferProcedures<H[K]>;
};

/** The server side of a contract. */
export type ServerOf<C extends Contract> = C["server"] extends object ? C["server"] : never;
/** The client side of a contract. */
export type ClientOf<C extends Contract> = C["client"] extends object ? C["client"] : never;
/** The topics of a contract. */
export type TopicsOf<C extends Contract> = C["topics"] extends object ? C["topics"] : never;
