/**
 * A server-side state object: a plain object whose mutations become versioned shallow patches,
 * published on the state's topic. Mutations are synchronous, so concurrent callers are
 * applied in one order and every client sees the same sequence of versions.
 *
 * @module
 */

import type { CallContext } from "../router/registry.ts";
import {
  isPlainObject,
  type StatePatch,
  type StateSnapshot,
  stateTopic,
  type StateValue,
} from "./protocol.ts";

/**
 * A method of a state object, served as the procedure `<state name>.<method>`: it receives
 * the state, the call's params and its context, and may mutate the state.
 *
 * @example Types only
 * ```ts
 * import type { StateMethodHandler } from "./server_state.ts";
 * const increment: StateMethodHandler<{ count: number }, [number?]> = (state, [by = 1]) =>
 *   state.set({ count: state.value.count + by });
 * if (typeof increment !== "function") throw new Error("unreachable");
 * ```
 */
// deno-lint-ignore no-explicit-any
export type StateMethodHandler<T extends StateValue, P = any> = (
  state: ServerState<T>,
  params: P,
  ctx: CallContext,
) => unknown;

/**
 * Options of `Switchboard.state`.
 *
 * @example Types only
 * ```ts
 * import type { StateOptions } from "./server_state.ts";
 * const options: StateOptions<{ count: number }> = {
 *   methods: { reset: (state) => state.set({ count: 0 }) },
 * };
 * if (options.methods?.reset === undefined) throw new Error("unreachable");
 * ```
 */
export interface StateOptions<T extends StateValue> {
  /** Methods clients may call as `<name>.<method>` (procedures, under the server's authorize). */
  readonly methods?: Readonly<Record<string, StateMethodHandler<T>>>;
  /**
   * Continue an earlier incarnation whose value a host kept (a Durable Object's storage):
   * its epoch and version, so synced clients carry on with patches instead of refetching.
   */
  readonly resume?: { readonly epoch: string; readonly version: number };
}

/** Publishes one patch on the state's topic. */
export type PatchPublisher = (topic: string, patch: StatePatch) => void;

/**
 * One named state object on the server.
 *
 * @example Mutations give versioned patches
 * ```ts
 * import { ServerState } from "./server_state.ts";
 * const patches: unknown[] = [];
 * const state = new ServerState("counter", { count: 0 }, (_topic, patch) => void patches.push(patch));
 * state.set({ count: 1 });
 * state.set({ count: 1 }); // no change: no patch
 * if (state.version !== 1 || patches.length !== 1) throw new Error("unreachable");
 * ```
 */
export class ServerState<T extends StateValue = StateValue> {
  /** The state's name. */
  readonly name: string;
  /** The topic its patches are published on (`@state.<name>`). */
  readonly topic: string;
  /** This incarnation's id: a restarted server's state has a new one. */
  readonly epoch: string;
  #value: Readonly<T>;
  #version = 0;
  readonly #publish: PatchPublisher;

  /**
   * @param name The state's name (a valid topic name).
   * @param initial The initial value (a plain object; copied shallowly).
   * @param publish Publishes each patch.
   * @param resume The epoch and version of an earlier incarnation to continue.
   */
  constructor(
    name: string,
    initial: T,
    publish: PatchPublisher,
    resume?: { readonly epoch: string; readonly version: number },
  ) {
    if (!isPlainObject(initial)) {
      throw new TypeError(`Switchboard: the initial value of state ${name} must be an object`);
    }
    this.name = name;
    this.topic = stateTopic(name);
    this.epoch = resume?.epoch ?? crypto.randomUUID().slice(0, 8);
    if (resume !== undefined) this.#version = resume.version;
    this.#value = Object.freeze({ ...initial });
    this.#publish = publish;
  }

  /** The current value (frozen; replaced, never mutated, on each change). */
  get value(): Readonly<T> {
    return this.#value;
  }

  /** How many patches were applied since creation. */
  get version(): number {
    return this.#version;
  }

  /**
   * The snapshot `rpc.state.get` answers with.
   *
   * @returns Name, epoch, version and value.
   */
  snapshot(): StateSnapshot<T> {
    return { name: this.name, epoch: this.epoch, version: this.#version, value: this.#value };
  }

  /**
   * Set top-level keys. Keys whose value is unchanged (`Object.is`) are left out of the patch;
   * nothing changed means no patch and no new version.
   *
   * @param changes The keys to set.
   * @returns The version after the change.
   */
  set(changes: Partial<T>): number {
    if (!isPlainObject(changes)) {
      throw new TypeError(`Switchboard: state ${this.name}: set() takes an object`);
    }
    return this.#apply(changes, []);
  }

  /**
   * Remove top-level keys.
   *
   * @param keys The keys.
   * @returns The version after the change.
   */
  delete(...keys: (keyof T & string)[]): number {
    return this.#apply({}, keys);
  }

  /**
   * Replace the whole value: one patch that sets what changed and deletes what is gone.
   *
   * @param value The new value.
   * @returns The version after the change.
   */
  replace(value: T): number {
    if (!isPlainObject(value)) {
      throw new TypeError(`Switchboard: state ${this.name}: replace() takes an object`);
    }
    const gone = Object.keys(this.#value).filter((key) => !Object.hasOwn(value, key));
    return this.#apply(value, gone);
  }

  /**
   * Set keys computed from the current value.
   *
   * @param change Receives the current value, returns the keys to set.
   * @returns The version after the change.
   */
  update(change: (value: Readonly<T>) => Partial<T>): number {
    return this.set(change(this.#value));
  }

  #apply(changes: Partial<T> | StateValue, keys: readonly string[]): number {
    const current = this.#value as StateValue;
    let set: StateValue | undefined;
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) {
        throw new TypeError(
          `Switchboard: state ${this.name}: ${key} is undefined (use delete() to remove a key)`,
        );
      }
      if (Object.hasOwn(current, key) && Object.is(current[key], value)) continue;
      (set ??= {})[key] = value;
    }
    const removed = keys.filter((key) =>
      Object.hasOwn(current, key) && !Object.hasOwn(set ?? {}, key)
    );
    if (set === undefined && removed.length === 0) return this.#version;
    const next: StateValue = { ...current, ...set };
    for (const key of removed) delete next[key];
    this.#value = Object.freeze(next) as Readonly<T>;
    this.#version++;
    const patch: { -readonly [K in keyof StatePatch]: StatePatch[K] } = {
      epoch: this.epoch,
      version: this.#version,
    };
    if (set !== undefined) patch.set = set;
    if (removed.length > 0) patch.delete = removed;
    this.#publish(this.topic, patch);
    return this.#version;
  }
}
