/**
 * What both entry points export: the protocol's types, errors and limits, the codecs, and the
 * typed contract (which serves and calls in both directions). `mod.ts` (client) and
 * `server.ts` re-export this module; it is browser-safe.
 *
 * @example
 * ```ts
 * import { ErrorCode, jsonCodec } from "./shared.ts";
 * if (ErrorCode.MethodNotFound !== -32601 || jsonCodec.name !== "json") throw new Error();
 * ```
 *
 * @module
 */

export type { Codec } from "./codec/codec.ts";
export { jsonCodec } from "./codec/json.ts";
export { createSuperjsonCodec, superjsonCodec } from "./codec/superjson.ts";
export { DEFAULT_FRAMING, type FramingOptions } from "./framing/wire.ts";
export { ErrorCode, RpcError } from "./protocol/errors.ts";
export { DEFAULT_LIMITS, type Limits } from "./protocol/limits.ts";
export type * from "./protocol/types.ts";
export type {
  Contract,
  Handler,
  Handlers,
  InferProcedures,
  Procedures,
  ProcedureSignature,
  Remote,
  Reply,
  SchemaProcedure,
  StreamReply,
  TypedPublish,
  TypedSubscribe,
} from "./contract/contract.ts";
export { implement, procedure, type Registrar } from "./contract/implement.ts";
export { type Caller, remote } from "./contract/remote.ts";
export { jsonSchemaOf } from "./contract/json_schema.ts";
export type { StandardSchemaV1, WireIssue } from "./contract/standard_schema.ts";
export type { StreamCall } from "./peer/stream_call.ts";
export type { Middleware, MiddlewareContext } from "./router/middleware.ts";
export type {
  CallContext,
  ConnectionInfo,
  Procedure,
  ProcedureInfo,
  ProcedureOptions,
} from "./router/registry.ts";
