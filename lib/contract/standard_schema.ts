/**
 * The Standard Schema v1 interface (https://standardschema.dev), written out from the
 * specification so that zod, valibot, arktype and any other compliant validator plug in
 * without an adapter or a dependency, plus {@linkcode validate}, which turns a failure into a
 * JSON-RPC -32602 error carrying the validator's issues.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";

/**
 * A schema of any Standard Schema compliant library.
 *
 * @typeParam Input What the schema accepts.
 * @typeParam Output What it produces after validation (and transforms).
 * @example A hand-written schema (types only)
 * ```ts
 * import type { StandardSchemaV1 } from "./standard_schema.ts";
 * const positive: StandardSchemaV1<number> = {
 *   "~standard": {
 *     version: 1,
 *     vendor: "example",
 *     validate: (v) =>
 *       typeof v === "number" && v > 0 ? { value: v } : { issues: [{ message: "not > 0" }] },
 *   },
 * };
 * if (positive["~standard"].version !== 1) throw new Error("unreachable");
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

/** The types that go with {@linkcode StandardSchemaV1}. */
export declare namespace StandardSchemaV1 {
  /** The `~standard` property. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the specification: 1. */
    readonly version: 1;
    /** The library that made the schema. */
    readonly vendor: string;
    /** Validate a value: a result, or a promise of one. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** Inferred types (present for type inference only). */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** A validation result. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** Validation succeeded. */
  export interface SuccessResult<Output> {
    /** The validated (possibly transformed) value. */
    readonly value: Output;
    /** Absent on success. */
    readonly issues?: undefined;
  }
  /** Validation failed. */
  export interface FailureResult {
    /** What is wrong. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem found. */
  export interface Issue {
    /** A description of the problem. */
    readonly message: string;
    /** Where it is in the value. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment given as an object. */
  export interface PathSegment {
    /** The key. */
    readonly key: PropertyKey;
  }
  /** The inferred input and output types. */
  export interface Types<Input = unknown, Output = Input> {
    /** The input type. */
    readonly input: Input;
    /** The output type. */
    readonly output: Output;
  }
  /** The input type of a schema. */
  export type InferInput<S extends StandardSchemaV1> = NonNullable<
    S["~standard"]["types"]
  >["input"];
  /** The output type of a schema. */
  export type InferOutput<S extends StandardSchemaV1> = NonNullable<
    S["~standard"]["types"]
  >["output"];
}

/**
 * One issue as it travels in `error.data.issues`: the message and the path as strings and
 * numbers.
 *
 * @example Types only
 * ```ts
 * import type { WireIssue } from "./standard_schema.ts";
 * const issue: WireIssue = { message: "Expected number", path: ["a"] };
 * if (issue.path[0] !== "a") throw new Error("unreachable");
 * ```
 */
export interface WireIssue {
  /** The validator's message. */
  readonly message: string;
  /** Keys from the root of the validated value; empty for the value itself. */
  readonly path: readonly (string | number)[];
}

/**
 * Validate a value with a Standard Schema.
 *
 * @param schema The schema.
 * @param value The value.
 * @param where What is validated, for the error (`"params"` or `"result"`).
 * @returns The validated value (sync when the validator is), or throws / rejects with an
 * {@linkcode RpcError}: -32602 with `data: { issues }` for params, -32603 for a result.
 * @example Invalid params give -32602 with the issues
 * ```ts
 * import { validate, type StandardSchemaV1 } from "./standard_schema.ts";
 * import { RpcError } from "../protocol/errors.ts";
 * const num: StandardSchemaV1<number> = { "~standard": { version: 1, vendor: "x",
 *   validate: (v) => typeof v === "number" ? { value: v } : { issues: [{ message: "NaN" }] } } };
 * let error: unknown;
 * try { validate(num, "a", "params"); } catch (e) { error = e; }
 * if (!(error instanceof RpcError) || error.code !== -32602) throw new Error("unreachable");
 * ```
 */
export function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  where: "params" | "result",
): StandardSchemaV1.InferOutput<S> | Promise<StandardSchemaV1.InferOutput<S>> {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) {
    return result.then((r) => unwrap<StandardSchemaV1.InferOutput<S>>(r, where));
  }
  return unwrap<StandardSchemaV1.InferOutput<S>>(result, where);
}

/**
 * Whether a value is a Standard Schema.
 *
 * @param value Anything.
 * @returns True if it has a `~standard` property with version 1 and a validate function.
 * @example
 * ```ts
 * import { isStandardSchema } from "./standard_schema.ts";
 * if (isStandardSchema({})) throw new Error("unreachable");
 * ```
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as { "~standard"?: { version?: unknown; validate?: unknown } })[
    "~standard"
  ];
  return props?.version === 1 && typeof props.validate === "function";
}

function unwrap<T>(result: StandardSchemaV1.Result<unknown>, where: "params" | "result"): T {
  if (result.issues === undefined) return result.value as T;
  const issues = result.issues.map(toWireIssue);
  if (where === "params") {
    throw new RpcError(ErrorCode.InvalidParams, "Invalid params", { issues });
  }
  // A result that fails its own schema is the server's bug: the caller learns nothing more.
  throw new RpcError(ErrorCode.InternalError, "Internal error", undefined, {
    cause: new TypeError(`Switchboard: result failed its output schema`, { cause: issues }),
  });
}

function toWireIssue(issue: StandardSchemaV1.Issue): WireIssue {
  const path = (issue.path ?? []).map((segment) => {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    return typeof key === "number" ? key : String(key);
  });
  return { message: String(issue.message), path };
}
