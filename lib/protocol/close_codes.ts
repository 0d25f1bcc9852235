/**
 * Every WebSocket close code Switchboard sends or reports, in one place (docs/PROTOCOL.md
 * §11). Codes 1000–1011 are RFC 6455's; 4000–4999 are application codes.
 *
 * @module
 */

/**
 * The close codes, by name.
 *
 * @example
 * ```ts
 * import { CloseCode } from "./close_codes.ts";
 * if (CloseCode.MessageTooBig !== 1009 || CloseCode.SlowConsumer !== 4008) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export const CloseCode: {
  /** Normal closure. */
  readonly Normal: 1000;
  /** The server is shutting down. */
  readonly GoingAway: 1001;
  /** A frame of a kind this connection does not accept (binary without a binary codec). */
  readonly UnsupportedData: 1003;
  /** A close frame without a status code (never sent, only reported). */
  readonly NoStatus: 1005;
  /** The connection ended without a close frame (never sent, only reported). */
  readonly Abnormal: 1006;
  /** The frame's content is inconsistent with its type. */
  readonly InvalidPayload: 1007;
  /** A policy limit was hit (too many partial binary messages; an operator's disconnect). */
  readonly PolicyViolation: 1008;
  /** A message exceeded the receiver's size limit. */
  readonly MessageTooBig: 1009;
  /** The server hit an unexpected condition. */
  readonly InternalError: 1011;
  /** An `rpc.ping` went unanswered (client or server heartbeat). */
  readonly HeartbeatTimeout: 4000;
  /** The hub: the connection's credential expired without an `rpc.refresh`. */
  readonly TokenExpired: 4001;
  /** The hub: the connection did not authenticate within `preAuthTimeout`. */
  readonly AuthenticationTimeout: 4002;
  /** The connection fell too far behind on what the server sends (`maxBufferedBytes`). */
  readonly SlowConsumer: 4008;
  /** The connection went on sending past its rate limit. */
  readonly RateLimited: 4029;
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
  RateLimited: 4029,
};

/**
 * Whether application code may send this close code (browsers accept only 1000 and
 * 3000–4999 from `WebSocket.close`).
 *
 * @param code A close code.
 * @returns True when `close(code)` is allowed from application code.
 * @example
 * ```ts
 * import { CloseCode, isSendableCloseCode } from "./close_codes.ts";
 * if (!isSendableCloseCode(CloseCode.Normal) || isSendableCloseCode(CloseCode.Abnormal)) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function isSendableCloseCode(code: number): boolean {
  return code === CloseCode.Normal || (code >= 3000 && code <= 4999);
}
