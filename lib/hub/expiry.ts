/**
 * Token lifetime: a connection whose credential expires (a JWT's `exp`) is closed with 4001
 * `"Token expired"` at that moment unless it refreshed first (`rpc.refresh`), so no right,
 * subscription included, outlives its token. One timer per connection with an expiring
 * credential; none for the others.
 *
 * @module
 */

import type { Peer } from "../peer/peer.ts";
import { identityOf } from "./procedures.ts";
import { CloseCode } from "../protocol/close_codes.ts";

/**
 * The close code of a connection whose token expired.
 *
 * @example
 * ```ts
 * import { TOKEN_EXPIRED_CLOSE } from "./expiry.ts";
 * if (TOKEN_EXPIRED_CLOSE !== 4001) throw new Error("unreachable");
 * ```
 */
export const TOKEN_EXPIRED_CLOSE: typeof CloseCode.TokenExpired = CloseCode.TokenExpired;

/** The longest delay `setTimeout` takes (about 24.8 days); later expiries are re-armed. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Closes connections when their identity's `expires` passes.
 *
 * @example
 * ```ts
 * import { ExpiryWatch } from "./expiry.ts";
 * const watch = new ExpiryWatch();
 * if (watch.size !== 0) throw new Error("unreachable");
 * watch.clear();
 * ```
 */
export class ExpiryWatch {
  readonly #timers = new Map<Peer, ReturnType<typeof setTimeout>>();

  /** How many connections are watched. */
  get size(): number {
    return this.#timers.size;
  }

  /**
   * Watch a connection's current identity (again, after a refresh): its old timer goes.
   *
   * @param peer The connection.
   */
  watch(peer: Peer): void {
    this.forget(peer);
    const expires = identityOf(peer.info.data).expires;
    if (expires === undefined || peer.isClosed) return;
    const delay = Math.min(Math.max(expires - Date.now(), 0), MAX_DELAY);
    this.#timers.set(
      peer,
      setTimeout(() => {
        this.#timers.delete(peer);
        const now = identityOf(peer.info.data).expires;
        if (now !== undefined && now <= Date.now()) {
          peer.close(TOKEN_EXPIRED_CLOSE, "Token expired");
        } else this.watch(peer);
      }, delay),
    );
  }

  /**
   * Stop watching a connection (it closed).
   *
   * @param peer The connection.
   */
  forget(peer: Peer): void {
    const timer = this.#timers.get(peer);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(peer);
  }

  /** Stop every timer (the hub is shutting down). */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
