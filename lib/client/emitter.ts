/**
 * A small typed event emitter: `on(name, listener)` returns the function that removes it.
 *
 * @module
 */

/**
 * Listeners by event name; `Events` maps each name to its payload type.
 *
 * @example
 * ```ts
 * import { Emitter } from "./emitter.ts";
 * const events = new Emitter<{ tick: number }>();
 * let got = 0;
 * const off = events.on("tick", (n) => got = n);
 * events.emit("tick", 7);
 * off();
 * if (got !== 7 || events.listenerCount() !== 0) throw new Error("unreachable");
 * ```
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  readonly #report: (error: unknown, where: string) => void;

  /** @param report Receives what a listener threw (it never reaches the emitter). */
  constructor(report: (error: unknown, where: string) => void = () => {}) {
    this.#report = report;
  }

  /**
   * Add a listener.
   *
   * @param name The event.
   * @param listener Receives its payload.
   * @returns A function that removes the listener.
   */
  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(`Switchboard: the listener of ${String(name)} must be a function`);
    }
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, set = new Set());
    set.add(listener as (payload: never) => void);
    return () => this.off(name, listener);
  }

  /**
   * Remove a listener.
   *
   * @param name The event.
   * @param listener The listener given to `on`.
   * @returns Whether it was there.
   */
  off<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): boolean {
    const set = this.#listeners.get(name);
    const removed = set?.delete(listener as (payload: never) => void) ?? false;
    if (set !== undefined && set.size === 0) this.#listeners.delete(name);
    return removed;
  }

  /**
   * Call every listener of an event, in order of registration.
   *
   * @param name The event.
   * @param payload Its payload.
   */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        this.#report(error, `${String(name)} listener`);
      }
    }
  }

  /**
   * How many listeners are registered.
   *
   * @param name One event, or all when omitted.
   * @returns The count.
   */
  listenerCount(name?: keyof Events): number {
    if (name !== undefined) return this.#listeners.get(name)?.size ?? 0;
    let count = 0;
    for (const set of this.#listeners.values()) count += set.size;
    return count;
  }
}
