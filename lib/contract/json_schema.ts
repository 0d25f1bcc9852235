/**
 * JSON Schema for discovery (`rpc.discover`), derived from a Standard Schema validator that
 * also implements Standard JSON Schema (https://standardschema.dev: `~standard.jsonSchema`;
 * zod 4.2 and later do). Validators without it (valibot 1.x, whose converter is a separate
 * package) give `undefined`, and discovery shows `{}` (any value) for them.
 *
 * @module
 */

import type { ProcedureInfo } from "../router/registry.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/** The Standard JSON Schema converter a validator may carry next to `validate`. */
interface JsonSchemaConverter {
  readonly input: (options: { readonly target: string }) => Record<string, unknown>;
  readonly output: (options: { readonly target: string }) => Record<string, unknown>;
}

/**
 * The JSON Schema (draft 2020-12) of what a schema accepts (`input`) or produces (`output`),
 * when its validator can say.
 *
 * @param schema A Standard Schema.
 * @param direction `input` (what callers send) or `output` (what the procedure returns).
 * @returns The JSON Schema without its `$schema` member, or `undefined` when the validator
 * has no converter or its converter refuses the schema (a transform, a custom check).
 * @example A zod schema
 * ```ts
 * import { z } from "zod";
 * import { jsonSchemaOf } from "./json_schema.ts";
 * const schema = jsonSchemaOf(z.object({ a: z.number() }), "input") as { type?: string };
 * if (schema.type !== "object") throw new Error("unreachable");
 * ```
 */
export function jsonSchemaOf(
  schema: StandardSchemaV1,
  direction: "input" | "output",
): Record<string, unknown> | undefined {
  const converter = (schema["~standard"] as { jsonSchema?: unknown }).jsonSchema as
    | JsonSchemaConverter
    | undefined;
  if (typeof converter?.[direction] !== "function") return undefined;
  try {
    const { $schema: _, ...rest } = converter[direction]({ target: "draft-2020-12" });
    return rest;
  } catch {
    // A converter throws for what JSON Schema cannot express: show the param as any value.
    return undefined;
  }
}

/**
 * What discovery shows of a schema procedure: its one param `input` and its `result`, with
 * the JSON Schemas its validators give (`{}` where they give none).
 *
 * @param schemas The procedure's input and optional output schemas.
 * @param description Its description, if any.
 * @returns The procedure info for the registry.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { schemaInfo } from "./json_schema.ts";
 * const info = schemaInfo({ input: z.string() }, "Greets");
 * if ((info.params![0]!.schema as { type?: string }).type !== "string") throw new Error("x");
 * ```
 */
export function schemaInfo(
  schemas: { readonly input: StandardSchemaV1; readonly output?: StandardSchemaV1 | undefined },
  description?: string,
): ProcedureInfo {
  const result = schemas.output === undefined ? undefined : jsonSchemaOf(schemas.output, "output");
  return {
    ...(description === undefined ? {} : { description }),
    params: [{ name: "input", schema: jsonSchemaOf(schemas.input, "input") ?? {} }],
    result: { name: "result", schema: result ?? {} },
  };
}
