/**
 * Per-connection services: a factory the server runs for every connection, whose methods
 * become that connection's own procedures, with `init` and `close` hooks. State kept in the
 * factory's closure lives exactly as long as the connection (a jsonrpcws-style service
 * object), with no hand-written `onOpen` registration.
 *
 * @module
 */

import type { Peer } from "../peer/peer.ts";
import type { CloseInfo } from "../peer/transport.ts";
import { CloseCode } from "../protocol/close_codes.ts";
import type { ConnectionInfo, Procedure, ProcedureOptions } from "../router/registry.ts";

/**
 * What a service instance gets of its connection.
 *
 * @example Types only
 * ```ts
 * import type { ServiceSession } from "./service.ts";
 * function greet(session: ServiceSession): void {
 *   session.emit("notice", `welcome, ${session.info.id}`);
 * }
 * if (typeof greet !== "function") throw new Error("unreachable");
 * ```
 */
export interface ServiceSession {
  /** The connection: call the client's procedures, notify it, close it. */
  readonly peer: Peer;
  /** Its id and the application data of the `context` hook. */
  readonly info: ConnectionInfo;
  /**
   * Send an event to this connection only (no subscription needed; the client listens with
   * `client.onEvent(topic, handler)`).
   *
   * @returns False if the connection is gone.
   */
  emit(topic: string, data: unknown): boolean;
}

/**
 * One connection's service instance: its methods (procedures of this connection only, under
 * the service's prefix) and its hooks.
 *
 * @example Types only
 * ```ts
 * import type { ServiceInstance } from "./service.ts";
 * let total = 0;
 * const instance: ServiceInstance = {
 *   methods: { add: ([n]: number[]) => (total += n!) },
 *   close: () => console.log("closed with", total),
 * };
 * if (typeof instance.methods.add !== "function") throw new Error("unreachable");
 * ```
 */
export interface ServiceInstance {
  /** Procedures of this connection, by name (the prefix is added). */
  readonly methods: Readonly<Record<string, Procedure<never>>>;
  /**
   * Runs once the methods are registered. If it returns a promise, calls of the methods wait
   * for it; if it throws or rejects, the error goes to the server's `onError` and the
   * connection closes with 1011.
   */
  readonly init?: () => unknown;
  /** Runs when the connection closes, after its pending calls were rejected. */
  readonly close?: (info: CloseInfo) => void;
}

/**
 * Builds a connection's service instance.
 *
 * @example Types only
 * ```ts
 * import type { ServiceFactory } from "./service.ts";
 * const counter: ServiceFactory = () => {
 *   let count = 0;
 *   return { methods: { increment: () => ++count } };
 * };
 * if (typeof counter !== "function") throw new Error("unreachable");
 * ```
 */
export type ServiceFactory = (session: ServiceSession) => ServiceInstance;

/**
 * Options of a service.
 *
 * @example Types only
 * ```ts
 * import type { ServiceOptions } from "./service.ts";
 * const options: ServiceOptions = { prefix: "editor", exposeErrors: true };
 * if (options.prefix !== "editor") throw new Error("unreachable");
 * ```
 */
export interface ServiceOptions {
  /** Prefix of the method names (`editor` gives `editor.open`). Default: none. */
  readonly prefix?: string;
  /** The `exposeErrors` option of every method (see `ProcedureOptions`). */
  readonly exposeErrors?: boolean;
}

/** Reports a failure of a service (its factory, init or close) for one connection. */
export type ServiceReport = (error: unknown, where: string, peer: Peer) => void;

/**
 * Start a service on one connection: run the factory, register its methods on the peer, run
 * `init`.
 *
 * @param factory The service.
 * @param options Prefix and error exposure.
 * @param session The connection.
 * @param report Where failures go.
 * @returns What to run when the connection closes (the instance's `close`).
 * @example
 * ```ts
 * import { startService } from "./service.ts";
 * import { Peer } from "../peer/peer.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const session = { peer, info: peer.info, emit: () => true };
 * startService(() => ({ methods: { hi: () => "hi" } }), { prefix: "x" }, session, () => {});
 * if (peer.unregister("x.hi") !== true) throw new Error("unreachable");
 * ```
 */
export function startService(
  factory: ServiceFactory,
  options: ServiceOptions,
  session: ServiceSession,
  report: ServiceReport,
): ((info: CloseInfo) => void) | undefined {
  const peer = session.peer;
  const fail = (error: unknown, where: string): void => {
    report(error, where, peer);
    // Not at once: the connection is still being opened (heartbeat, counters) when a
    // synchronous factory or init throws.
    queueMicrotask(() => peer.close(CloseCode.InternalError, "Service failed to start"));
  };
  let instance: ServiceInstance;
  try {
    instance = factory(session);
    checkInstance(instance);
  } catch (error) {
    fail(error, "service");
    return undefined;
  }
  const prefix = options.prefix === undefined || options.prefix === "" ? "" : `${options.prefix}.`;
  const procedureOptions: ProcedureOptions = options.exposeErrors === undefined
    ? {}
    : { exposeErrors: options.exposeErrors };
  let ready: Promise<unknown> | undefined;
  const handlers = Object.entries(instance.methods) as [string, Procedure][];
  try {
    for (const [name, method] of handlers) {
      // While an async init runs, calls wait for it (and fail with its error if it fails).
      peer.register(
        prefix + name,
        (params, ctx) =>
          ready === undefined ? method(params, ctx) : ready.then(() => method(params, ctx)),
        procedureOptions,
      );
    }
    const started = instance.init?.();
    if (isThenable(started)) {
      ready = Promise.resolve(started);
      ready.then(() => ready = undefined, (error) => fail(error, "service init"));
    }
  } catch (error) {
    fail(error, "service init");
  }
  const close = instance.close;
  if (close === undefined) return undefined;
  return (info) => {
    try {
      close(info);
    } catch (error) {
      report(error, "service close", peer);
    }
  };
}

function checkInstance(instance: unknown): asserts instance is ServiceInstance {
  const { methods, init, close } = (instance ?? {}) as Record<string, unknown>;
  if (typeof methods !== "object" || methods === null) {
    throw new TypeError("Switchboard: a service factory must return { methods, init?, close? }");
  }
  for (const [name, method] of Object.entries(methods)) {
    if (typeof method !== "function") {
      throw new TypeError(`Switchboard: service method ${name} must be a function`);
    }
  }
  if (init !== undefined && typeof init !== "function") {
    throw new TypeError("Switchboard: a service's init must be a function");
  }
  if (close !== undefined && typeof close !== "function") {
    throw new TypeError("Switchboard: a service's close must be a function");
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
