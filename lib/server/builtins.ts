/**
 * The server's built-in extension procedures (`rpc.hello`, `rpc.ping`).
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { Extension, type HelloParams, type HelloResult } from "../protocol/extensions.ts";
import type { Limits } from "../protocol/limits.ts";
import type { Registry } from "../router/registry.ts";
import { PubSubMethod } from "../pubsub/protocol.ts";
import { VERSION } from "../version.ts";

/** The codecs this server can speak, preferred first. */
const SERVER_CODECS: readonly string[] = ["json"];

/** The pub/sub extension methods announced in the hello result. */
const PUBSUB_EXTENSIONS: readonly string[] = Object.values(PubSubMethod);

/**
 * Register `rpc.hello` and `rpc.ping` on a server's registry.
 *
 * @param registry The server's shared registry.
 * @param limits The limits to announce.
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
export function registerBuiltins(registry: Registry, limits: Limits): void {
  registry.registerReserved(Extension.Ping, () => "pong");
  registry.registerReserved(
    Extension.Hello,
    (params: HelloParams | undefined, ctx): HelloResult => {
      const offered = params?.codecs;
      if (offered !== undefined && !Array.isArray(offered)) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", "codecs must be an array");
      }
      const codec = offered === undefined
        ? "json"
        : SERVER_CODECS.find((name) => offered.includes(name));
      if (codec === undefined) {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
          reason: "No common codec",
          supported: SERVER_CODECS,
        });
      }
      return {
        session: ctx.connection.id,
        codec,
        server: `switchboard/${VERSION}`,
        limits: { maxMessageSize: limits.maxMessageSize, maxBatchSize: limits.maxBatchSize },
        extensions: [Extension.Hello, Extension.Ping, Extension.Cancel, ...PUBSUB_EXTENSIONS],
      };
    },
  );
}
