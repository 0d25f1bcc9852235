/**
 * What carries one client session: its own WebSocket ({@linkcode SocketTransport}) or a
 * channel of a WebSocket shared with other clients of the same URL (lib/client/multiplex.ts).
 *
 * @module
 */

import type { Transport } from "../peer/transport.ts";
import type { Receiver, SocketClose } from "./socket_transport.ts";

/**
 * A transport for one client session, with the facts the reconnecting client needs.
 *
 * @example Types only
 * ```ts
 * import type { Link } from "./link.ts";
 * const link: Link = {
 *   opened: Promise.resolve(),
 *   wasOpened: true,
 *   attach() {},
 *   send() {},
 *   close() {},
 * };
 * if (!link.wasOpened) throw new Error("unreachable");
 * ```
 */
export interface Link extends Transport {
  /** Resolves when frames can flow; rejects if the link closes first. */
  readonly opened: Promise<void>;
  /** Whether frames ever flowed (if not, nothing sent on it reached the server). */
  readonly wasOpened: boolean;
  /**
   * Connect the receiver of this link's frames and close.
   *
   * @param receiver Usually the session's peer.
   */
  attach(receiver: Receiver): void;
}

/**
 * Callbacks of a link's underlying socket (or channel).
 *
 * @example Types only
 * ```ts
 * import type { LinkHooks } from "./link.ts";
 * const hooks: LinkHooks = { onOpen() {}, onClose: (e) => console.log(e.wasClean) };
 * if (typeof hooks.onOpen !== "function") throw new Error("unreachable");
 * ```
 */
export interface LinkHooks {
  /** The socket (or channel) opened. */
  readonly onOpen?: (() => void) | undefined;
  /** The socket (or channel) closed. */
  readonly onClose?: ((event: SocketClose) => void) | undefined;
}
