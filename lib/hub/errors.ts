/**
 * Error codes of the hub, in the implementation-defined server range (-32010 to -32019).
 * A rule's refusal is the shared {@linkcode ErrorCode.Forbidden} (-32006), the same code a
 * plain Switchboard's pub/sub `authorize` hook refuses with; -32011 is retired.
 *
 * @module
 */

import { ErrorCode } from "../protocol/errors.ts";

/**
 * The hub's error codes; docs/HUB.md lists when each is sent.
 *
 * @example
 * ```ts
 * import { HubErrorCode } from "./errors.ts";
 * if (HubErrorCode.Forbidden !== -32006) throw new Error("unreachable");
 * ```
 */
export const HubErrorCode: {
  /** The connection has not authenticated (or its credential was refused, or expired). */
  readonly Unauthenticated: -32010;
  /** A rule forbids this action on this name for the caller's roles (= ErrorCode.Forbidden). */
  readonly Forbidden: typeof ErrorCode.Forbidden;
  /** Another client already registered this name and the policy is `single`. */
  readonly AlreadyRegistered: -32012;
  /** The client that registered the procedure disconnected before it answered. */
  readonly CalleeGone: -32013;
  /** The hub is shutting down and takes no new calls. */
  readonly ShuttingDown: -32014;
  /** The cluster's engine (Redis or NATS) cannot be reached: the action could not be shared. */
  readonly ClusterUnavailable: -32015;
} = {
  Unauthenticated: -32010,
  Forbidden: ErrorCode.Forbidden,
  AlreadyRegistered: -32012,
  CalleeGone: -32013,
  ShuttingDown: -32014,
  ClusterUnavailable: -32015,
};
