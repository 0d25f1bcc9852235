/**
 * Every WebSocket close code the protocol uses (docs/PROTOCOL.md §11). Code closes and checks
 * connections through this object, never with number literals.
 *
 * @module
 */

/**
 * The close codes, by name.
 *
 * @example
 * ```ts
 * import { CloseCode } from "./close_codes.ts";
 * if (CloseCode.SlowConsumer !== 4008 || CloseCode.Normal !== 1000) throw new Error("unreachable");
 * ```
 */
export const CloseCode: {
  /** Normal closure. */
  readonly Normal: 1000;
  /** The server (or hub) is shutting down. */
  readonly GoingAway: 1001;
  /** A frame of a kind this connection does not accept. */
  readonly UnsupportedData: 1003;
  /** A close frame without a code (never sent, only reported). */
  readonly NoStatus: 1005;
  /** The connection ended without a close frame (never sent, only reported). */
  readonly Abnormal: 1006;
  /** The frame's content is inconsistent with its type. */
  readonly InvalidPayload: 1007;
  /** A policy limit was hit; also an operator's disconnect. */
  readonly PolicyViolation: 1008;
  /** A message exceeded the receiver's size limit. */
  readonly MessageTooBig: 1009;
  /** An unexpected condition. */
  readonly InternalError: 1011;
  /** An `rpc.ping` went unanswered. */
  readonly HeartbeatTimeout: 4000;
  /** Hub: the connection's token expired. */
  readonly TokenExpired: 4001;
  /** Hub: the connection did not authenticate in time. */
  readonly AuthenticationTimeout: 4002;
  /** The connection's outgoing buffer stayed over its limit. */
  readonly SlowConsumer: 4008;
  /** The connection sent over its rate limit. */
  readonly RateLimitExceeded: 4029;
} = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  HeartbeatTimeout: 4000,
  TokenExpired: 4001,
  AuthenticationTimeout: 4002,
  SlowConsumer: 4008,
  RateLimitExceeded: 4029,
};
