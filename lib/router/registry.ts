/**
 * The procedure registry: names to handlers, with optional parameter names so one handler
 * serves calls by position and by name.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { isReserved, RESERVED_PREFIX } from "../protocol/methods.ts";
import type { Params } from "../protocol/types.ts";
import type { Procedure } from "./context.ts";
import type { Middleware } from "./middleware.ts";

export type { CallContext, ConnectionInfo, Procedure, RemoteCaller } from "./context.ts";

/**
 * How a procedure wants its params.
 *
 * - No options: params arrive as sent (array, object, or `undefined`).
 * - `params: ["a", "b"]`: the names of the positional params. With `shape: "array"` (the
 *   default when names are given) a call by name is turned into an array in that order; with
 *   `shape: "object"` a call by position is turned into an object with those keys. A call
 *   with more positions than names, or a name not listed, gets -32602.
 *
 * @example One handler for `subtract(42, 23)` and `subtract({ minuend: 42, subtrahend: 23 })`
 * ```ts
 * import { Registry } from "./registry.ts";
 * const registry = new Registry();
 * registry.register("subtract", ([a, b]: number[]) => a! - b!, {
 *   params: ["minuend", "subtrahend"],
 * });
 * const entry = registry.get("subtract")!;
 * const shaped = entry.adapt({ subtrahend: 23, minuend: 42 }) as number[];
 * if (shaped[0] !== 42 || shaped[1] !== 23) throw new Error("unreachable");
 * ```
 */
export interface ProcedureOptions {
  /** Names of the params, in positional order. */
  readonly params?: readonly string[];
  /** Which shape the handler receives; needs `params` to convert. */
  readonly shape?: "array" | "object";
  /**
   * Reveal the message of an `Error` this procedure throws (not an {@linkcode RpcError}) as
   * the `data` of its `-32603 Internal error`; overrides the server-wide `exposeErrors`
   * either way. Default: the server's (or client's) `exposeErrors`.
   */
  readonly exposeErrors?: boolean;
  /** What `rpc.discover` shows of the procedure (description, params and result schemas). */
  readonly info?: ProcedureInfo;
}

/**
 * What discovery (`rpc.discover`, an OpenRPC document) shows of a procedure: OpenRPC content
 * descriptors whose `schema` is a JSON Schema.
 *
 * @example Types only
 * ```ts
 * import type { ProcedureInfo } from "./registry.ts";
 * const info: ProcedureInfo = {
 *   description: "Adds two numbers",
 *   params: [{ name: "a", schema: { type: "number" } }, { name: "b", schema: { type: "number" } }],
 *   result: { name: "sum", schema: { type: "number" } },
 * };
 * if (info.params?.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface ProcedureInfo {
  /** A description. */
  readonly description?: string;
  /** OpenRPC content descriptors of the params. */
  readonly params?: readonly { readonly name: string; readonly schema?: unknown }[];
  /** OpenRPC content descriptor of the result. */
  readonly result?: { readonly name: string; readonly schema?: unknown };
}

/**
 * A registered procedure with its params adapter.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * r.register("echo", (p) => p);
 * if (r.get("echo")?.name !== "echo") throw new Error("unreachable");
 * ```
 */
export interface RegisteredProcedure {
  /** The method name. */
  readonly name: string;
  /** The handler. */
  readonly handler: Procedure<never>;
  /** A protocol (`rpc.`) method: middleware does not wrap it. */
  readonly reserved: boolean;
  /** The procedure's own `exposeErrors` option, when set. */
  readonly exposeErrors?: boolean | undefined;
  /** What discovery shows of it (option `info`). */
  readonly info?: ProcedureInfo | undefined;
  /**
   * Shape incoming params for the handler.
   *
   * @throws {RpcError} -32602 when the params cannot be shaped.
   */
  adapt(params: Params | undefined): Params | undefined;
}

/**
 * Finds a procedure that is not registered by name: see {@linkcode Registry.setFallback}.
 *
 * @example Types only
 * ```ts
 * import type { ProcedureResolver } from "./registry.ts";
 * const none: ProcedureResolver = () => undefined;
 * if (none("x") !== undefined) throw new Error("unreachable");
 * ```
 */
export type ProcedureResolver = (name: string) => RegisteredProcedure | undefined;

/**
 * A map of method names to procedures, optionally falling back to a parent registry (a
 * connection's own procedures first, then the server's).
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const shared = new Registry();
 * shared.register("ping", () => "pong");
 * const own = new Registry(shared);
 * if (own.get("ping") === undefined) throw new Error("falls back to the parent");
 * ```
 */
export class Registry {
  readonly #procedures = new Map<string, RegisteredProcedure>();
  readonly #parent: Registry | undefined;
  #middleware: readonly Middleware[] = [];
  #fallback: ProcedureResolver | undefined;
  // The last name found in the maps of this registry and its parents: a server answers the
  // same few methods over and over, and comparing a short string beats hashing it. Valid
  // while no registry has changed since (see `generation`).
  #lastName: string | undefined;
  #lastFound: RegisteredProcedure | undefined;
  #lastGeneration = -1;

  /** @param parent A registry to consult for names this one lacks. */
  constructor(parent?: Registry) {
    this.#parent = parent;
  }

  /**
   * Set (or clear) a resolver consulted last, after this registry and its parent: procedures
   * that are not registered one by one, such as those a hub routes to its clients.
   *
   * @param resolver Returns the procedure for a name, or `undefined`.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const shared = new Registry();
   * const echo = new Registry();
   * echo.register("echo", (p) => p);
   * shared.setFallback((name) => echo.get(name));
   * if (!new Registry(shared).has("echo")) throw new Error("the fallback is seen by children");
   * ```
   */
  setFallback(resolver: ProcedureResolver | undefined): void {
    this.#fallback = resolver;
  }

  /**
   * Register (or replace) a procedure.
   *
   * @param name The method name. Names starting with `rpc.` are reserved for the protocol.
   * @param handler The procedure.
   * @param options How it takes its params.
   * @returns A function that unregisters it (if it is still the one registered).
   * @throws {TypeError} If the name is empty or reserved, or the options are inconsistent.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry();
   * const off = r.register("sum", (p: number[]) => p.reduce((a, b) => a + b, 0));
   * off();
   * if (r.get("sum") !== undefined) throw new Error("unreachable");
   * ```
   */
  register<P = Params | undefined>(
    name: string,
    handler: Procedure<P>,
    options?: ProcedureOptions,
  ): () => void {
    assertMethodName(name);
    return this.registerReserved(name, handler, options);
  }

  /**
   * Register without the `rpc.` check: for the protocol's own extension methods.
   *
   * @param name The method name.
   * @param handler The procedure.
   * @param options How it takes its params.
   * @returns A function that unregisters it.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry();
   * r.registerReserved("rpc.ping", () => "pong");
   * if (!r.has("rpc.ping")) throw new Error("unreachable");
   * ```
   */
  registerReserved<P = Params | undefined>(
    name: string,
    handler: Procedure<P>,
    options?: ProcedureOptions,
  ): () => void {
    if (typeof handler !== "function") throw notAFunction(name, handler);
    const entry: RegisteredProcedure = {
      name,
      handler: handler as Procedure<never>,
      reserved: isReserved(name),
      adapt: makeAdapter(name, options),
      exposeErrors: checkExpose(name, options?.exposeErrors),
      info: options?.info,
    };
    this.#procedures.set(name, entry);
    generation++;
    return () => {
      if (this.#procedures.get(name) === entry) {
        this.#procedures.delete(name);
        generation++;
      }
    };
  }

  /**
   * Add middleware around every procedure found through this registry (see
   * lib/router/middleware.ts for the order).
   *
   * @param middleware The middleware; runs inside those added before it.
   * @returns A function that removes it.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry();
   * const off = r.use(async (_ctx, next) => await next());
   * if (r.middleware.length !== 1) throw new Error("unreachable");
   * off();
   * ```
   */
  use(middleware: Middleware): () => void {
    if (typeof middleware !== "function") {
      throw new TypeError("Switchboard: middleware must be a function");
    }
    this.#middleware = [...this.#middleware, middleware];
    return () => {
      this.#middleware = this.#middleware.filter((m) => m !== middleware);
    };
  }

  /** The middleware chain, outermost first: the parent's, then this registry's own. */
  get middleware(): readonly Middleware[] {
    const parent = this.#parent?.middleware;
    if (parent === undefined || parent.length === 0) return this.#middleware;
    if (this.#middleware.length === 0) return parent;
    return [...parent, ...this.#middleware];
  }

  /**
   * Remove a procedure.
   *
   * @param name The method name.
   * @returns Whether it was registered here.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry();
   * r.register("x", () => 1);
   * if (!r.unregister("x") || r.unregister("x")) throw new Error("unreachable");
   * ```
   */
  unregister(name: string): boolean {
    generation++;
    return this.#procedures.delete(name);
  }

  /**
   * Find a procedure here or in the parent.
   *
   * @param name The method name.
   * @returns The procedure, or `undefined`.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * if (new Registry().get("missing") !== undefined) throw new Error("unreachable");
   * ```
   */
  get(name: string): RegisteredProcedure | undefined {
    if (name === this.#lastName && this.#lastGeneration === generation) return this.#lastFound;
    // Every map of the chain comes before every fallback: a name found in one is cacheable.
    const found = this.#find(name);
    if (found !== undefined) {
      this.#lastName = name;
      this.#lastFound = found;
      this.#lastGeneration = generation;
      return found;
    }
    return this.#resolve(name);
  }

  /** Look a name up in the maps of this registry and its parents. */
  #find(name: string): RegisteredProcedure | undefined {
    const parent = this.#parent;
    return this.#procedures.get(name) ?? (parent === undefined ? undefined : parent.#find(name));
  }

  /** Ask the fallbacks, the root's first (the order of nested `get` calls). */
  #resolve(name: string): RegisteredProcedure | undefined {
    const parent = this.#parent;
    return (parent === undefined ? undefined : parent.#resolve(name)) ?? this.#fallback?.(name);
  }

  /**
   * Whether a procedure of that name is visible here.
   *
   * @param name The method name.
   * @returns True if {@linkcode Registry.get} would find it.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * if (new Registry().has("x")) throw new Error("unreachable");
   * ```
   */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * Names registered here (not in the parent), in registration order.
   *
   * @returns The names.
   * @example
   * ```ts
   * import { Registry } from "./registry.ts";
   * const r = new Registry();
   * r.register("a", () => 1);
   * if (r.names()[0] !== "a") throw new Error("unreachable");
   * ```
   */
  names(): string[] {
    return [...this.#procedures.keys()];
  }
}

/** Bumped by every change to any registry's procedures: it invalidates the lookup caches. */
let generation = 0;

function assertMethodName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("Switchboard: a procedure name must be a non-empty string");
  }
  if (isReserved(name)) {
    throw new TypeError(
      `Switchboard: procedure names starting with "${RESERVED_PREFIX}" are reserved: ${name}`,
    );
  }
}

/** The error for a handler that is not a function, with a hint for `procedure()` objects. */
function notAFunction(name: string, handler: unknown): TypeError {
  const kind = (handler as { kind?: unknown } | null | undefined)?.kind;
  if (kind === "switchboard.procedure") {
    return new TypeError(
      `Switchboard: procedure ${name} must be a function: got a procedure({ input }) object, ` +
        `which only implement() takes: implement<Api>(sb, { ${
          JSON.stringify(name)
        }: procedure(…) })`,
    );
  }
  const got = handler === null ? "null" : typeof handler;
  return new TypeError(`Switchboard: procedure ${name} must be a function: got ${got}`);
}

function checkExpose(name: string, expose: unknown): boolean | undefined {
  if (expose === undefined || typeof expose === "boolean") return expose;
  throw new TypeError(`Switchboard: exposeErrors of procedure ${name} must be a boolean`);
}

function identity(params: Params | undefined): Params | undefined {
  return params;
}

function makeAdapter(
  name: string,
  options: ProcedureOptions | undefined,
): (params: Params | undefined) => Params | undefined {
  const names = options?.params;
  const shape = options?.shape;
  if (names === undefined) {
    if (shape !== undefined) {
      throw new TypeError(`Switchboard: procedure ${name} sets shape without params names`);
    }
    return identity;
  }
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
    throw new TypeError(`Switchboard: params of procedure ${name} must be an array of names`);
  }
  const known = new Set(names);
  if (shape === "object") {
    return (params) => {
      if (params === undefined) return {};
      if (!Array.isArray(params)) {
        for (const key of Object.keys(params)) checkName(known, key);
        return params;
      }
      if (params.length > names.length) throw tooMany(names.length, params.length);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < params.length; i++) out[names[i]!] = params[i];
      return out;
    };
  }
  return (params) => {
    if (params === undefined) return [];
    if (Array.isArray(params)) {
      if (params.length > names.length) throw tooMany(names.length, params.length);
      return params;
    }
    const byName = params as Readonly<Record<string, unknown>>;
    for (const key of Object.keys(byName)) checkName(known, key);
    return names.map((n) => byName[n]);
  };
}

function checkName(known: ReadonlySet<string>, key: string): void {
  if (!known.has(key)) {
    throw new RpcError(ErrorCode.InvalidParams, "Invalid params", `Unknown parameter: ${key}`);
  }
}

function tooMany(expected: number, got: number): RpcError {
  return new RpcError(
    ErrorCode.InvalidParams,
    "Invalid params",
    `Expected at most ${expected} positional parameters: got ${got}`,
  );
}
