/**
 * The synced-state wire protocol: the `rpc.state.get` snapshot method, the reserved topic
 * namespace patches travel on, and the snapshot and patch shapes. docs/PROTOCOL.md §9
 * shows the exact JSON. Browser-safe.
 *
 * @module
 */

import { Method } from "../protocol/methods.ts";

/**
 * The synced-state method names.
 *
 * @example
 * ```ts
 * import { StateMethod } from "./protocol.ts";
 * if (StateMethod.Get !== "rpc.state.get") throw new Error("unreachable");
 * ```
 */
export const StateMethod: {
  /** Request, client to server: the current snapshot of a state object. */
  readonly Get: typeof Method.StateGet;
} = { Get: Method.StateGet };

/**
 * The extension methods synced state adds, as the server announces them in `rpc.hello`.
 *
 * @example
 * ```ts
 * import { STATE_EXTENSIONS } from "./protocol.ts";
 * if (STATE_EXTENSIONS[0] !== "rpc.state.get") throw new Error("unreachable");
 * ```
 */
export const STATE_EXTENSIONS: readonly string[] = Object.freeze(Object.values(StateMethod));

/**
 * The topic prefix of state objects: the patches of state `counter` are the events of topic
 * `@state.counter`. Clients may subscribe to it (as the authorize hook allows) but never
 * publish on it.
 *
 * @example
 * ```ts
 * import { STATE_TOPIC_PREFIX } from "./protocol.ts";
 * if (STATE_TOPIC_PREFIX !== "@state.") throw new Error("unreachable");
 * ```
 */
export const STATE_TOPIC_PREFIX = "@state." as const;

/**
 * The topic that carries a state object's patches.
 *
 * @param name The state's name.
 * @returns `@state.<name>`.
 * @example
 * ```ts
 * import { stateTopic } from "./protocol.ts";
 * if (stateTopic("room.1") !== "@state.room.1") throw new Error("unreachable");
 * ```
 */
export function stateTopic(name: string): string {
  return STATE_TOPIC_PREFIX + name;
}

/**
 * Whether a topic is in the reserved state namespace.
 *
 * @param topic A topic name or pattern.
 * @returns True for `@state` and `@state.…`.
 * @example
 * ```ts
 * import { isStateTopic } from "./protocol.ts";
 * if (!isStateTopic("@state.counter") || isStateTopic("state.counter")) throw new Error("unreachable");
 * ```
 */
export function isStateTopic(topic: string): boolean {
  return topic === "@state" || topic.startsWith(STATE_TOPIC_PREFIX);
}

/**
 * The value of a state object: a plain object whose top-level keys are patched.
 *
 * @example Types only
 * ```ts
 * import type { StateValue } from "./protocol.ts";
 * const value: StateValue = { count: 0, title: "hello" };
 * if (value.count !== 0) throw new Error("unreachable");
 * ```
 */
export type StateValue = Record<string, unknown>;

/**
 * Result of `rpc.state.get`.
 *
 * @example Types only
 * ```ts
 * import type { StateSnapshot } from "./protocol.ts";
 * const snapshot: StateSnapshot = { name: "counter", epoch: "k2f9", version: 3, value: { count: 3 } };
 * if (snapshot.version !== 3) throw new Error("unreachable");
 * ```
 */
export interface StateSnapshot<T extends StateValue = StateValue> {
  /** The state's name. */
  readonly name: string;
  /** Identifies this incarnation of the state (a new one after a server restart). */
  readonly epoch: string;
  /** How many patches were applied since the state was created. */
  readonly version: number;
  /** The whole value. */
  readonly value: T;
}

/**
 * A patch: the data of an `rpc.event` on the state's topic. Applying it to the value at
 * `version - 1` of the same `epoch` gives the value at `version`: every key of `set` is set,
 * then every key of `delete` removed.
 *
 * @example Types only
 * ```ts
 * import type { StatePatch } from "./protocol.ts";
 * const patch: StatePatch = { epoch: "k2f9", version: 4, set: { count: 4 }, delete: ["typing"] };
 * if (patch.set?.count !== 4) throw new Error("unreachable");
 * ```
 */
export interface StatePatch {
  /** The epoch of the state that produced it. */
  readonly epoch: string;
  /** The version the state has after this patch. */
  readonly version: number;
  /** Top-level keys set to new values. */
  readonly set?: StateValue;
  /** Top-level keys removed. */
  readonly delete?: readonly string[];
}

/**
 * Whether a value has the shape of a {@linkcode StatePatch} (from the wire: `unknown`).
 *
 * @param value What arrived.
 * @returns True when it can be applied.
 * @example
 * ```ts
 * import { isStatePatch } from "./protocol.ts";
 * if (!isStatePatch({ epoch: "e", version: 1, set: { a: 1 } })) throw new Error("unreachable");
 * if (isStatePatch({ epoch: "e", version: -1 })) throw new Error("unreachable");
 * ```
 */
export function isStatePatch(value: unknown): value is StatePatch {
  if (typeof value !== "object" || value === null) return false;
  const patch = value as Record<string, unknown>;
  if (typeof patch.epoch !== "string") return false;
  if (typeof patch.version !== "number" || !Number.isSafeInteger(patch.version)) return false;
  if (patch.version < 1) return false;
  if (patch.set !== undefined && !isPlainObject(patch.set)) return false;
  if (patch.delete !== undefined) {
    if (!Array.isArray(patch.delete)) return false;
    if (!patch.delete.every((key) => typeof key === "string")) return false;
  }
  return true;
}

/**
 * Whether a value has the shape of a {@linkcode StateSnapshot}.
 *
 * @param value What arrived.
 * @returns True when it can replace a synced copy.
 * @example
 * ```ts
 * import { isStateSnapshot } from "./protocol.ts";
 * if (!isStateSnapshot({ name: "a", epoch: "e", version: 0, value: {} })) throw new Error("unreachable");
 * ```
 */
export function isStateSnapshot(value: unknown): value is StateSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const snap = value as Record<string, unknown>;
  return typeof snap.name === "string" && typeof snap.epoch === "string" &&
    typeof snap.version === "number" && Number.isSafeInteger(snap.version) &&
    snap.version >= 0 && isPlainObject(snap.value);
}

/**
 * Whether a value is a plain object (not an array, not null).
 *
 * @param value Anything.
 * @returns True for `{…}` objects.
 * @example
 * ```ts
 * import { isPlainObject } from "./protocol.ts";
 * if (isPlainObject([]) || !isPlainObject({})) throw new Error("unreachable");
 * ```
 */
export function isPlainObject(value: unknown): value is StateValue {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
