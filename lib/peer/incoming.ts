/**
 * Incoming dispatch: decode a frame, answer requests, run procedures inside the middleware
 * chain, reach the built-ins, settle responses to this side's calls, enforce the batch and
 * concurrency limits and the `authorize` gate.
 *
 * @module
 */

import { FrameError } from "../framing/frame.ts";
import { INCOMPLETE } from "../framing/wire.ts";
import { ErrorCode, RpcError, toErrorObject } from "../protocol/errors.ts";
import { asRequest, asResponse, classify, idOf, Kind } from "../protocol/guards.ts";
import { isReserved, Method } from "../protocol/methods.ts";
import type { ErrorObject, Id, Params, Request, Response } from "../protocol/types.ts";
import { compose, type Middleware } from "../router/middleware.ts";
import type { RegisteredProcedure } from "../router/registry.ts";
import { builtinOf } from "./builtins.ts";
import { type CallingPeer, RunningCall, RunningCalls } from "./cancel.ts";
import { closeLocally } from "./close.ts";
import { produce } from "./production.ts";
import type { PeerState } from "./state.ts";
import { isAsyncIterable, parseOpen } from "./stream.ts";

/**
 * What a message produced: a response, a batch of them, or nothing.
 *
 * @example Types only
 * ```ts
 * import type { Output } from "./incoming.ts";
 * const none: Output = undefined;
 * if (none !== undefined) throw new Error("unreachable");
 * ```
 */
export type Output = Response | Response[] | undefined;

type State = PeerState<CallingPeer>;

const NO_MIDDLEWARE: readonly Middleware[] = Object.freeze([]);

/**
 * Hand an incoming frame to a peer's state: decode it, dispatch it, send the answer.
 *
 * Oversize frames close the connection with 1009, binary frames with 1003 until binary is
 * negotiated, malformed binary frames with 1007 (docs/PROTOCOL.md §5); unparsable messages
 * are answered with -32700.
 *
 * @param state The peer's state.
 * @param frame The frame as received.
 * @param refusal When given (over a rate limit), requests get this error instead of running.
 * @example
 * ```ts
 * import { receiveFrame } from "./incoming.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const sent: string[] = [];
 * const transport = { send: (f: string | Uint8Array) => void sent.push(String(f)), close() {} };
 * receiveFrame(new PeerState(new Peer(transport), transport, settingsOf({})), "{ not json");
 * if (!sent[0]!.includes("-32700")) throw new Error("unreachable");
 * ```
 */
export function receiveFrame(
  state: State,
  frame: string | ArrayBuffer | Uint8Array,
  refusal?: ErrorObject,
): void {
  if (state.closeInfo !== undefined) return;
  let value: unknown;
  try {
    value = state.wire.decode(frame);
  } catch (error) {
    if (error instanceof FrameError) closeLocally(state, error.code, error.message);
    else state.sendMessage(errorResponse(null, ErrorCode.ParseError, "Parse error"));
    return;
  }
  if (value === INCOMPLETE) return;
  const output = refusal === undefined ? handleValue(state, value) : refuse(state, value, refusal);
  if (output === undefined) return;
  if (output instanceof Promise) {
    output.then((out) => out !== undefined && state.sendMessage(out));
  } else {
    state.sendMessage(output);
  }
}

/**
 * Process one decoded message or batch and return what to answer, without sending it.
 *
 * @param state The peer's state.
 * @param value A decoded message or batch array.
 * @returns The response, the batch of responses, nothing, or a promise of one of those.
 * @example
 * ```ts
 * import { handleValue } from "./incoming.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const transport = { send() {}, close() {} };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * const out = handleValue(state, { jsonrpc: "2.0", id: 1, method: "missing" });
 * if (!out || out instanceof Promise || Array.isArray(out)) throw new Error("unreachable");
 * if (!("error" in out) || out.error.code !== -32601) throw new Error("unreachable");
 * ```
 */
export function handleValue(state: State, value: unknown): Output | Promise<Output> {
  if (!Array.isArray(value)) return dispatch(state, value);
  if (value.length === 0) {
    return errorResponse(null, ErrorCode.InvalidRequest, "Invalid Request", "Empty batch");
  }
  const max = state.settings.limits.maxBatchSize;
  if (value.length > max) {
    return errorResponse(
      null,
      ErrorCode.InvalidRequest,
      "Invalid Request",
      `Batch of ${value.length} exceeds the limit of ${max}`,
    );
  }
  const outputs: (Response | undefined | Promise<Response | undefined>)[] = [];
  let async = false;
  for (const item of value) {
    const out = dispatch(state, item);
    if (out instanceof Promise) async = true;
    if (out !== undefined) outputs.push(out);
  }
  if (!async) return collectResponses(outputs as (Response | undefined)[]);
  return Promise.all(outputs).then(collectResponses);
}

/** Answer a refused message or batch (see `receiveFrame`'s `refusal`). */
function refuse(state: State, value: unknown, refusal: ErrorObject): Output {
  const one = (item: unknown): Response | undefined => {
    const kind = classify(item);
    if (kind === Kind.Request) return { jsonrpc: "2.0", id: asRequest(item).id, error: refusal };
    if (kind === Kind.Notification) {
      const method = asRequest(item).method;
      if (method !== Method.Cancel && method !== Method.StreamCredit) return undefined;
    }
    return dispatch(state, item) as Response | undefined;
  };
  if (!Array.isArray(value) || value.length === 0) return one(value);
  return collectResponses(value.slice(0, state.settings.limits.maxBatchSize).map(one));
}

function dispatch(
  state: State,
  value: unknown,
): Response | undefined | Promise<Response | undefined> {
  switch (classify(value)) {
    case Kind.Request:
      return invoke(state, asRequest(value), true);
    case Kind.Notification:
      invoke(state, asRequest(value), false);
      return undefined;
    case Kind.Success: {
      const res = asResponse(value);
      if (state.pending === undefined || !state.pending.settle(res.id, res.result, undefined)) {
        state.report(new RpcError(ErrorCode.InvalidRequest, "Unknown response id"), "response");
      }
      return undefined;
    }
    case Kind.Error: {
      const res = asResponse(value);
      const error = RpcError.from(res.error);
      if (state.pending === undefined || !state.pending.settle(res.id, undefined, error)) {
        state.report(error, "response");
      }
      return undefined;
    }
    default:
      return errorResponse(idOf(value), ErrorCode.InvalidRequest, "Invalid Request");
  }
}

function invoke(
  state: State,
  msg: Request,
  isRequest: boolean,
): Response | undefined | Promise<Response | undefined> {
  const id: Id = isRequest ? msg.id : null;
  let method = msg.method;
  let params = msg.params;
  let credit = 0;
  if (method === Method.Stream) {
    const open = parseOpen(params);
    if (open instanceof RpcError) return isRequest ? failed(state, msg, true, open) : undefined;
    ({ method, params, credit } = open);
  }
  const settings = state.settings;
  const authorize = settings.authorize;
  if (authorize !== undefined) {
    try {
      authorize(method, state.peer);
    } catch (error) {
      return failed(state, msg, isRequest, error);
    }
  }
  // Only `rpc.` names can be built-ins: application calls skip that lookup.
  const builtin = isReserved(method) ? builtinOf(method) : undefined;
  const procedure = builtin === undefined ? (state.own ?? settings.shared)?.get(method) : undefined;
  if (builtin === undefined && procedure === undefined) {
    return isRequest ? errorResponse(id, ErrorCode.MethodNotFound, "Method not found") : undefined;
  }
  if (state.running >= settings.limits.maxConcurrentRequests) {
    const error = new RpcError(
      ErrorCode.Overloaded,
      "Overloaded",
      `More than ${settings.limits.maxConcurrentRequests} calls running on this connection`,
    );
    if (isRequest) return { jsonrpc: "2.0", id, error: error.toJSON() };
    state.report(error, msg.method);
    return undefined;
  }
  if (builtin !== undefined) {
    let value: unknown;
    try {
      value = builtin(state, params);
    } catch (error) {
      return failed(state, msg, isRequest, error);
    }
    return isRequest ? { jsonrpc: "2.0", id, result: value ?? null } : undefined;
  }
  return run(state, procedure!, msg, isRequest, method, params, credit);
}

/** Run an application procedure (or a reserved one a server registered) and answer it. */
function run(
  state: State,
  procedure: RegisteredProcedure,
  msg: Request,
  isRequest: boolean,
  method: string,
  params: Params | undefined,
  credit: number,
): Response | undefined | Promise<Response | undefined> {
  const id: Id = isRequest ? msg.id : null;
  const ctx = new RunningCall(state.peer, isRequest ? id : undefined, method, params);
  let result: unknown;
  const expose = procedure.exposeErrors;
  try {
    result = inChain(state, procedure, ctx, params);
  } catch (error) {
    return failed(state, msg, isRequest, error, expose);
  }
  if (!isThenable(result) && !isAsyncIterable(result)) {
    return isRequest ? { jsonrpc: "2.0", id, result: result ?? null } : undefined;
  }
  state.running++;
  (state.calls ??= new RunningCalls()).add(ctx);
  const done = (value: unknown): Response | undefined => {
    finished(state, ctx);
    return isRequest && !ctx.cancelled ? { jsonrpc: "2.0", id, result: value ?? null } : undefined;
  };
  const fail = (error: unknown): Response | undefined => {
    finished(state, ctx);
    return ctx.cancelled ? undefined : failed(state, msg, isRequest, error, expose);
  };
  if (!isThenable(result)) return produce(state, result, ctx, credit).then(done, fail);
  return Promise.resolve(result).then(
    (value) =>
      isAsyncIterable(value) ? produce(state, value, ctx, credit).then(done, fail) : done(value),
    fail,
  );
}

/** Run a procedure inside the middleware chain (reserved `rpc.` methods skip it). */
function inChain(
  state: State,
  procedure: RegisteredProcedure,
  ctx: RunningCall,
  params: Params | undefined,
): unknown {
  const chain = procedure.reserved
    ? NO_MIDDLEWARE
    : (state.own ?? state.settings.shared)?.middleware ?? NO_MIDDLEWARE;
  if (chain.length === 0) return procedure.handler(procedure.adapt(params) as never, ctx);
  return compose(chain, ctx, () => procedure.handler(procedure.adapt(params) as never, ctx));
}

function finished(state: State, ctx: RunningCall): void {
  state.running--;
  const calls = state.calls;
  if (calls === undefined) return;
  calls.delete(ctx);
  // An idle connection keeps no table.
  if (calls.size === 0) state.calls = undefined;
}

function failed(
  state: State,
  msg: Request,
  isRequest: boolean,
  error: unknown,
  expose: boolean | undefined = undefined,
): Response | undefined {
  if (!(error instanceof RpcError)) state.report(error, msg.method);
  if (!isRequest) {
    if (error instanceof RpcError) state.report(error, msg.method);
    return undefined;
  }
  return {
    jsonrpc: "2.0",
    id: msg.id,
    error: toErrorObject(error, expose ?? state.settings.expose),
  };
}

function errorResponse(id: Id, code: number, message: string, data?: unknown): Response {
  const error: ErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

function collectResponses(outputs: (Response | undefined)[]): Response[] | undefined {
  const responses = outputs.filter((r): r is Response => r !== undefined);
  return responses.length === 0 ? undefined : responses;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
