/**
 * Implement a side of a contract: {@linkcode implement} registers one handler per contract
 * procedure (type-checked against the contract), {@linkcode procedure} builds a handler with
 * Standard Schema validation whose types come from the schemas.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import type { CallContext, Procedure, ProcedureOptions } from "../router/registry.ts";
import type { Handlers, Produces, SchemaProcedure } from "./contract.ts";
import { isStandardSchema, type StandardSchemaV1, validate } from "./standard_schema.ts";
import { schemaInfo } from "./json_schema.ts";

/**
 * Anything procedures can be registered on: a Switchboard (for every connection), a Peer
 * (one connection), a Client (procedures the server may call).
 *
 * @example
 * ```ts
 * import type { Registrar } from "./implement.ts";
 * import { Registry } from "../router/registry.ts";
 * const target: Registrar = new Registry();
 * if (typeof target.register !== "function") throw new Error("unreachable");
 * ```
 */
export interface Registrar {
  /** Register one procedure; returns a function that unregisters it. */
  register(
    name: string,
    handler: Procedure<Params | undefined>,
    options?: ProcedureOptions,
  ): () => void;
}

/**
 * Register the handlers of one side of a contract under dotted names (`math.add`).
 *
 * Each handler receives the params array as its first argument (a call by name, params
 * being one object, arrives as `[object]`, so a procedure of one object argument also serves
 * plain JSON-RPC calls by name). A schema procedure receives its validated input instead.
 *
 * @typeParam P The side of the contract (e.g. `Api["server"]`); required.
 * @param target Where to register: a Switchboard, a Peer, a Client.
 * @param handlers One handler per procedure, namespaces nested.
 * @returns A function that unregisters them all.
 * @example
 * ```ts
 * import { implement } from "./implement.ts";
 * import { Registry } from "../router/registry.ts";
 * interface Api { math: { add(a: number, b: number): number } }
 * const registry = new Registry();
 * implement<Api>(registry, { math: { add: ([a, b]) => a + b } });
 * const add = registry.get("math.add")!;
 * if (add.handler([2, 3] as never, {} as never) !== 5) throw new Error("unreachable");
 * ```
 */
export function implement<P = never>(
  target: Registrar,
  handlers: NoInfer<Handlers<P>>,
): () => void {
  const offs: (() => void)[] = [];
  walk(
    handlers as object,
    "",
    (name, entry, options) => offs.push(target.register(name, entry, options)),
  );
  return () => {
    for (const off of offs) off();
  };
}

/**
 * A procedure with Standard Schema validation (zod, valibot, arktype, …): the input schema
 * checks the one argument (invalid → -32602 with the validator's issues in `error.data`), an
 * optional output schema checks the result (a failure is the server's bug → -32603). The
 * handler's input type is the schema's output type. `rpc.discover` shows the JSON Schemas of
 * validators that implement Standard JSON Schema (zod 4), and the `description`.
 *
 * @param schemas `{ input, output?, description? }`.
 * @param handler Takes the validated input and the call context.
 * @returns A schema procedure for {@linkcode implement}.
 * @example
 * ```ts
 * import { procedure } from "./implement.ts";
 * import type { StandardSchemaV1 } from "./standard_schema.ts";
 * const name: StandardSchemaV1<string> = { "~standard": { version: 1, vendor: "x",
 *   validate: (v) => typeof v === "string" ? { value: v } : { issues: [{ message: "no" }] } } };
 * const greet = procedure({ input: name }, (who) => `hello ${who}`);
 * if (greet.kind !== "switchboard.procedure") throw new Error("unreachable");
 * ```
 */
export function procedure<S extends StandardSchemaV1, H>(
  schemas: { readonly input: S; readonly output?: undefined; readonly description?: string },
  handler: (input: StandardSchemaV1.InferOutput<S>, ctx: CallContext) => H,
): SchemaProcedure<StandardSchemaV1.InferInput<S>, Produces<H>>;
/**
 * A procedure with input and output schemas; its result type is the output schema's.
 *
 * @param schemas `{ input, output, description? }`.
 * @param handler Takes the validated input and the call context.
 * @returns A schema procedure for {@linkcode implement}.
 */
export function procedure<S extends StandardSchemaV1, O extends StandardSchemaV1>(
  schemas: { readonly input: S; readonly output: O; readonly description?: string },
  handler: (
    input: StandardSchemaV1.InferOutput<S>,
    ctx: CallContext,
  ) => StandardSchemaV1.InferInput<O> | Promise<StandardSchemaV1.InferInput<O>>,
): SchemaProcedure<StandardSchemaV1.InferInput<S>, StandardSchemaV1.InferOutput<O>>;
export function procedure(
  schemas: {
    readonly input: StandardSchemaV1;
    readonly output?: StandardSchemaV1 | undefined;
    readonly description?: string;
  },
  handler: (input: never, ctx: CallContext) => unknown,
): SchemaProcedure<unknown, unknown> {
  if (!isStandardSchema(schemas.input)) {
    throw new TypeError("Switchboard: procedure() needs a Standard Schema as input");
  }
  if (schemas.output !== undefined && !isStandardSchema(schemas.output)) {
    throw new TypeError("Switchboard: procedure() output must be a Standard Schema");
  }
  if (typeof handler !== "function") {
    throw new TypeError("Switchboard: procedure() needs a handler function");
  }
  return {
    kind: "switchboard.procedure",
    handler,
    input: schemas.input,
    output: schemas.output,
    description: schemas.description,
  };
}

function walk(
  handlers: object,
  prefix: string,
  register: (
    name: string,
    entry: Procedure<Params | undefined>,
    options?: ProcedureOptions,
  ) => void,
): void {
  for (const [key, value] of Object.entries(handlers)) {
    const name = prefix + key;
    if (typeof value === "function") {
      const fn = value as (args: unknown[], ctx: CallContext) => unknown;
      register(name, (params, ctx) => fn(asArgs(params), ctx));
    } else if (isSchemaProcedure(value)) {
      register(name, validating(name, value), { info: schemaInfo(value, value.description) });
    } else if (typeof value === "object" && value !== null) {
      walk(value, `${name}.`, register);
    } else {
      throw new TypeError(`Switchboard: handler ${name} must be a function or a namespace`);
    }
  }
}

function asArgs(params: Params | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : [params];
}

function validating(
  name: string,
  proc: SchemaProcedure<unknown, unknown>,
): Procedure<Params | undefined> {
  const handler = proc.handler as (input: unknown, ctx: CallContext) => unknown;
  const output = proc.output;
  return (params, ctx) => {
    let arg: unknown = params;
    if (Array.isArray(params)) {
      if (params.length > 1) {
        throw new RpcError(
          ErrorCode.InvalidParams,
          "Invalid params",
          `${name} takes one argument: got ${params.length}`,
        );
      }
      arg = params[0];
    }
    const input = validate(proc.input, arg, "params");
    const run = (value: unknown): unknown => {
      const result = handler(value, ctx);
      if (output === undefined) return result;
      return result instanceof Promise
        ? result.then((r) => validate(output, r, "result"))
        : validate(output, result, "result");
    };
    return input instanceof Promise ? input.then(run) : run(input);
  };
}

function isSchemaProcedure(value: unknown): value is SchemaProcedure<unknown, unknown> {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "switchboard.procedure";
}
