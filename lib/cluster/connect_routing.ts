/**
 * Open the cluster-routing engine a backplane URL names (the same Redis or NATS server).
 *
 * @module
 */

import type { RoutingEngine } from "./engine.ts";

/**
 * Connect the routing engine for `redis://` or `nats://`.
 *
 * @param url The backplane URL.
 * @param options The hub lease in ms (default 3,000).
 * @returns The engine, or `undefined` for `memory:` (a single hub: no cluster routing).
 * @throws {TypeError} For another scheme.
 * @example
 * ```ts
 * import { connectRouting } from "./connect_routing.ts";
 * if (await connectRouting("memory:") !== undefined) throw new Error("unreachable");
 * ```
 */
export async function connectRouting(
  url: string,
  options: { readonly lease?: number } = {},
): Promise<RoutingEngine | undefined> {
  if (url.startsWith("redis://")) {
    const { RedisRouting } = await import("./redis_routing.ts");
    return await RedisRouting.connect(url, options);
  }
  if (url.startsWith("nats://")) {
    const { NatsRouting } = await import("./nats_routing.ts");
    return await NatsRouting.connect(url, options);
  }
  if (url === "memory:") return undefined;
  throw new TypeError(`Switchboard hub: unknown backplane URL scheme: ${url}`);
}
