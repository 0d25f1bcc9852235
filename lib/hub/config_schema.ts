/**
 * The schema of the hub's configuration (valibot): every key the config file may hold, its
 * type and range. Unknown keys are errors, so a typo (`alowAnonymous`) is never a silently
 * ignored setting. {@linkcode checkHubFile} turns the first problem into one line naming the
 * key and where its value came from.
 *
 * @module
 */

import * as v from "valibot";

const integer = v.pipe(v.number(), v.integer("an integer"));
const nonNegative = v.pipe(integer, v.minValue(0, "0 or more"));
const positive = v.pipe(integer, v.minValue(1, "1 or more"));
const text = v.string();
const nonEmpty = v.pipe(v.string(), v.minLength(1, "a non-empty string"));
const textList = v.array(v.string());

/** A strict object that is not an array (valibot's object schemas alone accept arrays). */
function record<const T extends v.ObjectEntries>(entries: T) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => typeof input === "object" && input !== null && !Array.isArray(input),
      "an object",
    ),
    v.strictObject(entries),
  );
}

const SECRET = record({
  secret: nonEmpty,
  id: v.string(),
  roles: v.exactOptional(textList),
});

const JWT = record({
  secret: nonEmpty,
  alg: v.exactOptional(v.picklist(["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"])),
  issuer: v.exactOptional(v.string()),
  rolesClaim: v.exactOptional(v.string()),
});

const RULE = record({
  actions: v.exactOptional(v.array(v.picklist(["call", "register", "subscribe", "publish"]))),
  match: v.exactOptional(v.string()),
  roles: v.exactOptional(textList),
  effect: v.exactOptional(v.picklist(["allow", "deny"])),
});

const LIMITS = record({
  maxMessageSize: v.exactOptional(positive),
  maxBatchSize: v.exactOptional(positive),
  maxConcurrentRequests: v.exactOptional(positive),
  maxPendingCalls: v.exactOptional(positive),
  maxStreamWindow: v.exactOptional(positive),
  maxCollectedItems: v.exactOptional(positive),
});

const PUBSUB_LIMITS = record({
  maxTopicLength: v.exactOptional(positive),
  maxSegments: v.exactOptional(positive),
  maxWildcards: v.exactOptional(positive),
  maxSubscriptions: v.exactOptional(positive),
  maxBufferedBytes: v.exactOptional(positive),
  slowConsumerGrace: v.exactOptional(positive),
});

/**
 * The config file's shape (all keys optional; docs/HUB.md documents each).
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { HUB_FILE_SCHEMA } from "./config_schema.ts";
 * if (!v.is(HUB_FILE_SCHEMA, { port: 9000 }) || v.is(HUB_FILE_SCHEMA, { prot: 9000 })) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export const HUB_FILE_SCHEMA = record({
  host: v.exactOptional(nonEmpty),
  port: v.exactOptional(v.pipe(nonNegative, v.maxValue(65_535, "at most 65535"))),
  path: v.exactOptional(v.pipe(text, v.startsWith("/", 'a path starting with "/"'))),
  logLevel: v.exactOptional(v.picklist(["debug", "info", "warn", "error", "silent"])),
  auth: v.exactOptional(record({
    secrets: v.exactOptional(v.array(SECRET)),
    jwt: v.exactOptional(JWT),
  })),
  allowAnonymous: v.exactOptional(v.boolean()),
  preAuthMaxMessageSize: v.exactOptional(positive),
  preAuthTimeout: v.exactOptional(nonNegative),
  preAuthMaxSockets: v.exactOptional(nonNegative),
  preAuthMaxSocketsPerAddress: v.exactOptional(nonNegative),
  requireUpgradeAuth: v.exactOptional(v.boolean()),
  allowedHosts: v.exactOptional(v.array(v.pipe(
    v.string(),
    v.regex(/^(\*|\.?[a-z0-9_.-]+(:\d{1,5})?|\[[0-9a-f:.]+\](:\d{1,5})?)$/i, "a host[:port]"),
  ))),
  origins: v.exactOptional(v.array(nonEmpty)),
  registration: v.exactOptional(v.picklist(["single", "roundrobin"])),
  callTimeout: v.exactOptional(nonNegative),
  shutdownTimeout: v.exactOptional(nonNegative),
  rules: v.exactOptional(v.array(RULE)),
  defaultPolicy: v.exactOptional(v.picklist(["allow", "deny"])),
  limits: v.exactOptional(LIMITS),
  rateLimit: v.exactOptional(v.union([
    v.literal(false),
    record({ messages: v.exactOptional(positive), bytes: v.exactOptional(positive) }),
  ])),
  inspector: v.exactOptional(v.boolean()),
  backplane: v.exactOptional(v.pipe(
    v.string(),
    v.regex(
      /^((redis|rediss|nats):\/\/[^/\s]+\/?|memory:)$/,
      "redis://host:port, rediss://host:port, nats://host:port or memory:",
    ),
  )),
  pubsub: v.exactOptional(record({
    replay: v.exactOptional(record({
      size: v.exactOptional(nonNegative),
      maxAge: v.exactOptional(nonNegative),
    })),
    limits: v.exactOptional(PUBSUB_LIMITS),
  })),
});

/**
 * The config file's content once checked.
 *
 * @example Types only
 * ```ts
 * import type { HubFile } from "./config_schema.ts";
 * const file: HubFile = { port: 9000, origins: ["https://app.example"] };
 * if (file.port !== 9000) throw new Error("unreachable");
 * ```
 */
export type HubFile = v.InferOutput<typeof HUB_FILE_SCHEMA>;

/**
 * Check merged config values against {@linkcode HUB_FILE_SCHEMA}.
 *
 * @param value The merged file, environment and flag values (environment and flag strings
 * already converted where a key takes a number or a boolean).
 * @param sourceOf Where a dotted key's value came from (`"--port"`, `"PORT"`), for the
 * message; default "config file".
 * @returns The checked value.
 * @throws {TypeError} One line: `Switchboard hub: invalid config: <key> (<source>): <problem>`.
 * @example A typo is an error, not an ignored key
 * ```ts
 * import { checkHubFile } from "./config_schema.ts";
 * let message = "";
 * try { checkHubFile({ alowAnonymous: true }); } catch (e) { message = (e as Error).message; }
 * if (!message.includes("alowAnonymous")) throw new Error(message);
 * ```
 */
export function checkHubFile(
  value: unknown,
  sourceOf: (key: string) => string | undefined = () => undefined,
): HubFile {
  const result = v.safeParse(HUB_FILE_SCHEMA, value, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const key = v.getDotPath(issue) ?? "";
  const where = sourceOf(key.split(".")[0] ?? "") ?? "config file";
  let problem: string;
  if (issue.kind === "schema" && issue.type === "strict_object" && issue.input !== undefined) {
    problem = "unknown key";
  } else {
    const got = issue.input === undefined ? "nothing" : JSON.stringify(issue.input);
    const expected = issue.kind === "validation" || issue.type === "custom"
      ? issue.message
      : issue.expected;
    problem = `expected ${expected ?? issue.message}, got ${got}`;
  }
  throw new TypeError(
    `Switchboard hub: invalid config: ${key === "" ? "(top level)" : key} (${where}): ${problem}`,
  );
}
