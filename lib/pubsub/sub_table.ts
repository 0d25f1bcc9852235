/**
 * A connection's subscriptions by topic or pattern: an array while there are few (most
 * connections hold one or two, and an array of one costs a tenth of a `Map`), a `Map` once
 * there are many.
 *
 * @module
 */

import type { Sub, SubTable } from "./subscriber.ts";

export type { SubTable } from "./subscriber.ts";

/** Past this many subscriptions a connection's table becomes a `Map`. */
const MAP_FROM = 16;

/**
 * The subscription with this topic or pattern.
 *
 * @param table The table.
 * @param key The topic or pattern.
 * @returns The subscription, if any.
 * @example
 * ```ts
 * import { findSub } from "./sub_table.ts";
 * if (findSub([], "news") !== undefined) throw new Error("unreachable");
 * ```
 */
export function findSub(table: SubTable, key: string): Sub | undefined {
  if (!Array.isArray(table)) return table.get(key);
  for (const sub of table) if (sub.key === key) return sub;
  return undefined;
}

/**
 * Add a subscription (whose key is not in the table yet).
 *
 * @param table The table.
 * @param sub The subscription.
 * @returns The table to keep: the same one, a one-element array that replaced an empty one,
 * or a `Map` that replaced a full array.
 * @example
 * ```ts
 * import { addSub, subCount, type SubTable } from "./sub_table.ts";
 * import type { Sub } from "./subscriber.ts";
 * let table: SubTable = [];
 * for (let i = 0; i < 20; i++) table = addSub(table, { key: `t${i}` } as Sub);
 * if (subCount(table) !== 20 || Array.isArray(table)) throw new Error("unreachable");
 * ```
 */
export function addSub(table: SubTable, sub: Sub): SubTable {
  if (!Array.isArray(table)) return table.set(sub.key, sub);
  // A literal holds exactly one: a push onto an empty array reserves room for 17 (V8).
  if (table.length === 0) return [sub];
  if (table.length < MAP_FROM) {
    table.push(sub);
    return table;
  }
  const map = new Map<string, Sub>();
  for (const held of table) map.set(held.key, held);
  return map.set(sub.key, sub);
}

/**
 * Remove this subscription, if the table holds it (and not another one with its key).
 *
 * @param table The table.
 * @param sub The subscription.
 * @returns Whether it was there.
 * @example
 * ```ts
 * import { removeSub } from "./sub_table.ts";
 * import type { Sub } from "./subscriber.ts";
 * const sub = { key: "news" } as Sub;
 * const table = [sub];
 * if (!removeSub(table, sub) || table.length !== 0) throw new Error("unreachable");
 * ```
 */
export function removeSub(table: SubTable, sub: Sub): boolean {
  if (!Array.isArray(table)) {
    if (table.get(sub.key) !== sub) return false;
    return table.delete(sub.key);
  }
  const index = table.indexOf(sub);
  if (index === -1) return false;
  table.splice(index, 1);
  return true;
}

/**
 * How many subscriptions the table holds.
 *
 * @param table The table.
 * @returns The count.
 * @example
 * ```ts
 * import { subCount } from "./sub_table.ts";
 * if (subCount(new Map()) !== 0) throw new Error("unreachable");
 * ```
 */
export function subCount(table: SubTable): number {
  return Array.isArray(table) ? table.length : table.size;
}

/**
 * A copy of the subscriptions, safe to iterate while removing.
 *
 * @param table The table.
 * @returns The subscriptions.
 * @example
 * ```ts
 * import { subsOf } from "./sub_table.ts";
 * if (subsOf([]).length !== 0) throw new Error("unreachable");
 * ```
 */
export function subsOf(table: SubTable): Sub[] {
  return Array.isArray(table) ? [...table] : [...table.values()];
}
