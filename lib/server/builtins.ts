/**
 * The server's built-in extension procedures (`rpc.hello`, `rpc.ping`).
 *
 * @module
 */

import type { Codec } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import { superjsonCodec } from "../codec/superjson.ts";
import { Peer } from "../peer/peer.ts";
import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Extension, type HelloParams, type HelloResult } from "../protocol/extensions.ts";
import type { Limits } from "../protocol/limits.ts";
import type { Registry } from "../router/registry.ts";
import { PUBSUB_EXTENSIONS } from "../pubsub/protocol.ts";
import { VERSION } from "../version.ts";
import { StreamMethod } from "../peer/stream.ts";
import { STATE_EXTENSIONS } from "../state/protocol.ts";

/** The codecs this server can speak, preferred first. */
const SERVER_CODECS: ReadonlyMap<string, Codec> = new Map([
  ["superjson", superjsonCodec],
  ["json", jsonCodec],
]);

/** What the peer layer itself understands: hello, ping, cancel, and streamed results. */
const PEER_EXTENSIONS: readonly string[] = [
  ...Object.values(Extension),
  ...Object.values(StreamMethod),
];

/**
 * Every extension a server announces in `rpc.hello`, each feature's own list concatenated:
 * the peer's, pub/sub's, synced state's, then `announce` (channels, when allowed).
 *
 * @param announce The extensions of optional features, listed last.
 * @returns The list, in announcement order.
 * @example
 * ```ts
 * import { serverExtensions } from "./builtins.ts";
 * const all = serverExtensions(["rpc.channel.open"]);
 * if (all[0] !== "rpc.hello" || all.at(-1) !== "rpc.channel.open") throw new Error();
 * ```
 */
export function serverExtensions(announce: readonly string[] = []): string[] {
  return [...PEER_EXTENSIONS, ...PUBSUB_EXTENSIONS, ...STATE_EXTENSIONS, ...announce];
}

/**
 * Register `rpc.hello` and `rpc.ping` on a server's registry.
 *
 * @param registry The server's shared registry.
 * @param limits The limits to announce.
 * @param negotiating Told the id of a connection whose codec `rpc.hello` is about to change
 * (the broker takes its subscriptions back from the runtime's fan-out).
 * @param announce More `rpc.*` methods the server understands, listed after the built-in ones
 * in the hello result's `extensions` (the channel methods, when channels are allowed).
 * @example
 * ```ts
 * import { Registry } from "../router/registry.ts";
 * import { DEFAULT_LIMITS } from "../protocol/limits.ts";
 * import { registerBuiltins } from "./builtins.ts";
 * const registry = new Registry();
 * registerBuiltins(registry, DEFAULT_LIMITS);
 * if (!registry.has("rpc.hello")) throw new Error("unreachable");
 * ```
 */
export function registerBuiltins(
  registry: Registry,
  limits: Limits,
  negotiating?: (connectionId: string) => void,
  announce: readonly string[] = [],
): void {
  // Every peer answers rpc.ping itself (lib/peer/builtins.ts) before the registry is read;
  // registered here so that rpc.discover lists it with the server's procedures.
  registry.registerReserved(Extension.Ping, () => "pong");
  registry.registerReserved(
    Extension.Hello,
    (params: HelloParams | undefined, ctx): HelloResult => {
      const offered = params?.codecs;
      if (offered !== undefined && !Array.isArray(offered)) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", "codecs must be an array");
      }
      // A connection that cannot switch (HTTP) speaks JSON only.
      const wire = ctx.peer instanceof Peer && ctx.peer.wire.negotiable ? ctx.peer.wire : undefined;
      const supported = wire === undefined ? ["json"] : [...SERVER_CODECS.keys()];
      const codec = offered === undefined
        ? "json"
        : supported.find((name) => offered.includes(name));
      if (codec === undefined) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
          reason: "No common codec",
          supported,
        });
      }
      const binary = wire !== undefined && wire.binaryFrames && params?.binary === true;
      // Frames after this request are decoded with the codec; ours switch after the response.
      if (wire !== undefined && ctx.id !== undefined) {
        wire.negotiate(SERVER_CODECS.get(codec)!, binary, ctx.id);
        if (SERVER_CODECS.get(codec) !== wire.codec) negotiating?.(ctx.connection.id);
      }
      return {
        session: ctx.connection.id,
        codec,
        server: `switchboard/${VERSION}`,
        limits: { maxMessageSize: limits.maxMessageSize, maxBatchSize: limits.maxBatchSize },
        extensions: serverExtensions(announce),
        binary,
      };
    },
  );
}
