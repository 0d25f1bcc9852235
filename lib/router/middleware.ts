/**
 * Middleware around procedures: auth, logging, rate limits.
 *
 * Middleware composes like Hono's, in an onion: the first registered runs first on the way
 * in and last on the way out. A server's middleware (registered on the Switchboard) wraps a
 * connection's own (registered on the Peer), which wraps the procedure. Input validation runs
 * inside the onion, just around the handler, so an auth check runs before any schema reveals
 * anything. Protocol methods (`rpc.*`) do not pass through middleware; a streamed call does,
 * under the name of the procedure it streams.
 *
 * @module
 */

import type { Params } from "../protocol/types.ts";
import type { CallContext } from "./context.ts";

/**
 * What middleware sees of a call: the call context plus the params as received.
 *
 * @example Types only
 * ```ts
 * import type { MiddlewareContext } from "./middleware.ts";
 * function describe(ctx: MiddlewareContext): string {
 *   return `${ctx.method}(${JSON.stringify(ctx.params)})`;
 * }
 * if (typeof describe !== "function") throw new Error("unreachable");
 * ```
 */
export interface MiddlewareContext extends CallContext {
  /** The params as received (before shaping and validation). */
  readonly params: Params | undefined;
}

/**
 * One middleware: do something, call `next()` to run the rest of the onion and the procedure,
 * and return the result. `next()` resolves with the procedure's result (for a streaming
 * procedure, the async iterable before any item is produced) and rejects with what it threw.
 * Returning `undefined` after calling `next()` keeps its result; throwing (an
 * {@linkcode RpcError} to choose the code) refuses the call; returning without calling
 * `next()` answers instead of the procedure.
 *
 * @example Refuse anonymous calls, time the rest
 * ```ts
 * import type { Middleware } from "./middleware.ts";
 * import { RpcError } from "../protocol/errors.ts";
 * const auth: Middleware = async (ctx, next) => {
 *   if (ctx.connection.data.user === undefined) throw new RpcError(-32010, "Unauthorized");
 *   return await next();
 * };
 * if (typeof auth !== "function") throw new Error("unreachable");
 * ```
 */
export type Middleware = (ctx: MiddlewareContext, next: () => Promise<unknown>) => unknown;

/**
 * Run a chain of middleware around a procedure call.
 *
 * @param chain The middleware, outermost first.
 * @param ctx The call.
 * @param call Runs the procedure.
 * @returns The result, as a promise (middleware is asynchronous by nature).
 * @example Order of an onion
 * ```ts
 * import { compose, type Middleware } from "./middleware.ts";
 * const log: string[] = [];
 * const mw = (name: string): Middleware => async (_ctx, next) => {
 *   log.push(`${name} in`);
 *   const result = await next();
 *   log.push(`${name} out`);
 *   return result;
 * };
 * const result = await compose([mw("a"), mw("b")], {} as never, () => {
 *   log.push("handler");
 *   return 42;
 * });
 * if (result !== 42 || log.join() !== "a in,b in,handler,b out,a out") throw new Error("order");
 * ```
 */
export function compose(
  chain: readonly Middleware[],
  ctx: MiddlewareContext,
  call: () => unknown,
): Promise<unknown> {
  let last = -1;
  const run = async (index: number): Promise<unknown> => {
    if (index <= last) throw new Error("Switchboard: next() called more than once");
    last = index;
    if (index === chain.length) return await call();
    let called = false;
    let inner: unknown;
    const returned = await chain[index]!(ctx, async () => {
      called = true;
      inner = await run(index + 1);
      return inner;
    });
    return returned === undefined && called ? inner : returned;
  };
  return run(0);
}
