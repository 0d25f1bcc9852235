/**
 * Bounds on WebSockets that have not authenticated yet: how many may exist at once (in all
 * and per remote address) and how long each may stay before its `rpc.hello`. What such a
 * socket can cost is bounded by these and the pre-authentication frame cap (docs/SECURITY.md).
 *
 * @module
 */

/**
 * Options of a {@linkcode PreAuthGate}.
 *
 * @example Types only
 * ```ts
 * import type { PreAuthOptions } from "./pre_auth.ts";
 * const options: PreAuthOptions = { maxSockets: 256, maxPerAddress: 8, timeout: 10_000 };
 * if (options.maxPerAddress !== 8) throw new Error("unreachable");
 * ```
 */
export interface PreAuthOptions {
  /** Most unauthenticated sockets at once; 0 for no cap. */
  readonly maxSockets: number;
  /** Most unauthenticated sockets at once from one remote address; 0 for no cap. */
  readonly maxPerAddress: number;
  /** Milliseconds a socket may stay unauthenticated; 0 for no deadline. */
  readonly timeout: number;
}

/**
 * One unauthenticated socket's place at the gate, held from its upgrade until it
 * authenticates, closes or misses its deadline. Releasing is idempotent.
 *
 * @example
 * ```ts
 * import { PreAuthGate } from "./pre_auth.ts";
 * const gate = new PreAuthGate({ maxSockets: 1, maxPerAddress: 1, timeout: 0 });
 * const ticket = gate.enter("10.0.0.1", () => {});
 * if (typeof ticket === "string") throw new Error("unreachable");
 * ticket.release();
 * ticket.release();
 * if (gate.size !== 0) throw new Error("unreachable");
 * ```
 */
export interface PreAuthTicket {
  /** Whether the deadline passed before the socket authenticated. */
  readonly expired: boolean;
  /** Leave the gate (authenticated or closed). */
  release(): void;
}

/**
 * Counts unauthenticated sockets and enforces their deadline.
 *
 * @example The second socket from one address is refused
 * ```ts
 * import { PreAuthGate } from "./pre_auth.ts";
 * const gate = new PreAuthGate({ maxSockets: 10, maxPerAddress: 1, timeout: 0 });
 * const first = gate.enter("10.0.0.1", () => {});
 * if (typeof first === "string" || gate.enter("10.0.0.1", () => {}) !== "address") {
 *   throw new Error("unreachable");
 * }
 * first.release();
 * ```
 */
export class PreAuthGate {
  readonly #options: PreAuthOptions;
  readonly #perAddress = new Map<string, number>();
  #size = 0;

  /** @param options Caps and deadline. */
  constructor(options: PreAuthOptions) {
    this.#options = options;
  }

  /** How many unauthenticated sockets hold a place now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Take a place for a socket about to be upgraded.
   *
   * @param address The remote address (`"unknown"` when the runtime cannot tell).
   * @param expire Called once if the socket is still unauthenticated at the deadline.
   * @returns A ticket, or why it was refused: `"global"` or `"address"`.
   */
  enter(address: string, expire: () => void): PreAuthTicket | "global" | "address" {
    const { maxSockets, maxPerAddress, timeout } = this.#options;
    if (maxSockets > 0 && this.#size >= maxSockets) return "global";
    const count = this.#perAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && count >= maxPerAddress) return "address";
    this.#size++;
    this.#perAddress.set(address, count + 1);
    const ticket = new Ticket(() => this.#leave(address));
    if (timeout > 0) ticket.expireAfter(timeout, expire);
    return ticket;
  }

  #leave(address: string): void {
    this.#size--;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }
}

/** A place at the gate: released once, by authentication, close or deadline. */
class Ticket implements PreAuthTicket {
  expired = false;
  readonly #leave: () => void;
  #held = true;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(leave: () => void) {
    this.#leave = leave;
  }

  expireAfter(ms: number, expire: () => void): void {
    this.#timer = setTimeout(() => {
      if (!this.#held) return;
      this.expired = true;
      this.release();
      expire();
    }, ms);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    clearTimeout(this.#timer);
    this.#leave();
  }
}
