/**
 * Who may do what: rules by action, name pattern and role, first match wins.
 *
 * @module
 */

import { compilePattern, patternsOverlap } from "./patterns.ts";

/**
 * The actions rules govern.
 *
 * @example Types only
 * ```ts
 * import type { Action } from "./policy.ts";
 * const action: Action = "register";
 * if (action !== "register") throw new Error("unreachable");
 * ```
 */
export type Action = "call" | "register" | "subscribe" | "publish";

/**
 * One rule of the config file.
 *
 * @example Workers may register `math.*` (types only)
 * ```ts
 * import type { Rule } from "./policy.ts";
 * const rule: Rule = { actions: ["register"], match: "math.*", roles: ["worker"] };
 * if (rule.match !== "math.*") throw new Error("unreachable");
 * ```
 */
export interface Rule {
  /** The actions it covers. Default: all four. */
  readonly actions?: readonly Action[];
  /** The procedure or topic name pattern (`*` is a wildcard). Default `"*"`. */
  readonly match?: string;
  /** The roles it applies to; `"*"` means everyone. Default `["*"]`. */
  readonly roles?: readonly string[];
  /** What happens when it applies. Default `"allow"`. */
  readonly effect?: "allow" | "deny";
}

/**
 * Who a connection is.
 *
 * @example Types only
 * ```ts
 * import type { Identity } from "./policy.ts";
 * const who: Identity = { id: "alice", roles: ["admin"], admitted: true, via: "secret" };
 * if (!who.admitted) throw new Error("unreachable");
 * ```
 */
export interface Identity {
  /** The client id: the token's subject, the secret's id, or `"anonymous"`. */
  readonly id: string;
  /** Roles granted by the credential (`["anonymous"]` for anonymous clients). */
  readonly roles: readonly string[];
  /** Whether the connection may do more than `rpc.hello`. */
  readonly admitted: boolean;
  /** How it was admitted. */
  readonly via: "none" | "anonymous" | "secret" | "jwt";
  /**
   * When the credential stops being valid (a JWT's `exp`), in ms since the epoch; absent
   * when it does not expire.
   */
  readonly expires?: number;
}

interface CompiledRule {
  readonly actions: ReadonlySet<Action>;
  readonly match: string;
  readonly matches: (name: string) => boolean;
  readonly roles: ReadonlySet<string>;
  readonly allow: boolean;
}

const ALL_ACTIONS: readonly Action[] = ["call", "register", "subscribe", "publish"];

/**
 * A compiled rule list.
 *
 * @example
 * ```ts
 * import { Policy } from "./policy.ts";
 * const policy = new Policy([
 *   { actions: ["register"], match: "*", roles: ["worker"] },
 *   { actions: ["register"], effect: "deny" },
 * ], "allow");
 * const guest = { id: "g", roles: ["guest"], admitted: true, via: "jwt" } as const;
 * if (policy.allows("register", "math.add", guest)) throw new Error("denied");
 * if (!policy.allows("call", "math.add", guest)) throw new Error("the default allows");
 * ```
 */
export class Policy {
  readonly #rules: readonly CompiledRule[];
  readonly #fallback: boolean;

  /**
   * @param rules The rules, first match wins.
   * @param fallback What happens when no rule applies.
   */
  constructor(rules: readonly Rule[], fallback: "allow" | "deny") {
    this.#rules = rules.map(compileRule);
    this.#fallback = fallback === "allow";
  }

  /**
   * Whether an identity may do an action on a name.
   *
   * @param action The action.
   * @param name The procedure or topic name.
   * @param identity Who asks.
   * @returns True if allowed.
   */
  allows(action: Action, name: string, identity: Identity): boolean {
    for (const rule of this.#rules) {
      if (!rule.actions.has(action) || !rule.matches(name)) continue;
      if (!rule.roles.has("*") && !identity.roles.some((role) => rule.roles.has(role))) continue;
      return rule.allow;
    }
    return this.#fallback;
  }

  /**
   * Whether an identity may do an action on every name a wildcard pattern can stand for (a
   * subscription to `chat.*` or `**`), so that a wildcard cannot reach names a rule denies.
   * Each `*` of the pattern stands for any run of characters. Rules are read in order: one
   * whose pattern covers the whole pattern decides; a deny rule that overlaps it refuses;
   * an allow rule that only overlaps it lets the next rules decide the rest. Conservative: it
   * may refuse a pattern whose names would all be allowed one by one.
   *
   * @param action The action (`subscribe`).
   * @param pattern The pattern.
   * @param identity Who asks.
   * @returns True if every name it can match is allowed.
   * @example A wildcard cannot reach a denied topic
   * ```ts
   * import { Policy } from "./policy.ts";
   * const policy = new Policy([{ actions: ["subscribe"], match: "secret.*", effect: "deny" }], "allow");
   * const who = { id: "a", roles: [], admitted: true, via: "anonymous" } as const;
   * if (policy.allowsPattern("subscribe", "*.passwords", who)) throw new Error("must refuse");
   * if (!policy.allowsPattern("subscribe", "chat.*", who)) throw new Error("must allow");
   * ```
   */
  allowsPattern(action: Action, pattern: string, identity: Identity): boolean {
    for (const rule of this.#rules) {
      if (!rule.actions.has(action)) continue;
      if (!rule.roles.has("*") && !identity.roles.some((role) => rule.roles.has(role))) continue;
      // The rule's wildcards absorb the pattern's, so matching the pattern's text covers it.
      if (rule.matches(pattern)) return rule.allow;
      if (!rule.allow && patternsOverlap(rule.match, pattern)) return false;
    }
    return this.#fallback;
  }
}

function compileRule(rule: Rule, index: number): CompiledRule {
  if (typeof rule !== "object" || rule === null) {
    throw new TypeError(`Switchboard hub: rule ${index} must be an object`);
  }
  const actions = rule.actions ?? ALL_ACTIONS;
  for (const action of actions) {
    if (!ALL_ACTIONS.includes(action)) {
      throw new TypeError(`Switchboard hub: rule ${index} has an unknown action: ${action}`);
    }
  }
  if (rule.effect !== undefined && rule.effect !== "allow" && rule.effect !== "deny") {
    throw new TypeError(`Switchboard hub: rule ${index} has an unknown effect: ${rule.effect}`);
  }
  return {
    actions: new Set(actions),
    match: rule.match ?? "*",
    matches: compilePattern(rule.match ?? "*"),
    roles: new Set(rule.roles ?? ["*"]),
    allow: rule.effect !== "deny",
  };
}
