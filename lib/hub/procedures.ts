/**
 * The hub's own `rpc.` procedures: hello (authentication), refresh (a new token in-session),
 * register, unregister, discover, time, version, inspect.
 *
 * @module
 */

import { ErrorCode, HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { HelloResult } from "../protocol/extensions.ts";
import type { Params } from "../protocol/types.ts";
import type { Peer } from "../peer/peer.ts";
import type { CallContext, Registry } from "../router/registry.ts";
import { VERSION } from "../version.ts";
import type { Authenticator } from "./auth.ts";
import { openRpcDocument } from "./discover.ts";
import type { Identity, Policy } from "./policy.ts";
import type { HubRouter, MethodInfo } from "./routing.ts";
import type { TopicRow } from "./topics.ts";
import { Method, RESERVED_PREFIX } from "../protocol/methods.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * What the hub's procedures need from the hub.
 *
 * @example Types only
 * ```ts
 * import type { HubServices } from "./procedures.ts";
 * const keys: (keyof HubServices)[] = ["router", "policy"];
 * if (keys.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface HubServices {
  /** The routing table. */
  readonly router: HubRouter;
  /** The rules. */
  readonly policy: Policy;
  /** Credentials. */
  readonly auth: Authenticator;
  /** The runtime's name. */
  readonly runtime: string;
  /** The WebSocket peer of a connection id (HTTP peers are not listed). */
  peerOf(id: string): Peer | undefined;
  /** Describe a server procedure for `rpc.discover` (seam for typed contracts). */
  describe(name: string): MethodInfo | undefined;
  /** The inspector snapshot. */
  snapshot(): unknown;
  /** The hub's topics and subscribed patterns. */
  topics(): readonly TopicRow[];
  /** Add or remove an inspector watcher. */
  watch(peer: Peer, on: boolean): void;
  /** A connection's identity changed (after hello). */
  changed(): void;
  /** A connection authenticated with a token (rpc.hello, rpc.refresh). */
  authenticated(data: Record<string, unknown>, connectionId: string): void;
}

/**
 * The identity a connection carries in its data.
 *
 * @param data The connection's data.
 * @returns Its identity (not admitted when missing).
 * @example
 * ```ts
 * import { identityOf } from "./procedures.ts";
 * if (identityOf({}).admitted) throw new Error("unreachable");
 * ```
 */
export function identityOf(data: Record<string, unknown>): Identity {
  return (data.identity as Identity | undefined) ??
    { id: "", roles: [], admitted: false, via: "none" };
}

/**
 * The hub's own `rpc.` procedures that call rules govern (the operator's): everyone may call
 * the others. When authentication is configured, only the `admin` role may call these.
 *
 * @example
 * ```ts
 * import { POLICED_BUILTINS } from "./procedures.ts";
 * if (!POLICED_BUILTINS.has("rpc.inspect.disconnect")) throw new Error("unreachable");
 * ```
 */
export const POLICED_BUILTINS: ReadonlySet<string> = new Set([
  Method.Inspect,
  Method.InspectDisconnect,
]);

/**
 * The close code of a connection an operator disconnected (`rpc.inspect.disconnect`): the
 * standard 1008 "policy violation", so any WebSocket client understands it.
 */
const OPERATOR_CLOSE = CloseCode.PolicyViolation;

/** The longest client name (`rpc.hello`'s `client`) the inspector keeps, in UTF-16 units. */
const MAX_CLIENT_NAME = 100;

/** The hello result with the hub's additions. */
type HubHelloResult = HelloResult & RefreshResult;

/**
 * The result of `rpc.refresh` (and the hub's additions to `rpc.hello`'s): who the connection
 * now is and when its credential expires (ms since the epoch; `null`: never).
 *
 * @example Types only
 * ```ts
 * import type { RefreshResult } from "./procedures.ts";
 * const result: RefreshResult = { client: "ada", roles: ["admin"], expires: null };
 * if (result.expires !== null) throw new Error("unreachable");
 * ```
 */
export interface RefreshResult {
  /** The client id. */
  readonly client: string;
  /** Its roles. */
  readonly roles: readonly string[];
  /** When the credential expires, in ms since the epoch; `null` when it does not. */
  readonly expires: number | null;
}

/**
 * Register the hub's procedures on the server registry (replacing the core `rpc.hello`, which
 * it wraps).
 *
 * @param registry The server's registry.
 * @param hub What the procedures need.
 */
export function registerHubProcedures(registry: Registry, hub: HubServices): void {
  const coreHello = registry.get(Method.Hello);
  registry.registerReserved(
    Method.Hello,
    async (params: Params | undefined, ctx: CallContext): Promise<HubHelloResult> => {
      const token = (params as { token?: unknown } | undefined)?.token;
      const data = ctx.connection.data;
      if (token !== undefined) {
        const identity = await hub.auth.authenticate(token);
        if (identity === undefined) {
          throw new RpcError(HubErrorCode.Unauthenticated, "Authentication failed", {
            reason: "The token is not valid",
          });
        }
        data.identity = identity;
        hub.authenticated(data, ctx.connection.id);
        hub.changed();
      } else if (!identityOf(data).admitted) {
        throw new RpcError(HubErrorCode.Unauthenticated, "Authentication required", {
          reason: "This hub needs a token in rpc.hello",
        });
      }
      const base = await coreHello!.handler(coreHello!.adapt(params) as never, ctx) as HelloResult;
      const name = (params as { client?: unknown } | undefined)?.client;
      if (typeof name === "string") {
        data.name = name.slice(0, MAX_CLIENT_NAME);
        hub.changed();
      }
      const identity = identityOf(data);
      return {
        ...base,
        extensions: [
          ...base.extensions,
          Method.Refresh,
          Method.Register,
          Method.Unregister,
          Method.Discover,
          Method.Time,
          Method.Version,
          Method.Inspect,
          Method.InspectUpdate,
          Method.InspectDisconnect,
        ],
        client: identity.id,
        roles: identity.roles,
        expires: identity.expires ?? null,
      };
    },
  );
  registry.registerReserved(
    Method.Refresh,
    async (params: Params | undefined, ctx: CallContext): Promise<RefreshResult> => {
      const token = (params as { token?: unknown } | undefined)?.token;
      if (typeof token !== "string") {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
          reason: 'Expected {"token": "..."}',
        });
      }
      const identity = await hub.auth.authenticate(token);
      if (identity === undefined) {
        throw new RpcError(HubErrorCode.Unauthenticated, "Authentication failed", {
          reason: "The token is not valid",
        });
      }
      const data = ctx.connection.data;
      const current = identityOf(data);
      if ((current.via === "secret" || current.via === "jwt") && current.id !== identity.id) {
        throw new RpcError(HubErrorCode.Unauthenticated, "Authentication failed", {
          reason: "The token names another client",
        });
      }
      data.identity = identity;
      hub.authenticated(data, ctx.connection.id);
      hub.changed();
      return { client: identity.id, roles: identity.roles, expires: identity.expires ?? null };
    },
  );
  registry.registerReserved(Method.Register, (params: Params | undefined, ctx: CallContext) => {
    const peer = hub.peerOf(ctx.connection.id);
    if (peer === undefined) {
      throw new RpcError(
        ErrorCode.Unsupported,
        "Switchboard hub: only WebSocket connections can register procedures",
      );
    }
    const entries = registrations(params);
    const identity = identityOf(ctx.connection.data);
    for (const { name } of entries) {
      if (!hub.policy.allows("register", name, identity)) {
        throw forbidden("register", name);
      }
    }
    return hub.router.register(peer, entries).then((registered) => ({ registered }));
  });
  registry.registerReserved(Method.Unregister, (params: Params | undefined, ctx: CallContext) => {
    const peer = hub.peerOf(ctx.connection.id);
    const names = registrations(params).map((e) => e.name);
    return { unregistered: peer === undefined ? [] : hub.router.unregister(peer, names) };
  });
  registry.registerReserved(Method.Discover, (_params: unknown, ctx: CallContext) => {
    const identity = identityOf(ctx.connection.data);
    const methods: { name: string; info?: MethodInfo | undefined }[] = [];
    for (const name of registry.names()) {
      if (name === Method.Discover) continue;
      const builtin = name.startsWith(RESERVED_PREFIX) && !POLICED_BUILTINS.has(name);
      if (builtin || hub.policy.allows("call", name, identity)) {
        methods.push({ name, info: hub.describe(name) ?? registry.get(name)?.info });
      }
    }
    for (const route of hub.router.list()) {
      if (hub.policy.allows("call", route.name, identity)) {
        methods.push({ name: route.name, info: route.info });
      }
    }
    const topics = hub.topics()
      .filter((t) =>
        t.pattern
          ? hub.policy.allowsPattern("subscribe", t.name, identity)
          : hub.policy.allows("subscribe", t.name, identity)
      )
      .map((t) => ({
        name: t.name,
        pattern: t.pattern,
        subscribers: t.subscribers,
        publish: !t.pattern && hub.policy.allows("publish", t.name, identity),
      }));
    return openRpcDocument(methods, topics);
  });
  registry.registerReserved(Method.Time, () => {
    const now = Date.now();
    return { now, iso: new Date(now).toISOString() };
  });
  registry.registerReserved(Method.Version, () => ({
    server: `switchboard/${VERSION}`,
    version: VERSION,
    runtime: hub.runtime,
    jsonrpc: "2.0",
  }));
  registry.registerReserved(Method.Inspect, (params: Params | undefined, ctx: CallContext) => {
    const watch = (params as { watch?: unknown } | undefined)?.watch;
    const peer = hub.peerOf(ctx.connection.id);
    if (typeof watch === "boolean" && peer !== undefined) hub.watch(peer, watch);
    return hub.snapshot();
  });
  registry.registerReserved(
    Method.InspectDisconnect,
    (params: Params | undefined, ctx: CallContext) => {
      const id = (params as { connection?: unknown } | undefined)?.connection;
      const peer = typeof id === "string" ? hub.peerOf(id) : undefined;
      if (peer === undefined) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
          reason: "No such connection",
          connection: id,
        });
      }
      // After the answer, so an operator who disconnects their own connection still hears it.
      queueMicrotask(() =>
        peer.close(OPERATOR_CLOSE, `Disconnected by an operator (${ctx.connection.id})`)
      );
      return { disconnected: id };
    },
  );
}

/**
 * The error a rule's refusal produces.
 *
 * @param action The action refused.
 * @param name The procedure or topic.
 * @returns The error.
 * @example
 * ```ts
 * import { forbidden } from "./procedures.ts";
 * if (forbidden("call", "x").code !== -32006) throw new Error("unreachable");
 * ```
 */
export function forbidden(action: string, name: string): RpcError {
  return new RpcError(HubErrorCode.Forbidden, "Forbidden", {
    reason: `Not allowed to ${action} ${name}`,
    action,
    name,
  });
}

function registrations(params: Params | undefined): { name: string; info?: MethodInfo }[] {
  const p = (Array.isArray(params) ? { names: params } : params ?? {}) as Record<string, unknown>;
  const out: { name: string; info?: MethodInfo }[] = [];
  if (typeof p.name === "string") out.push(withInfo(p.name, p));
  if (Array.isArray(p.names)) {
    for (const item of p.names) {
      if (typeof item === "string") out.push({ name: item });
      else if (typeof item === "object" && item !== null && typeof item.name === "string") {
        out.push(withInfo(item.name, item as Record<string, unknown>));
      } else throw invalid();
    }
  }
  if (out.length === 0 || out.length > 1000) throw invalid();
  return out;
}

function withInfo(
  name: string,
  source: Record<string, unknown>,
): { name: string; info?: MethodInfo } {
  const info: Record<string, unknown> = {};
  if (typeof source.description === "string") info.description = source.description;
  if (Array.isArray(source.params)) info.params = source.params;
  if (typeof source.result === "object" && source.result !== null) info.result = source.result;
  return Object.keys(info).length === 0 ? { name } : { name, info: info as MethodInfo };
}

function invalid(): RpcError {
  return new RpcError(
    ErrorCode.InvalidParams,
    "Invalid params",
    'Expected {"name": "..."} or {"names": ["...", {"name": "...", "description": "..."}]}',
  );
}
