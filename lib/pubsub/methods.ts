/**
 * The server side of the pub/sub wire protocol: `rpc.subscribe`, `rpc.unsubscribe` and
 * `rpc.publish` as reserved procedures delegating to a {@linkcode Broker}.
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import type { Registry } from "../router/registry.ts";
import type { Broker } from "./broker.ts";
import { PubSubMethod } from "./protocol.ts";

type Named = Readonly<Record<string, unknown>>;

/**
 * Register the pub/sub methods on a server's registry. Params may be given by name
 * (`{"topic": …}`) or by position (`["ticker.ACME", 41]`).
 *
 * @param registry The server's shared registry.
 * @param broker The broker they delegate to.
 * @example
 * ```ts
 * import { Registry } from "../router/registry.ts";
 * import { Broker } from "./broker.ts";
 * import { registerPubSub } from "./methods.ts";
 * const registry = new Registry();
 * registerPubSub(registry, new Broker());
 * if (!registry.has("rpc.subscribe")) throw new Error("unreachable");
 * ```
 */
export function registerPubSub(registry: Registry, broker: Broker): void {
  registry.registerReserved(
    PubSubMethod.Subscribe,
    (p: Named, ctx) => broker.subscribe(ctx.connection.id, p.topic, p.since),
    { params: ["topic", "since"], shape: "object" },
  );
  registry.registerReserved(
    PubSubMethod.Unsubscribe,
    (p: Named, ctx) => broker.unsubscribe(ctx.connection.id, p.topic),
    { params: ["topic"], shape: "object" },
  );
  registry.registerReserved(
    PubSubMethod.Publish,
    async (p: Named, ctx) => {
      if (p.echo !== undefined && typeof p.echo !== "boolean") {
        throw new RpcError(ErrorCode.InvalidParams, "Invalid params", {
          reason: "echo must be a boolean",
        });
      }
      const seq = await broker.publishFrom(ctx.connection, p.topic, p.data, p.echo === true);
      return { seq };
    },
    { params: ["topic", "data", "echo"], shape: "object" },
  );
}
