/**
 * A peer's options and their resolved values. A server makes many peers from one options
 * object; they share one {@linkcode PeerSettings}, resolved (and checked) once.
 *
 * @module
 */

import type { CloseInfo } from "../framing/transport.ts";
import type { WireOptions } from "../framing/wire.ts";
import { type Limits, resolveLimits } from "../protocol/limits.ts";
import type { ConnectionInfo } from "../router/context.ts";
import type { Registry } from "../router/registry.ts";
import { checkTimeout } from "./pending.ts";
import type { Clock } from "../protocol/clock.ts";

/**
 * Options of a peer, generic over the peer type handed to its hooks (`Peer` fills it in as
 * `PeerOptions`).
 *
 * @typeParam P The peer the hooks receive.
 * @example Types only
 * ```ts
 * import type { PeerOptionsOf } from "./settings.ts";
 * const options: PeerOptionsOf<object> = { timeout: 10_000, limits: { maxBatchSize: 50 } };
 * if (options.timeout !== 10_000) throw new Error("unreachable");
 * ```
 */
export interface PeerOptionsOf<P> extends Omit<WireOptions, "maxMessageSize"> {
  // codec, binary, framing, negotiable, binaryFrames: the connection's wire format, handed to
  // its Wire as they are (lib/framing/wire.ts documents them); maxMessageSize comes from limits.
  /** Procedures shared with other peers (a server's); this peer's own come first. */
  readonly procedures?: Registry | undefined;
  /** Default call timeout in milliseconds; 0 for none. Default: 30,000. */
  readonly timeout?: number | undefined;
  /** Receiver limits; unspecified ones take the defaults of `DEFAULT_LIMITS`. */
  readonly limits?: Partial<Limits> | undefined;
  /**
   * Reveal the message of an error that is not an `RpcError` in `error.data`. Default false:
   * such errors become a bare -32603 so nothing internal leaks.
   */
  readonly exposeErrors?: boolean | undefined;
  /** Facts about the connection. Default: a random id, empty headers, empty data. */
  readonly info?: ConnectionInfo | undefined;
  /**
   * Called once when the connection closes (after pending calls were rejected), with this
   * peer, so one function can serve every connection of a server.
   */
  readonly onClosed?: ((info: CloseInfo, peer: P) => void) | undefined;
  /** Where unawaited failures go. Default: nowhere. */
  readonly onError?: ((error: unknown, where: string, peer: P) => void) | undefined;
  /**
   * Runs before every incoming request or notification is dispatched, even to a missing
   * method; throw an `RpcError` to refuse it (a request gets that error back).
   */
  readonly authorize?: ((method: string, peer: P) => void) | undefined;
  /** The time source of call timeouts. Default: the system clock (tests pass a fake one). */
  readonly clock?: Clock | undefined;
}

/**
 * A {@linkcode PeerOptionsOf} object's resolved values, shared by the peers made with it.
 *
 * @typeParam P The peer the hooks receive.
 * @example
 * ```ts
 * import { settingsOf } from "./settings.ts";
 * const settings = settingsOf({ timeout: 0 });
 * if (settings.timeout !== Infinity) throw new Error("unreachable");
 * ```
 */
export interface PeerSettings<P> {
  /** The shared procedures (a server's), if any. */
  readonly shared: Registry | undefined;
  /** The receiver limits in force. */
  readonly limits: Limits;
  /** The default call timeout, ms (Infinity: none). */
  readonly timeout: number;
  /** Whether non-RpcError messages go in `error.data`. */
  readonly expose: boolean;
  /** Where unawaited failures go. */
  readonly onError: Hook<[error: unknown, where: string, peer: P]> | undefined;
  /** The incoming-call gate. */
  readonly authorize: Hook<[method: string, peer: P]> | undefined;
  /** Called once on close. */
  readonly onClosed: Hook<[info: CloseInfo, peer: P]> | undefined;
  /** The time source of call timeouts; undefined: the system clock. */
  readonly clock: Clock | undefined;
  /** What each peer's `Wire` starts from (one object, so wires share it too). */
  readonly wire: WireOptions;
}

/**
 * A hook, typed as a method so it is bivariant in its arguments: the modules of the peer's
 * jobs take the settings of any peer type.
 */
type Hook<A extends unknown[]> = { bivariant(...args: A): void }["bivariant"];

const DEFAULT_TIMEOUT = 30_000;

/** Settings already resolved, by options object. */
const SETTINGS = new WeakMap<object, PeerSettings<never>>();

/**
 * Resolve (and check) options once per options object.
 *
 * @typeParam P The peer the hooks receive.
 * @param options The options.
 * @returns The resolved values; the same object for the same options object.
 * @example
 * ```ts
 * import { settingsOf } from "./settings.ts";
 * const options = { limits: { maxBatchSize: 5 } };
 * if (settingsOf(options) !== settingsOf(options)) throw new Error("unreachable");
 * ```
 */
export function settingsOf<P>(options: PeerOptionsOf<P>): PeerSettings<P> {
  let settings = SETTINGS.get(options) as PeerSettings<P> | undefined;
  if (settings !== undefined) return settings;
  const limits = resolveLimits(options.limits);
  settings = {
    shared: options.procedures,
    limits,
    timeout: checkTimeout(options.timeout ?? DEFAULT_TIMEOUT),
    expose: options.exposeErrors ?? false,
    onError: options.onError,
    authorize: options.authorize,
    onClosed: options.onClosed,
    clock: options.clock,
    wire: {
      codec: options.codec,
      binary: options.binary,
      framing: options.framing,
      negotiable: options.negotiable,
      binaryFrames: options.binaryFrames,
      maxMessageSize: limits.maxMessageSize,
    },
  };
  SETTINGS.set(options, settings as PeerSettings<never>);
  return settings;
}
