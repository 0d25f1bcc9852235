/**
 * The typed proxy of the other side's procedures: `remote<Api["server"]>(client)` on the
 * client, `remote<Api["client"]>(peer)` on the server. Property access builds the dotted
 * method name; calling it sends the arguments as the params array.
 *
 * @module
 */

import type { CallOptions, StreamOptions } from "../peer/peer.ts";
import type { Params } from "../protocol/types.ts";
import type { Remote } from "./contract.ts";

/**
 * What a proxy calls through: a Client, a Peer (the server's view of a client), or
 * `ctx.peer` inside a procedure.
 *
 * @example
 * ```ts
 * import type { Caller } from "./remote.ts";
 * import { Peer } from "../peer/peer.ts";
 * const caller: Caller = new Peer({ send() {}, close() {} });
 * if (typeof caller.stream !== "function") throw new Error("unreachable");
 * ```
 */
export interface Caller {
  /** Call and await the result. */
  call(method: string, params?: Params, options?: CallOptions): Promise<unknown>;
  /** Call a streaming procedure. */
  stream(
    method: string,
    params?: Params,
    options?: StreamOptions,
  ): AsyncIterable<unknown> & { readonly result: Promise<unknown> };
}

/**
 * Build the typed proxy of the other side's procedures.
 *
 * Calls go out in the next microtask: a reply iterated at once (`for await (… of
 * api.count(5))`) is sent as `rpc.stream` and streams with back-pressure; any other reply is
 * a plain call. A method named `then` cannot be called through the proxy (it would make the
 * proxy look like a promise).
 *
 * @typeParam P The procedures of the other side (e.g. `Api["server"]`); required.
 * @param caller A Client or a Peer.
 * @param options Timeout, abort signal and stream credit for every call made through it.
 * @returns The proxy.
 * @example
 * ```ts
 * import { remote } from "./remote.ts";
 * import { Peer } from "../peer/peer.ts";
 * let a!: Peer, b!: Peer;
 * a = new Peer({ send: (f) => queueMicrotask(() => b.receive(f)), close() {} });
 * b = new Peer({ send: (f) => queueMicrotask(() => a.receive(f)), close() {} });
 * b.register("math.add", ([x, y]: number[]) => x! + y!);
 * const api = remote<{ math: { add(a: number, b: number): number } }>(a);
 * if ((await api.math.add(2, 3)) !== 5) throw new Error("unreachable");
 * ```
 */
export function remote<P = never>(caller: Caller, options?: StreamOptions): Remote<NoInfer<P>> {
  return namespace(caller, options, "") as Remote<P>;
}

function namespace(caller: Caller, options: StreamOptions | undefined, path: string): unknown {
  const children = new Map<string, unknown>();
  const target = (): void => {};
  return new Proxy(target, {
    get(_target, key) {
      if (typeof key !== "string" || key === "then") return undefined;
      let child = children.get(key);
      if (child === undefined) {
        child = namespace(caller, options, path === "" ? key : `${path}.${key}`);
        children.set(key, child);
      }
      return child;
    },
    apply(_target, _this, args: unknown[]) {
      if (path === "") throw new TypeError("Switchboard: call a procedure, not the proxy");
      return new LazyReply(caller, path, args.length === 0 ? undefined : args, options);
    },
  });
}

/**
 * A reply that is a real promise of a plain call unless iterated in the tick it was made,
 * in which case it is a stream.
 */
class LazyReply extends Promise<unknown> implements AsyncIterable<unknown> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #resolve!: (value: unknown) => void;
  #decided = false;
  #stream: (AsyncIterable<unknown> & { readonly result: Promise<unknown> }) | undefined;
  readonly #start: (stream: boolean) => void;

  constructor(
    caller: Caller,
    method: string,
    params: unknown[] | undefined,
    options?: StreamOptions,
  ) {
    let resolve!: (value: unknown) => void;
    super((res) => resolve = res);
    this.#resolve = resolve;
    this.#start = (stream) => {
      if (this.#decided) return;
      this.#decided = true;
      if (stream) {
        this.#stream = caller.stream(method, params, options);
        this.#resolve(this.#stream.result);
        // The stream's consumer sees its errors; the promise face must not be unhandled.
        this.catch(() => {});
      } else {
        this.#resolve(caller.call(method, params, options));
      }
    };
    queueMicrotask(() => this.#start(false));
  }

  /** The final result (the same as awaiting the reply). */
  get result(): Promise<unknown> {
    this.#start(false);
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    this.#start(true);
    if (this.#stream !== undefined) return this.#stream[Symbol.asyncIterator]();
    return collected(this);
  }
}

async function* collected(reply: Promise<unknown>): AsyncGenerator<unknown> {
  const value = await reply;
  if (Array.isArray(value)) yield* value;
  else yield value;
}
