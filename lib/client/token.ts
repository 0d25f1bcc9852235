/**
 * The client's credential: the `token` option (a string, or a function asked again on every
 * socket and every refresh), sent in `rpc.hello`, refreshed in-session with `rpc.refresh`
 * before the hub's `expires` (docs/PROTOCOL.md §11.1).
 *
 * @module
 */

import { startTimeout, stopTimer } from "./timers.ts";

/**
 * Where a client's token comes from: a fixed string, or a function called for every new
 * socket and every refresh (it may fetch a fresh JWT).
 *
 * @example Types only
 * ```ts
 * import type { TokenSource } from "./token.ts";
 * const fixed: TokenSource = "s3cret";
 * const fresh: TokenSource = async () => await Promise.resolve("eyJ...");
 * if (typeof fixed !== "string" || typeof fresh !== "function") throw new Error("unreachable");
 * ```
 */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * What the hub answers to `rpc.refresh`.
 *
 * @example Types only
 * ```ts
 * import type { TokenRefreshResult } from "./token.ts";
 * const result: TokenRefreshResult = { client: "ada", roles: [], expires: Date.now() + 60_000 };
 * if (typeof result.expires !== "number") throw new Error("unreachable");
 * ```
 */
export interface TokenRefreshResult {
  /** The client id the token names. */
  readonly client: string;
  /** Its roles. */
  readonly roles: readonly string[];
  /** When the new token expires (ms since the epoch), or `null`. */
  readonly expires: number | null;
}

/**
 * Read a token from its source.
 *
 * @param source The source.
 * @returns The token.
 * @throws {TypeError} When the function gives something other than a non-empty string.
 * @example
 * ```ts
 * import { fetchToken } from "./token.ts";
 * if (await fetchToken(() => "t") !== "t") throw new Error("unreachable");
 * ```
 */
export async function fetchToken(source: TokenSource): Promise<string> {
  const token = typeof source === "function" ? await source() : source;
  if (typeof token !== "string" || token === "") {
    throw new TypeError("Switchboard: the token option must give a non-empty string");
  }
  return token;
}

/**
 * How long before a credential expires a client refreshes it: at half its remaining life,
 * at most 30 s early (room for a slow token function and a busy network).
 *
 * @param expires When it expires, in ms since the epoch.
 * @param now The current time, in ms since the epoch.
 * @returns The delay until the refresh, in ms (0 when already due).
 * @example
 * ```ts
 * import { refreshDelay } from "./token.ts";
 * if (refreshDelay(10_000, 0) !== 5_000 || refreshDelay(600_000, 0) !== 570_000) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function refreshDelay(expires: number, now: number): number {
  const left = expires - now;
  return Math.max(0, left - Math.min(30_000, left / 2));
}

/**
 * Keeps a client's token fresh: when the hub says when it expires and the source is a
 * function, asks the function again shortly before and sends `rpc.refresh`.
 *
 * @example
 * ```ts
 * import { TokenKeeper } from "./token.ts";
 * const sent: string[] = [];
 * const keeper = new TokenKeeper(() => "t2", async (token) => {
 *   sent.push(token);
 *   return { client: "a", roles: [], expires: null };
 * }, () => {});
 * await keeper.refresh();
 * if (sent[0] !== "t2") throw new Error("unreachable");
 * keeper.stop();
 * ```
 */
export class TokenKeeper {
  /** The configured source, if any. */
  readonly source: TokenSource | undefined;
  readonly #send: (token: string) => Promise<TokenRefreshResult>;
  readonly #report: (error: unknown, where: string) => void;
  #timer: ReturnType<typeof startTimeout> | undefined;

  /**
   * @param source The `token` option.
   * @param send Sends `rpc.refresh` with a token on the current socket.
   * @param report Where a failed automatic refresh goes.
   */
  constructor(
    source: TokenSource | undefined,
    send: (token: string) => Promise<TokenRefreshResult>,
    report: (error: unknown, where: string) => void,
  ) {
    this.source = source;
    this.#send = send;
    this.#report = report;
  }

  /**
   * The hub said when the current credential expires: schedule a refresh before (only when
   * the source is a function: a fixed string would not be any newer).
   *
   * @param expires The `expires` of a hello or refresh result.
   */
  expiresAt(expires: unknown): void {
    this.stop();
    if (typeof expires !== "number" || typeof this.source !== "function") return;
    this.#timer = startTimeout(() => {
      this.#timer = undefined;
      this.refresh().catch((error: unknown) => this.#report(error, "token refresh"));
    }, Math.min(refreshDelay(expires, Date.now()), 2 ** 31 - 1));
  }

  /**
   * Send a new token now: the one given, or the source's.
   *
   * @param token A token to send instead of asking the source.
   * @returns The hub's answer.
   * @throws {TypeError} With neither a token nor a source.
   */
  async refresh(token?: string): Promise<TokenRefreshResult> {
    const source = token ?? this.source;
    if (source === undefined) {
      throw new TypeError("Switchboard: refresh() needs a token or the token option");
    }
    const result = await this.#send(await fetchToken(source));
    this.expiresAt(result?.expires);
    return result;
  }

  /** Cancel a scheduled refresh (the socket closed). */
  stop(): void {
    stopTimer(this.#timer);
    this.#timer = undefined;
  }
}
