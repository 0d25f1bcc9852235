/**
 * Who may subscribe and publish: the request an authorization hook is asked, the default
 * policy, and the refusal (-32006).
 *
 * @module
 */

import { RpcError } from "../protocol/errors.ts";
import type { ConnectionInfo } from "../router/registry.ts";
import { PubSubErrorCode } from "./protocol.ts";

/**
 * What an authorization hook is asked.
 *
 * @example Types only
 * ```ts
 * import type { AuthorizeRequest } from "./authorize.ts";
 * const allowChat = (r: AuthorizeRequest): boolean =>
 *   r.action === "subscribe" || r.topic.startsWith("chat.");
 * if (!allowChat({ action: "publish", topic: "chat.x", connection: { id: "1", headers: new Headers(), data: {} } })) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export interface AuthorizeRequest {
  /** What the connection wants to do. */
  readonly action: "subscribe" | "publish";
  /** The topic, or for a subscription possibly a pattern. */
  readonly topic: string;
  /** The connection asking. */
  readonly connection: ConnectionInfo;
}

/** An authorization hook: false refuses with -32006; it may also throw an RpcError. */
export type Authorize = (request: AuthorizeRequest) => boolean | Promise<boolean>;

/**
 * The default policy: anyone may subscribe, no client may publish.
 *
 * @param request What is asked.
 * @returns Whether it is allowed.
 * @example
 * ```ts
 * import { defaultAuthorize } from "./authorize.ts";
 * const connection = { id: "1", headers: new Headers(), data: {} };
 * if (defaultAuthorize({ action: "publish", topic: "a", connection })) throw new Error();
 * ```
 */
export function defaultAuthorize(request: AuthorizeRequest): boolean {
  return request.action === "subscribe";
}

/**
 * Ask a hook, and refuse with -32006 Forbidden when it says no.
 *
 * @param authorize The hook.
 * @param request What is asked.
 * @throws {RpcError} -32006 when refused (or what the hook threw).
 * @example
 * ```ts
 * import { allow, defaultAuthorize } from "./authorize.ts";
 * const connection = { id: "1", headers: new Headers(), data: {} };
 * await allow(defaultAuthorize, { action: "subscribe", topic: "a", connection });
 * const refused = await allow(defaultAuthorize, { action: "publish", topic: "a", connection })
 *   .then(() => false, () => true);
 * if (!refused) throw new Error("unreachable");
 * ```
 */
export async function allow(authorize: Authorize, request: AuthorizeRequest): Promise<void> {
  if (await authorize(request)) return;
  throw new RpcError(PubSubErrorCode.Forbidden, "Forbidden", {
    action: request.action,
    topic: request.topic,
  });
}
