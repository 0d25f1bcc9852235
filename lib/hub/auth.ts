/**
 * Credentials: shared secrets and signed JWTs (verified with Hono's JWT helpers). A hub with
 * neither configured admits anonymous clients.
 *
 * @module
 */

import { verify } from "hono/jwt";
import type { Identity } from "./policy.ts";

/**
 * A shared secret and who presents it.
 *
 * @example Types only
 * ```ts
 * import type { SecretEntry } from "./auth.ts";
 * const entry: SecretEntry = { secret: "s3cret", id: "worker-1", roles: ["worker"] };
 * if (entry.id !== "worker-1") throw new Error("unreachable");
 * ```
 */
export interface SecretEntry {
  /** The secret the client sends as its token. */
  readonly secret: string;
  /** The client id it stands for. */
  readonly id: string;
  /** Its roles. Default none. */
  readonly roles?: readonly string[];
}

/**
 * How JWTs are checked.
 *
 * @example Types only
 * ```ts
 * import type { JwtSettings } from "./auth.ts";
 * const jwt: JwtSettings = { secret: "a long random key", alg: "HS256" };
 * if (jwt.alg !== "HS256") throw new Error("unreachable");
 * ```
 */
export interface JwtSettings {
  /** The HMAC key, or a public key (PEM / JWK) for asymmetric algorithms. */
  readonly secret: string;
  /** The algorithm. Default `HS256`. */
  readonly alg?: "HS256" | "HS384" | "HS512" | "RS256" | "ES256" | "EdDSA";
  /** Required issuer (`iss`), when set. */
  readonly issuer?: string;
  /** The claim carrying roles (an array or a space-separated string). Default `roles`. */
  readonly rolesClaim?: string;
}

/**
 * The `auth` section of the config.
 *
 * @example Types only
 * ```ts
 * import type { AuthSettings } from "./auth.ts";
 * const auth: AuthSettings = { secrets: [{ secret: "x", id: "a" }] };
 * if (auth.secrets?.length !== 1) throw new Error("unreachable");
 * ```
 */
export interface AuthSettings {
  /** Shared secrets. */
  readonly secrets?: readonly SecretEntry[];
  /** JWT verification. */
  readonly jwt?: JwtSettings;
}

/**
 * Checks tokens against the configured secrets and JWT key.
 *
 * @example
 * ```ts
 * import { Authenticator } from "./auth.ts";
 * const auth = new Authenticator({ secrets: [{ secret: "s3cret", id: "w1", roles: ["worker"] }] });
 * const who = await auth.authenticate("s3cret");
 * if (who?.id !== "w1" || await auth.authenticate("wrong") !== undefined) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export class Authenticator {
  readonly #secrets: Promise<Map<string, SecretEntry>>;
  readonly #jwt: JwtSettings | undefined;
  /** Whether any credential is configured (then anonymous access is off by default). */
  readonly configured: boolean;

  /** @param settings Secrets and JWT settings. */
  constructor(settings: AuthSettings = {}) {
    const secrets = settings.secrets ?? [];
    for (const [i, entry] of secrets.entries()) {
      if (typeof entry?.secret !== "string" || entry.secret.length === 0) {
        throw new TypeError(`Switchboard hub: auth.secrets[${i}].secret must be a string`);
      }
      if (typeof entry.id !== "string") {
        throw new TypeError(`Switchboard hub: auth.secrets[${i}].id must be a string`);
      }
    }
    if (settings.jwt !== undefined && typeof settings.jwt.secret !== "string") {
      throw new TypeError("Switchboard hub: auth.jwt.secret must be a string");
    }
    this.#jwt = settings.jwt;
    this.configured = secrets.length > 0 || settings.jwt !== undefined;
    // Secrets are kept by their SHA-256 digest: a lookup leaks no timing about the secret.
    this.#secrets = Promise.all(
      secrets.map(async (entry) => [await digest(entry.secret), entry] as const),
    ).then((pairs) => new Map(pairs));
  }

  /**
   * Check a token.
   *
   * @param token What the client presented.
   * @returns Its identity, or `undefined` if it is not valid.
   */
  async authenticate(token: unknown): Promise<Identity | undefined> {
    if (typeof token !== "string" || token.length === 0 || token.length > 8192) return undefined;
    const entry = (await this.#secrets).get(await digest(token));
    if (entry !== undefined) {
      return { id: entry.id, roles: [...(entry.roles ?? [])], admitted: true, via: "secret" };
    }
    if (this.#jwt === undefined || token.split(".").length !== 3) return undefined;
    try {
      const payload = await verify(token, this.#jwt.secret, {
        alg: this.#jwt.alg ?? "HS256",
        ...(this.#jwt.issuer === undefined ? {} : { iss: this.#jwt.issuer }),
      });
      const claim = payload[this.#jwt.rolesClaim ?? "roles"];
      const roles = Array.isArray(claim)
        ? claim.filter((r): r is string => typeof r === "string")
        : typeof claim === "string"
        ? claim.split(" ").filter((r) => r !== "")
        : [];
      const id = typeof payload.sub === "string" ? payload.sub : "jwt";
      // verify() refused an `exp` in the past; a valid one stays with the identity.
      return typeof payload.exp === "number"
        ? { id, roles, admitted: true, via: "jwt", expires: payload.exp * 1000 }
        : { id, roles, admitted: true, via: "jwt" };
    } catch {
      // Bad signature, expired, malformed: all mean "not authenticated".
      return undefined;
    }
  }
}

async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}
