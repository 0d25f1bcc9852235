/**
 * The transport interface, re-exported from its home in lib/framing/transport.ts (the wire
 * writes to it, so it sits below the peer), with the close codes of lib/protocol.
 *
 * @example
 * ```ts
 * import { CloseCode, type Transport } from "./transport.ts";
 * const transport: Transport = { send() {}, close() {} };
 * transport.close(CloseCode.Normal, "");
 * ```
 *
 * @module
 */

export type { CloseInfo, Transport } from "../framing/transport.ts";
export { CloseCode } from "../protocol/close_codes.ts";
