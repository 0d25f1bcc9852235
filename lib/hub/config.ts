/**
 * The hub's configuration: defaults, a JSON config file, environment overrides and flags, in
 * that order of increasing precedence. docs/HUB.md documents every key.
 *
 * @module
 */

import type { Limits } from "../protocol/limits.ts";
import type { PubSubLimits } from "../pubsub/limits.ts";
import type { RateLimitOptions } from "../server/rate_limit.ts";
import type { AuthSettings, JwtSettings, SecretEntry } from "./auth.ts";
import { checkHubFile } from "./config_schema.ts";
import type { Rule } from "./policy.ts";

/**
 * The log levels, quietest last.
 *
 * @example Types only
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
  /**
   * Largest frame (UTF-16 units of text, bytes of binary) or HTTP body (bytes) before
   * authentication. Default 512.
   */
  readonly preAuthMaxMessageSize: number;
  /**
   * Milliseconds a WebSocket that has not authenticated may stay open before it is closed
   * with 4002. Default 10,000; 0 turns the deadline off.
   */
  readonly preAuthTimeout: number;
  /**
   * Most WebSockets not yet authenticated at once; further upgrades get HTTP 503. Default
   * 256; 0 for no cap.
   */
  readonly preAuthMaxSockets: number;
  /**
   * Most WebSockets not yet authenticated at once from one remote address; further upgrades
   * get HTTP 429. Default 8; 0 for no cap.
   */
  readonly preAuthMaxSocketsPerAddress: number;
  /**
   * Refuse WebSocket upgrades without a credential (bearer header, cookie or query token)
   * with 401 instead of admitting them for an `rpc.hello`: nothing is read from a socket
   * before it is authenticated. Default false; recommended for Deno hubs facing the internet.
   */
  readonly requireUpgradeAuth: boolean;
  /**
   * `Host` header values the hub answers besides its own bound address (a public name such as
   * `rpc.example.com`, with `:port` to pin a port); `"*"` turns the check off. Default none.
   */
  readonly allowedHosts: readonly string[];
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
  /** Per-connection rate limits (frames/s, bytes/s); `false` turns them off. Default on. */
  readonly rateLimit: Partial<RateLimitOptions> | false;
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
 * @example Types only
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
  /** `--allowed-hosts` (comma-separated) */
  readonly allowedHosts?: string | undefined;
  /** `--backplane` */
  readonly backplane?: string | undefined;
}

/**
 * Merge a config file's content, the environment and flags into a complete configuration.
 * Every value is checked against {@linkcode HUB_FILE_SCHEMA}: an unknown key or a bad value
 * (from the file, a variable or a flag) is a `TypeError` with one line naming the key and
 * where it came from; the hub's entry point prints it and exits with code 2.
 *
 * Environment: `HOST`, `PORT`, `SWITCHBOARD_PATH`, `SWITCHBOARD_LOG_LEVEL`,
 * `SWITCHBOARD_SECRET` (+ `SWITCHBOARD_SECRET_ID`, `SWITCHBOARD_SECRET_ROLES`),
 * `SWITCHBOARD_JWT_SECRET`, `SWITCHBOARD_ORIGINS` and `SWITCHBOARD_ALLOWED_HOSTS`
 * (comma-separated), `SWITCHBOARD_ANONYMOUS` (`1`/`0`), `SWITCHBOARD_REGISTRATION`,
 * `SWITCHBOARD_REPLAY_SIZE`, `SWITCHBOARD_REPLAY_MAX_AGE`, `SWITCHBOARD_BACKPLANE`.
 *
 * @param file The parsed config file (or `{}`).
 * @param env Environment variables.
 * @param flags Parsed flags.
 * @returns The configuration.
 * @throws {TypeError} When a key is unknown or a value is out of range or of the wrong type.
 * @example Environment overrides the file, flags override both
 * ```ts
 * import { resolveHubConfig } from "./config.ts";
 * const config = resolveHubConfig({ port: 9000 }, { PORT: "9100" }, { port: "9200" });
 * if (config.port !== 9200) throw new Error("unreachable");
 * ```
 * @example A typo is one clear error
 * ```ts
 * import { resolveHubConfig } from "./config.ts";
 * let message = "";
 * try { resolveHubConfig({ alowAnonymous: true }); } catch (e) { message = (e as Error).message; }
 * if (message !== "Switchboard hub: invalid config: alowAnonymous (config file): unknown key") {
 *   throw new Error(message);
 * }
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
  // A key set to undefined (as a caller spreading options may pass) counts as absent.
  const merged: Record<string, unknown> = Object.fromEntries(
    Object.entries(file).filter(([, value]) => value !== undefined),
  );
  const sources = new Map<string, string>();
  const set = (key: string, value: unknown, source: string): void => {
    if (value === undefined) return;
    merged[key] = value;
    sources.set(key, source);
  };
  set("host", env.HOST, "HOST");
  set("port", numeric(env.PORT), "PORT");
  set("path", env.SWITCHBOARD_PATH, "SWITCHBOARD_PATH");
  set("logLevel", env.SWITCHBOARD_LOG_LEVEL, "SWITCHBOARD_LOG_LEVEL");
  set("origins", list(env.SWITCHBOARD_ORIGINS), "SWITCHBOARD_ORIGINS");
  set("allowedHosts", list(env.SWITCHBOARD_ALLOWED_HOSTS), "SWITCHBOARD_ALLOWED_HOSTS");
  set("allowAnonymous", boolean(env.SWITCHBOARD_ANONYMOUS), "SWITCHBOARD_ANONYMOUS");
  set("registration", env.SWITCHBOARD_REGISTRATION, "SWITCHBOARD_REGISTRATION");
  set("host", flags.host, "--host");
  set("port", numeric(flags.port), "--port");
  set("path", flags.path, "--path");
  set("logLevel", flags.logLevel, "--log-level");
  set("allowedHosts", list(flags.allowedHosts), "--allowed-hosts");
  set("backplane", empty(env.SWITCHBOARD_BACKPLANE), "SWITCHBOARD_BACKPLANE");
  set("backplane", empty(flags.backplane), "--backplane");
  const replaySize = numeric(env.SWITCHBOARD_REPLAY_SIZE);
  const replayAge = numeric(env.SWITCHBOARD_REPLAY_MAX_AGE);
  if (replaySize !== undefined || replayAge !== undefined) {
    const p = isRecord(merged.pubsub) ? merged.pubsub : {};
    const replay = isRecord(p.replay) ? p.replay : {};
    merged.pubsub = {
      ...p,
      replay: {
        ...replay,
        ...(replaySize === undefined ? {} : { size: replaySize }),
        ...(replayAge === undefined ? {} : { maxAge: replayAge }),
      },
    };
    sources.set(
      "pubsub",
      replaySize === undefined ? "SWITCHBOARD_REPLAY_MAX_AGE" : "SWITCHBOARD_REPLAY_SIZE",
    );
  }
  const f = checkHubFile(merged, (key) => sources.get(key));
  const secrets: SecretEntry[] = [...(f.auth?.secrets ?? [])];
  if (env.SWITCHBOARD_SECRET) {
    secrets.push({
      secret: env.SWITCHBOARD_SECRET,
      id: env.SWITCHBOARD_SECRET_ID ?? "client",
      roles: splitList(env.SWITCHBOARD_SECRET_ROLES ?? ""),
    });
  }
  const fileJwt = f.auth?.jwt;
  const jwt: JwtSettings | undefined = env.SWITCHBOARD_JWT_SECRET
    ? { ...fileJwt, secret: env.SWITCHBOARD_JWT_SECRET }
    : fileJwt;
  const auth: AuthSettings = { secrets, ...(jwt === undefined ? {} : { jwt }) };
  const hasCredentials = secrets.length > 0 || jwt !== undefined;
  return {
    host: f.host ?? "127.0.0.1",
    port: f.port ?? 8000,
    path: f.path ?? "/rpc",
    logLevel: f.logLevel ?? "info",
    auth,
    allowAnonymous: f.allowAnonymous ?? !hasCredentials,
    preAuthMaxMessageSize: f.preAuthMaxMessageSize ?? 512,
    preAuthTimeout: f.preAuthTimeout ?? 10_000,
    preAuthMaxSockets: f.preAuthMaxSockets ?? 256,
    preAuthMaxSocketsPerAddress: f.preAuthMaxSocketsPerAddress ?? 8,
    requireUpgradeAuth: f.requireUpgradeAuth ?? false,
    allowedHosts: f.allowedHosts ?? [],
    origins: f.origins ?? [],
    registration: f.registration ?? "single",
    callTimeout: f.callTimeout ?? 30_000,
    shutdownTimeout: f.shutdownTimeout ?? 5_000,
    rules: f.rules ?? [],
    defaultPolicy: f.defaultPolicy ?? "allow",
    limits: f.limits ?? {},
    rateLimit: f.rateLimit ?? {},
    inspector: f.inspector ?? true,
    pubsub: {
      replay: {
        size: f.pubsub?.replay?.size ?? 0,
        maxAge: f.pubsub?.replay?.maxAge ?? 60_000,
      },
      limits: f.pubsub?.limits ?? {},
    },
    ...(f.backplane === undefined ? {} : { backplane: f.backplane }),
  };
}

/** An empty string means unset (so `SWITCHBOARD_BACKPLANE=` runs a single hub). */
function empty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}

function splitList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** A number when the text is one (else the text, which the schema then refuses). */
function numeric(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

/** `1`/`true` and `0`/`false` as booleans (else the text, which the schema then refuses). */
function boolean(text: string | undefined): boolean | string | undefined {
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  return text;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : splitList(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
