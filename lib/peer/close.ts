/**
 * Close handling: the one idempotent shutdown of a connection. Every pending call rejects
 * with -32001 (or is handed over), the wire drops partial messages, running calls and the
 * peer's signal abort, `closed` resolves and `onClosed` runs once.
 *
 * @module
 */

import type { CloseInfo } from "../framing/transport.ts";
import type { CallingPeer } from "./cancel.ts";
import type { PeerState } from "./state.ts";

/**
 * Shut a connection's state down, once.
 *
 * @param state The peer's state.
 * @param info Why it closed.
 * @returns True the first time (the caller then closes the transport, if it closed locally).
 * @example
 * ```ts
 * import { shutdown } from "./close.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const state = new PeerState(new Peer({ send() {}, close() {} }), { send() {}, close() {} }, settingsOf({}));
 * const info = { code: 1000, reason: "", local: true };
 * if (!shutdown(state, info) || shutdown(state, info)) throw new Error("unreachable");
 * ```
 */
export function shutdown<P extends CallingPeer>(state: PeerState<P>, info: CloseInfo): boolean {
  if (state.closeInfo !== undefined) return false;
  state.closeInfo = info;
  const error = state.closedError();
  state.pending?.dispose(error);
  state.wire.dispose();
  state.abort?.abort(error);
  state.calls?.cancelAll(error);
  state.resolveClosed?.(info);
  const onClosed = state.settings.onClosed;
  if (onClosed !== undefined) {
    try {
      onClosed(info, state.peer);
    } catch (error) {
      state.report(error, "onClosed");
    }
  }
  return true;
}

/**
 * Close a connection from this side: shut down, then close the transport (a throw from it is
 * reported). Idempotent.
 *
 * @param state The peer's state.
 * @param code A WebSocket close code.
 * @param reason A short reason.
 * @example
 * ```ts
 * import { closeLocally } from "./close.ts";
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * let closes = 0;
 * const transport = { send() {}, close() { closes++; } };
 * const state = new PeerState(new Peer(transport), transport, settingsOf({}));
 * closeLocally(state, 1000, "");
 * closeLocally(state, 1000, "");
 * if (closes !== 1) throw new Error("unreachable");
 * ```
 */
export function closeLocally<P extends CallingPeer>(
  state: PeerState<P>,
  code: number,
  reason: string,
): void {
  if (shutdown(state, { code, reason, local: true })) {
    try {
      state.transport.close(code, reason);
    } catch (error) {
      state.report(error, "close");
    }
  }
}
