/**
 * Where a client connects: one URL, a list it rotates through on failure, or a function asked
 * before each attempt (e.g. to pick a hub of a cluster from service discovery).
 *
 * @module
 */

/**
 * One URL, a list of URLs, or a function of the attempt number (0 first, counting every
 * socket the client opens) returning a URL.
 *
 * @example Types only
 * ```ts
 * import type { ServerUrls } from "./urls.ts";
 * const hubs: ServerUrls = ["ws://127.0.0.1:8001/rpc", "ws://127.0.0.1:8002/rpc"];
 * if (!Array.isArray(hubs)) throw new Error("unreachable");
 * ```
 */
export type ServerUrls =
  | string
  | URL
  | readonly (string | URL)[]
  | ((attempt: number) => string | URL);

/**
 * The URL to use now, moving on after a failure: a list stays on a URL while its sockets
 * work, and takes the next one (round robin) when a socket fails to open or drops.
 *
 * @example Rotate through two hubs
 * ```ts
 * import { UrlRotation } from "./urls.ts";
 * const urls = new UrlRotation(["ws://a/rpc", "ws://b/rpc"]);
 * const first = urls.next(false);
 * const second = urls.next(true);
 * if (first !== "ws://a/rpc" || second !== "ws://b/rpc") throw new Error("unreachable");
 * ```
 */
export class UrlRotation {
  readonly #source: ServerUrls;
  #attempt = 0;
  #index = 0;
  #current: string;

  /**
   * @param source The URLs.
   * @throws {TypeError} For an empty list.
   */
  constructor(source: ServerUrls) {
    if (Array.isArray(source) && source.length === 0) {
      throw new TypeError("Switchboard: the list of server URLs is empty");
    }
    this.#source = source;
    this.#current = typeof source === "function"
      ? ""
      : String(Array.isArray(source) ? source[0] : source);
  }

  /** The URL of the last attempt (or the first of a list before any). */
  get current(): string {
    return this.#current;
  }

  /**
   * The URL for the next socket.
   *
   * @param failed The previous socket failed to open or dropped: move on.
   * @returns The URL.
   */
  next(failed: boolean): string {
    const source = this.#source;
    const attempt = this.#attempt++;
    if (typeof source === "function") this.#current = String(source(attempt));
    else if (Array.isArray(source)) {
      if (failed && attempt > 0) this.#index = (this.#index + 1) % source.length;
      this.#current = String(source[this.#index]);
    }
    return this.#current;
  }
}
