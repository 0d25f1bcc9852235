/**
 * Client side of routing: register a procedure locally and announce it to the hub.
 *
 * @module
 */

import type { Params } from "../protocol/types.ts";
import type { CallOptions } from "../peer/peer.ts";
import type { Procedure, ProcedureOptions } from "../router/registry.ts";
import type { MethodInfo } from "./routing.ts";
import { Method } from "../protocol/methods.ts";

/**
 * What {@linkcode offer} needs of a client (a `Client` or a `Peer`).
 *
 * @example Types only
 * ```ts
 * import type { Offerer } from "./offer.ts";
 * const keys: (keyof Offerer)[] = ["register", "call"];
 * if (keys.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface Offerer {
  /** Register a local procedure. */
  register<P>(name: string, handler: Procedure<P>, options?: ProcedureOptions): () => void;
  /** Call the hub. */
  call(method: string, params?: Params, options?: CallOptions): Promise<unknown>;
  /** Client events (a reconnecting client's `connected`), when the client has them. */
  on?(name: "connected", listener: (payload: { reconnected: boolean }) => void): () => void;
}

/**
 * Serve a procedure through a hub: register it on the client, then `rpc.register` it.
 *
 * @param client The connected client.
 * @param name The procedure name.
 * @param handler The procedure.
 * @param info Optional OpenRPC description for `rpc.discover`.
 * @returns A function that withdraws it (`rpc.unregister`, then local unregister).
 * @example
 * ```ts ignore
 * import { connect } from "../../client.ts";
 * import { offer } from "./offer.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * const withdraw = await offer(client, "math.add", ([a, b]: number[]) => a! + b!);
 * await withdraw();
 * ```
 */
export async function offer<P = Params | undefined>(
  client: Offerer,
  name: string,
  handler: Procedure<P>,
  info?: MethodInfo,
): Promise<() => Promise<void>> {
  const off = client.register(name, handler);
  try {
    await client.call(Method.Register, { name, ...info });
  } catch (error) {
    off();
    throw error;
  }
  // A reconnected client is a new session on the hub, which forgot the registration: offer
  // it again. (A failure here, e.g. another client took the name, leaves it unregistered.)
  const stopRenewing = client.on?.("connected", ({ reconnected }) => {
    if (reconnected) client.call(Method.Register, { name, ...info }).catch(() => {});
  });
  return async () => {
    stopRenewing?.();
    try {
      await client.call(Method.Unregister, { name });
    } finally {
      off();
    }
  };
}
