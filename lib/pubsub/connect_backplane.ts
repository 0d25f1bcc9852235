/**
 * Open a backplane from a URL: `redis://` (or `rediss://`) for {@linkcode RedisBackplane},
 * `nats://` for {@linkcode NatsBackplane}, `memory:` for a {@linkcode MemoryBackplane} (one
 * process). What a hub's `--backplane` flag takes.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { BackplaneHealth } from "./backplane_health.ts";
import { MemoryBackplane } from "./memory_backplane.ts";
import { NatsBackplane } from "./nats_backplane.ts";
import { RedisBackplane } from "./redis_backplane.ts";
import type { ReplayOptions } from "./replay.ts";

/**
 * Options every backplane kind takes from {@linkcode connectBackplane}.
 *
 * @example Types only
 * ```ts
 * import type { ConnectBackplaneOptions } from "./connect_backplane.ts";
 * const options: ConnectBackplaneOptions = { replay: { size: 100, maxAge: 60_000 } };
 * if (options.replay?.size !== 100) throw new Error("unreachable");
 * ```
 */
export interface ConnectBackplaneOptions {
  /** Events kept per topic for resuming subscribers. Default: none. */
  readonly replay?: ReplayOptions;
  /** Where lost events and listener or connection errors are reported. */
  readonly onError?: (error: unknown) => void;
}

/** A backplane that reports its engine connection's health. */
export type ConnectedBackplane = Backplane & {
  /** The engine connection's state (always `up` in memory). */
  health(): BackplaneHealth;
};

/**
 * Connect the backplane a URL names.
 *
 * @param url `redis://host:port`, `rediss://…`, `nats://host:port` or `memory:`.
 * @param options Replay retention and error reporting.
 * @returns The connected backplane.
 * @throws {TypeError} For a URL of another scheme.
 * @throws {Error} When the engine cannot be reached.
 * @example
 * ```ts
 * import { connectBackplane } from "./connect_backplane.ts";
 * const backplane = await connectBackplane("memory:");
 * if (backplane.health().state !== "up" || (await backplane.publish("a", 1)) !== 1) {
 *   throw new Error("unreachable");
 * }
 * await backplane.close();
 * const error = await connectBackplane("kafka://x").catch((e: Error) => e);
 * if (!(error instanceof TypeError)) throw new Error("unreachable");
 * ```
 */
export async function connectBackplane(
  url: string,
  options: ConnectBackplaneOptions = {},
): Promise<ConnectedBackplane> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const common = {
    ...(options.replay === undefined ? {} : { replay: options.replay }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  };
  switch (scheme) {
    case "redis":
    case "rediss":
      return await RedisBackplane.connect(url, common);
    case "nats":
      return await NatsBackplane.connect(url, common);
    case "memory": {
      const memory = new MemoryBackplane(
        options.replay === undefined ? {} : { replay: options.replay },
      );
      return Object.assign(memory, { health: (): BackplaneHealth => ({ state: "up" }) });
    }
    default:
      throw new TypeError(
        `Switchboard: unknown backplane URL scheme in ${JSON.stringify(url)}: ` +
          "expected redis://, rediss://, nats:// or memory:",
      );
  }
}
