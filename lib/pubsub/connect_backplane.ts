/**
 * Open a backplane from a URL (stand-in for the h16a branch's, same export): `redis://`,
 * `nats://` or `memory:`.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import { MemoryBackplane } from "./memory_backplane.ts";

/**
 * Connect the backplane a URL names.
 *
 * @param url `redis://host:port`, `nats://host:port` or `memory:`.
 * @returns The connected backplane with its health.
 * @throws {TypeError} For another scheme.
 * @example
 * ```ts
 * import { connectBackplane } from "./connect_backplane.ts";
 * const backplane = await connectBackplane("memory:");
 * if (backplane.health().state !== "up") throw new Error("unreachable");
 * await backplane.close();
 * ```
 */
export async function connectBackplane(
  url: string,
): Promise<Backplane & { health(): { state: "up" | "down" | "connecting"; detail?: string } }> {
  if (url.startsWith("redis://")) {
    const { RedisBackplane } = await import("./redis_backplane.ts");
    return await RedisBackplane.connect(url);
  }
  if (url.startsWith("nats://")) {
    const { NatsBackplane } = await import("./nats_backplane.ts");
    return await NatsBackplane.connect(url);
  }
  if (url === "memory:") {
    const memory = new MemoryBackplane({ replay: { size: 1000 } });
    return Object.assign(memory, { health: () => ({ state: "up" as const }) });
  }
  throw new TypeError(`Switchboard: unknown backplane URL scheme: ${url}`);
}
