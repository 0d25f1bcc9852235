/**
 * The per-connection state of a peer, shared by the modules that each do one of its jobs
 * (outgoing calls, incoming dispatch, built-ins, stream production, close). Internal: the
 * public object is `Peer`; nothing outside lib/peer holds a `PeerState` except through
 * lib/peer/internal.ts.
 *
 * @module
 */

import type { CloseInfo, Transport } from "../framing/transport.ts";
import { SEND_FAILED, type SendFailureHandler, Wire } from "../framing/wire.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Method } from "../protocol/methods.ts";
import type { Id } from "../protocol/types.ts";
import { Registry } from "../router/registry.ts";
import type { CallingPeer, RunningCalls } from "./cancel.ts";
import { PendingCalls } from "./pending.ts";
import { failSentCalls } from "./send_failure.ts";
import type { PeerSettings } from "./settings.ts";
import type { Producer } from "./stream.ts";
import type { StreamCalls } from "./stream_call.ts";

/**
 * One connection's mutable state. Tables are made on first use so an idle connection costs
 * as little as possible.
 *
 * @typeParam P The public peer object (handed to hooks and to procedures as `ctx.peer`).
 * @example
 * ```ts
 * import { PeerState } from "./state.ts";
 * import { settingsOf } from "./settings.ts";
 * import { Peer } from "./peer.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const state = new PeerState(peer, { send() {}, close() {} }, settingsOf({}));
 * if (state.table.size !== 0) throw new Error("unreachable");
 * ```
 */
export class PeerState<P extends CallingPeer> implements SendFailureHandler {
  /** The public peer. */
  readonly peer: P;
  /** Moves the frames. */
  readonly transport: Transport;
  /** Codec and binary framing of this connection. */
  readonly wire: Wire;
  /** The options' resolved values (one object for every peer made with the same options). */
  readonly settings: PeerSettings<P>;
  /** This peer's own procedures and middleware; made on first use. */
  own: Registry | undefined = undefined;
  /** Outgoing calls awaiting a response; made by the first call. */
  pending: PendingCalls | undefined = undefined;
  /** Incoming calls running (asynchronous procedures and streams). */
  running = 0;
  /** Running incoming calls, for `rpc.cancel` and close; made on first use. */
  calls: RunningCalls | undefined = undefined;
  /** Streams this side produces, by request id; made on first use. */
  producers: Map<Id, Producer> | undefined = undefined;
  /** Streams this side consumes, by request id; made on first use. */
  streams: StreamCalls | undefined = undefined;
  /** Why the connection closed, once it has. */
  closeInfo: CloseInfo | undefined = undefined;
  /** `Peer.closed`, made on first read. */
  closedPromise: Promise<CloseInfo> | undefined = undefined;
  /** Resolves {@linkcode PeerState.closedPromise}. */
  resolveClosed: ((info: CloseInfo) => void) | undefined = undefined;
  /** Behind `Peer.signal`, made on first read. */
  abort: AbortController | undefined = undefined;

  /**
   * @param peer The public peer.
   * @param transport Moves its frames.
   * @param settings Resolved options.
   */
  constructor(peer: P, transport: Transport, settings: PeerSettings<P>) {
    this.peer = peer;
    this.transport = transport;
    this.settings = settings;
    this.wire = new Wire(transport, settings.wire);
  }

  /** The pending-call table, made on first use. */
  get table(): PendingCalls {
    // A call that timed out here must stop over there too: tell the other side.
    return this.pending ??= new PendingCalls(
      this.settings.timeout,
      (id) => this.sendMessage({ jsonrpc: "2.0", method: Method.Cancel, params: { id } }),
      this.settings.clock,
    );
  }

  /** The registry for procedures registered on this peer, made on first use. */
  ownRegistry(): Registry {
    return this.own ??= new Registry(this.settings.shared);
  }

  /**
   * Encode and send one message; failures are reported, not thrown.
   *
   * @param message A message or batch.
   * @returns Whether it was handed to the transport.
   */
  sendMessage(message: unknown): boolean {
    if (this.closeInfo !== undefined) return false;
    try {
      this.wire.send(message, this);
      return true;
    } catch (error) {
      this.report(error, "send");
      return false;
    }
  }

  /**
   * The error pending calls reject with once the connection closed.
   *
   * @returns A -32001 error with the close code and reason.
   */
  closedError(): RpcError {
    const info = this.closeInfo!;
    return new RpcError(
      ErrorCode.ConnectionClosed,
      "Switchboard: connection closed before the response arrived",
      { code: info.code, reason: info.reason },
    );
  }

  /**
   * Hand an unawaited failure to the `onError` hook, if any.
   *
   * @param error The failure.
   * @param where Where it happened (a method name, `send`, `close`, …).
   */
  report(error: unknown, where: string): void {
    const onError = this.settings.onError;
    if (onError === undefined) return;
    try {
      onError(error, where, this.peer);
    } catch {
      // A broken reporter must not break the connection; there is nowhere left to report.
    }
  }

  /**
   * A send failed after `Wire.send` returned: the calls in the message reject with the
   * error; anything else (a response, a notification) is reported. The state takes these
   * itself, so no closure is made per message or per peer.
   *
   * @param error Why.
   * @param message What was not sent.
   */
  [SEND_FAILED](error: unknown, message: unknown): void {
    if (!failSentCalls(this.pending, error, message)) this.report(error, "send");
  }
}
