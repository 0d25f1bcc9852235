/**
 * Synced state objects kept in a Durable Object's SQLite storage: each state's value, epoch
 * and version are written after every change and read back when the object starts, so a
 * state survives eviction and clients that follow it carry on with patches.
 *
 * @module
 */

import type { Backplane } from "../../pubsub/backplane.ts";
import type { Switchboard } from "../../server/switchboard.ts";
import type { ServerState, StateOptions } from "../../state/server_state.ts";
import type { StateValue } from "../../state/protocol.ts";
import type { SqlStorage } from "./workers_types.ts";

/**
 * Creates states whose snapshots are stored.
 *
 * @example
 * ```ts ignore
 * import { StateStore } from "./state_store.ts";
 * const store = new StateStore(ctx.storage.sql, backplane);
 * const counter = store.create(switchboard, "counter", { count: 0 });
 * ```
 */
export class StateStore {
  readonly #sql: SqlStorage;
  readonly #backplane: Backplane;

  /**
   * @param sql The object's SQL storage.
   * @param backplane The object's backplane: a state's patches go through it.
   */
  constructor(sql: SqlStorage, backplane: Backplane) {
    this.#sql = sql;
    this.#backplane = backplane;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS sb_states (name TEXT PRIMARY KEY, epoch TEXT NOT NULL, " +
        "version INTEGER NOT NULL, value TEXT NOT NULL)",
    );
  }

  /**
   * Create a state on a Switchboard, continuing the stored one when there is one.
   *
   * @param switchboard The hub.
   * @param name The state's name.
   * @param initial Its value when nothing is stored.
   * @param options Its methods.
   * @returns The state.
   */
  create<T extends StateValue>(
    switchboard: Switchboard,
    name: string,
    initial: T,
    options: StateOptions<T> = {},
  ): ServerState<T> {
    const rows = this.#sql.exec("SELECT epoch, version, value FROM sb_states WHERE name = ?", name)
      .toArray();
    const row = rows[0];
    const state = row === undefined
      ? switchboard.state(name, initial, options)
      : switchboard.state(name, JSON.parse(String(row.value)) as T, {
        ...options,
        resume: { epoch: String(row.epoch), version: Number(row.version) },
      });
    const save = (): void => {
      this.#sql.exec(
        "INSERT OR REPLACE INTO sb_states (name, epoch, version, value) VALUES (?, ?, ?, ?)",
        name,
        state.epoch,
        state.version,
        JSON.stringify(state.value),
      );
    };
    if (row === undefined) save();
    this.#backplane.stream(save).add(state.topic);
    return state;
  }
}
