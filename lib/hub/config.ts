/**
 * The hub's configuration: defaults, a JSON config file, environment overrides and flags, in
 * that order of increasing precedence. docs/HUB.md documents every key.
 *
 * @module
 */

import type { Limits } from "../protocol/limits.ts";
import type { PubSubLimits } from "../pubsub/limits.ts";
import type { AuthSettings } from "./auth.ts";
import type { Rule } from "./policy.ts";

/**
 * The log levels, quietest last.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./config.ts";
 * const level: LogLevel = "info";
 * if (level !== "info") throw new Error("unreachable");
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/**
 * A complete hub configuration (what {@linkcode resolveHubConfig} returns).
 *
 * @example
 * ```ts
 * import { resolveHubConfig } from "./config.ts";
 * const config = resolveHubConfig({});
 * if (config.port !== 8000 || config.host !== "127.0.0.1") throw new Error("unreachable");
 * ```
 */
export interface HubConfig {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host: string;
  /** Port. Default 8000. */
  readonly port: number;
  /** Path of the WebSocket and HTTP POST endpoint. Default `/rpc`. */
  readonly path: string;
  /** Log level. Default `info`. */
  readonly logLevel: LogLevel;
  /** Credentials. Default none: anonymous access. */
  readonly auth: AuthSettings;
  /** Admit clients without credentials. Default: true when no credential is configured. */
  readonly allowAnonymous: boolean;
  /** Largest frame before authentication, in bytes (UTF-16 units). Default 512. */
  readonly preAuthMaxMessageSize: number;
  /** Origins allowed to open browser connections besides the hub's own. Default none. */
  readonly origins: readonly string[];
  /** Several clients registering one name: `single` refuses, `roundrobin` shares. */
  readonly registration: "single" | "roundrobin";
  /** Timeout of a routed call, in ms. Default 30,000. */
  readonly callTimeout: number;
  /** How long a shutdown waits for routed calls to finish, in ms. Default 5,000. */
  readonly shutdownTimeout: number;
  /** Rules, first match wins. */
  readonly rules: readonly Rule[];
  /** What happens when no rule applies. Default `allow`. */
  readonly defaultPolicy: "allow" | "deny";
  /** Per-connection receiver limits. */
  readonly limits: Partial<Limits>;
  /** Expose the inspector page at `GET /`. Default true. */
  readonly inspector: boolean;
  /** Topics: replay buffer and pub/sub limits. */
  readonly pubsub: HubPubSubConfig;
  /**
   * Join a cluster through this engine: `redis://host:port` or `nats://host:port` (docs/CLUSTER.md).
   * Default none: a single hub with the in-memory backplane.
   */
  readonly backplane?: string;
}

/**
 * The `pubsub` section of the hub's configuration.
 *
 * @example
 * ```ts
 * import { resolveHubConfig } from "./config.ts";
 * const config = resolveHubConfig({ pubsub: { replay: { size: 50 } } });
 * if (config.pubsub.replay.size !== 50 || config.pubsub.replay.maxAge !== 60_000) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export interface HubPubSubConfig {
  /**
   * Replay buffer per topic: at most `size` events (0 = replay off, the default) younger than
   * `maxAge` ms (default 60,000), for subscribers resuming with `since`.
   */
  readonly replay: { readonly size: number; readonly maxAge: number };
  /** Pub/sub limits (topic length, subscriptions per connection, slow consumers). */
  readonly limits: Partial<PubSubLimits>;
}

/**
 * Command-line flags, already parsed.
 *
 * @example
 * ```ts
 * import type { HubFlags } from "./config.ts";
 * const flags: HubFlags = { port: "9000" };
 * if (flags.port !== "9000") throw new Error("unreachable");
 * ```
 */
export interface HubFlags {
  /** `--host` */
  readonly host?: string | undefined;
  /** `--port` */
  readonly port?: string | undefined;
  /** `--path` */
  readonly path?: string | undefined;
  /** `--log-level` */
  readonly logLevel?: string | undefined;
  /** `--backplane` */
  readonly backplane?: string | undefined;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/**
 * Merge a config file's content, the environment and flags into a complete configuration.
 *
 * Environment: `HOST`, `PORT`, `SWITCHBOARD_PATH`, `SWITCHBOARD_LOG_LEVEL`,
 * `SWITCHBOARD_SECRET` (+ `SWITCHBOARD_SECRET_ID`, `SWITCHBOARD_SECRET_ROLES`),
 * `SWITCHBOARD_JWT_SECRET`, `SWITCHBOARD_ORIGINS` (comma-separated),
 * `SWITCHBOARD_ANONYMOUS` (`1`/`0`), `SWITCHBOARD_REGISTRATION`,
 * `SWITCHBOARD_REPLAY_SIZE`, `SWITCHBOARD_REPLAY_MAX_AGE`, `SWITCHBOARD_BACKPLANE`.
 *
 * @param file The parsed config file (or `{}`).
 * @param env Environment variables.
 * @param flags Parsed flags.
 * @returns The configuration.
 * @throws {TypeError} When a value has the wrong type.
 * @example Environment overrides the file, flags override both
 * ```ts
 * import { resolveHubConfig } from "./config.ts";
 * const config = resolveHubConfig({ port: 9000 }, { PORT: "9100" }, { port: "9200" });
 * if (config.port !== 9200) throw new Error("unreachable");
 * ```
 */
export function resolveHubConfig(
  file: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
  flags: HubFlags = {},
): HubConfig {
  if (typeof file !== "object" || file === null || Array.isArray(file)) {
    throw new TypeError("Switchboard hub: the config file must hold a JSON object");
  }
  const f = file as Record<string, unknown>;
  const fileAuth = (f.auth ?? {}) as AuthSettings;
  const secrets = [...(fileAuth.secrets ?? [])];
  if (env.SWITCHBOARD_SECRET) {
    secrets.push({
      secret: env.SWITCHBOARD_SECRET,
      id: env.SWITCHBOARD_SECRET_ID ?? "client",
      roles: splitList(env.SWITCHBOARD_SECRET_ROLES ?? ""),
    });
  }
  const jwt = env.SWITCHBOARD_JWT_SECRET
    ? { ...fileAuth.jwt, secret: env.SWITCHBOARD_JWT_SECRET }
    : fileAuth.jwt;
  const auth: AuthSettings = { secrets, ...(jwt === undefined ? {} : { jwt }) };
  const hasCredentials = secrets.length > 0 || jwt !== undefined;
  const anonymous = env.SWITCHBOARD_ANONYMOUS ?? f.allowAnonymous;
  const config: HubConfig = {
    host: str(flags.host ?? env.HOST ?? f.host ?? "127.0.0.1", "host"),
    port: int(flags.port ?? env.PORT ?? f.port ?? 8000, "port"),
    path: str(flags.path ?? env.SWITCHBOARD_PATH ?? f.path ?? "/rpc", "path"),
    logLevel: level(flags.logLevel ?? env.SWITCHBOARD_LOG_LEVEL ?? f.logLevel ?? "info"),
    auth,
    allowAnonymous: anonymous === undefined ? !hasCredentials : bool(anonymous, "allowAnonymous"),
    preAuthMaxMessageSize: int(f.preAuthMaxMessageSize ?? 512, "preAuthMaxMessageSize"),
    origins: env.SWITCHBOARD_ORIGINS !== undefined
      ? splitList(env.SWITCHBOARD_ORIGINS)
      : strList(f.origins ?? [], "origins"),
    registration: registration(env.SWITCHBOARD_REGISTRATION ?? f.registration ?? "single"),
    callTimeout: int(f.callTimeout ?? 30_000, "callTimeout"),
    shutdownTimeout: int(f.shutdownTimeout ?? 5_000, "shutdownTimeout"),
    rules: (f.rules ?? []) as Rule[],
    defaultPolicy: f.defaultPolicy === "deny" ? "deny" : "allow",
    limits: (f.limits ?? {}) as Partial<Limits>,
    inspector: f.inspector === undefined ? true : bool(f.inspector, "inspector"),
    pubsub: pubsub(f.pubsub ?? {}, env),
    ...backplane(flags.backplane ?? env.SWITCHBOARD_BACKPLANE ?? f.backplane),
  };
  if (!Array.isArray(config.rules)) throw new TypeError("Switchboard hub: rules must be an array");
  if (!config.path.startsWith("/")) {
    throw new TypeError(`Switchboard hub: path must start with "/": got ${config.path}`);
  }
  return config;
}

function backplane(value: unknown): { backplane?: string } {
  if (value === undefined || value === "") return {};
  const url = str(value, "backplane");
  if (!/^(redis|nats):\/\/[^/\s]+\/?$/.test(url) && url !== "memory:") {
    throw new TypeError(
      `Switchboard hub: backplane must be redis://host:port, nats://host:port or memory: (got ${url})`,
    );
  }
  return { backplane: url };
}

function splitList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function str(value: unknown, key: string): string {
  if (typeof value !== "string") throw new TypeError(`Switchboard hub: ${key} must be a string`);
  return value;
}

function strList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new TypeError(`Switchboard hub: ${key} must be an array of strings`);
  }
  return value;
}

function int(value: unknown, key: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`Switchboard hub: ${key} must be a non-negative integer: got ${value}`);
  }
  return n;
}

function bool(value: unknown, key: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new TypeError(`Switchboard hub: ${key} must be a boolean: got ${value}`);
}

function level(value: unknown): LogLevel {
  if (!LEVELS.includes(value as LogLevel)) {
    throw new TypeError(`Switchboard hub: log level must be one of ${LEVELS.join(", ")}`);
  }
  return value as LogLevel;
}

function registration(value: unknown): "single" | "roundrobin" {
  if (value !== "single" && value !== "roundrobin") {
    throw new TypeError(`Switchboard hub: registration must be "single" or "roundrobin"`);
  }
  return value;
}

function pubsub(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): HubPubSubConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("Switchboard hub: pubsub must be an object");
  }
  const p = value as { replay?: unknown; limits?: unknown };
  const replay = (p.replay ?? {}) as { size?: unknown; maxAge?: unknown };
  if (typeof replay !== "object" || replay === null) {
    throw new TypeError("Switchboard hub: pubsub.replay must be an object");
  }
  const limits = p.limits ?? {};
  if (typeof limits !== "object" || limits === null || Array.isArray(limits)) {
    throw new TypeError("Switchboard hub: pubsub.limits must be an object");
  }
  return {
    replay: {
      size: int(env.SWITCHBOARD_REPLAY_SIZE ?? replay.size ?? 0, "pubsub.replay.size"),
      maxAge: int(
        env.SWITCHBOARD_REPLAY_MAX_AGE ?? replay.maxAge ?? 60_000,
        "pubsub.replay.maxAge",
      ),
    },
    limits: limits as Partial<PubSubLimits>,
  };
}
