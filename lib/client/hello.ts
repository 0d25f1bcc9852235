/**
 * The `rpc.hello` that opens each of the client's sockets: codec and binary negotiation, and
 * the `token` option's credential (docs/PROTOCOL.md §4.1, §11.1).
 *
 * @module
 */

import { jsonCodec } from "../codec/json.ts";
import type { HelloResult } from "../protocol/extensions.ts";
import { RpcError } from "../protocol/errors.ts";
import type { Peer } from "../peer/peer.ts";
import { VERSION } from "../version.ts";
import type { ClientOptions } from "./options.ts";
import { Method } from "../protocol/methods.ts";

/**
 * What the hello reports back besides its answer.
 *
 * @example Types only
 * ```ts
 * import type { HelloHooks } from "./hello.ts";
 * const hooks: HelloHooks = { expires: () => {}, report: () => {} };
 * if (typeof hooks.expires !== "function") throw new Error("unreachable");
 * ```
 */
export interface HelloHooks {
  /** The answer's `expires` (a hub's credential expiry), whatever it holds. */
  expires(expires: unknown): void;
  /** A failure worth reporting (a refused token). */
  report(error: unknown, where: string): void;
}

/**
 * Send the hello a socket needs, as its first frame, and switch the peer's codec and binary
 * frames by the answer. No hello when there is nothing to negotiate and no token.
 *
 * @param peer The new socket's peer.
 * @param options The client's options (codec, binary, multiplex).
 * @param token The credential to send, if any.
 * @param hooks Where `expires` and failures go.
 * @returns The answer, or undefined (no hello, or a server that refused it: JSON then).
 * @example
 * ```ts
 * import { Peer } from "../peer/peer.ts";
 * import { sayHello } from "./hello.ts";
 * const peer = new Peer({ send() {}, close() {} });
 * const hooks = { expires() {}, report() {} };
 * if (await sayHello(peer, { binary: false }, undefined, hooks) !== undefined) {
 *   throw new Error("no hello is needed");
 * }
 * ```
 */
export function sayHello(
  peer: Peer,
  options: ClientOptions,
  token: string | undefined,
  hooks: HelloHooks,
): Promise<HelloResult | undefined> {
  const codec = options.codec ?? jsonCodec;
  // Channels carry text frames only: a multiplexed client does not ask for binary.
  const binary = options.binary ?? !options.multiplex;
  const name = options.name;
  if (codec.name === "json" && !binary && token === undefined && name === undefined) {
    return Promise.resolve(undefined);
  }
  const codecs = codec.name === "json" ? ["json"] : [codec.name, "json"];
  if (binary) peer.wire.hold();
  const hello = peer.call(Method.Hello, {
    codecs,
    binary,
    client: name ?? `switchboard/${VERSION}`,
    ...(token === undefined ? {} : { token }),
  }, { timeout: 0 }).then(
    (result) => {
      const answer = result as HelloResult;
      hooks.expires((answer as { expires?: unknown }).expires);
      peer.wire.use(
        answer.codec === codec.name ? codec : jsonCodec,
        binary && answer.binary === true,
      );
      return answer;
    },
    (error: unknown) => {
      if (peer.isClosed) throw error;
      // A refused token is worth knowing; a server without rpc.hello is not.
      if (error instanceof RpcError && error.code === -32010) hooks.report(error, "hello");
      peer.wire.use(jsonCodec, false);
      return undefined;
    },
  );
  hello.catch(() => {});
  return hello;
}
