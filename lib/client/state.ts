/**
 * Synced state objects on the client: `sync(client, name)` keeps a read-only shallow copy of
 * a server state object up to date from its versioned patches, and turns method calls on the
 * returned object into procedure calls (`counter.increment(2)` calls `counter.increment`).
 * Uses only the client's public `call` and `subscribe`. Browser-safe.
 *
 * Catch-up: a resubscription with `since` (after a reconnect, or `resume` from a checkpoint)
 * replays the missed patches when the server still holds them; otherwise (a gap, a version
 * jump, another epoch) the copy is replaced by a fresh snapshot from `rpc.state.get`.
 *
 * @module
 */

import type { Params } from "../protocol/types.ts";
import type { EventParams, Gap, SubscribeResult } from "../pubsub/protocol.ts";
import {
  isStatePatch,
  isStateSnapshot,
  StateMethod,
  type StatePatch,
  stateTopic,
  type StateValue,
} from "../state/protocol.ts";
import type { EventHandler, SubscribeOptions, Subscription } from "./subscriptions.ts";

/** Most patches held while a snapshot is on its way; past it they are dropped and re-fetched. */
const MAX_BUFFERED = 10_000;

/**
 * What `sync` needs of a client: its public `call` and `subscribe` (a `Client` fits).
 *
 * @example Types only
 * ```ts
 * import type { StateClient } from "./state.ts";
 * const fake: StateClient = {
 *   call: () => Promise.resolve({ name: "s", epoch: "e", version: 0, value: {} }),
 *   subscribe: (topic) => ({ topic, ready: Promise.resolve({ topic, seq: 0 }), unsubscribe: async () => {} }),
 * };
 * if (typeof fake.call !== "function") throw new Error("unreachable");
 * ```
 */
export interface StateClient {
  /** Call a server procedure. */
  call(method: string, params?: Params): Promise<unknown>;
  /** Subscribe to a topic. */
  subscribe(topic: string, handler: EventHandler, options?: SubscribeOptions): Subscription;
}

/**
 * Where a synced copy stood: enough to resume it on another connection (after a page
 * reload, say) by replaying the patches it missed.
 *
 * @example Types only
 * ```ts
 * import type { StateCheckpoint } from "./state.ts";
 * const saved: StateCheckpoint<{ count: number }> = { epoch: "k2f9", version: 3, seq: 3, value: { count: 3 } };
 * if (saved.value.count !== 3) throw new Error("unreachable");
 * ```
 */
export interface StateCheckpoint<T extends StateValue = StateValue> {
  /** The epoch of the state. */
  readonly epoch: string;
  /** The version of `value`. */
  readonly version: number;
  /** The last sequence number seen on the state's topic. */
  readonly seq: number;
  /** The value at `version`. */
  readonly value: Readonly<T>;
}

/**
 * Options of {@linkcode sync}.
 *
 * @example Types only
 * ```ts
 * import type { SyncOptions } from "./state.ts";
 * const options: SyncOptions = { onError: (error) => console.error(error) };
 * if (options.resume !== undefined) throw new Error("unreachable");
 * ```
 */
export interface SyncOptions<T extends StateValue = StateValue> {
  /** Start from a checkpoint: replay what was missed since, or fetch a snapshot on a gap. */
  readonly resume?: StateCheckpoint<T>;
  /** Receives failures nobody awaits (a resync that failed, a listener that threw). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Why a change listener runs: a `patch` applied, or a `snapshot` that replaced the copy.
 *
 * @example Types only
 * ```ts
 * import type { StateChange } from "./state.ts";
 * const change: StateChange = { kind: "patch", version: 4, patch: { epoch: "e", version: 4, set: { n: 1 } } };
 * if (change.kind !== "patch") throw new Error("unreachable");
 * ```
 */
export type StateChange =
  | { readonly kind: "patch"; readonly version: number; readonly patch: StatePatch }
  | { readonly kind: "snapshot"; readonly version: number };

/**
 * Receives the new value after each change.
 *
 * @example Types only
 * ```ts
 * import type { ChangeListener } from "./state.ts";
 * const log: ChangeListener<{ count: number }> = (value, change) => console.log(change.version, value.count);
 * if (typeof log !== "function") throw new Error("unreachable");
 * ```
 */
export type ChangeListener<T extends StateValue = StateValue> = (
  value: Readonly<T>,
  change: StateChange,
) => void;

/**
 * The methods of a synced state as the client calls them: each returns a promise of the
 * procedure's result.
 *
 * @example Types only
 * ```ts
 * import type { RemoteMethods } from "./state.ts";
 * type Counter = RemoteMethods<{ increment(by?: number): number }>;
 * const check = (c: Counter): Promise<number> => c.increment(2);
 * if (typeof check !== "function") throw new Error("unreachable");
 * ```
 */
export type RemoteMethods<M> = {
  readonly [
    K in keyof M
  ]: M[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * A synced state plus its methods: what {@linkcode sync} returns.
 *
 * @example
 * ```ts ignore
 * const counter: Synced<{ count: number }, { increment(by: number): number }> = sync(client, "counter");
 * await counter.ready;
 * await counter.increment(2);
 * ```
 */
export type Synced<T extends StateValue, M = Record<never, never>> =
  & SyncedState<T>
  & RemoteMethods<M>;

/**
 * A read-only copy of a server state object, kept in sync.
 *
 * @example Against a fake client that serves one snapshot
 * ```ts
 * import { SyncedState } from "./state.ts";
 * const client = {
 *   call: () => Promise.resolve({ name: "s", epoch: "e", version: 2, value: { n: 2 } }),
 *   subscribe: (topic: string) => ({ topic, ready: Promise.resolve({ topic, seq: 2 }), unsubscribe: async () => {} }),
 * };
 * const state = new SyncedState<{ n: number }>(client, "s");
 * await state.ready;
 * if (state.value?.n !== 2 || state.version !== 2) throw new Error("unreachable");
 * ```
 */
export class SyncedState<T extends StateValue = StateValue> {
  /** The state's name. */
  readonly name: string;
  /** The topic its patches arrive on. */
  readonly topic: string;
  /** Resolves once the copy is in sync (snapshot or replay); rejects if it cannot be. */
  readonly ready: Promise<void>;
  readonly #client: StateClient;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #listeners = new Set<ChangeListener<T>>();
  readonly #subscription: Subscription;
  #value: Readonly<T> | undefined;
  #epoch: string | undefined;
  #version = 0;
  #seq = 0;
  #syncing: Promise<void> | undefined;
  #again = false;
  #buffer: StatePatch[] = [];
  #closed = false;

  /**
   * @param client The client (`call` and `subscribe`).
   * @param name The state's name.
   * @param options A checkpoint to resume from; an error reporter.
   */
  constructor(client: StateClient, name: string, options: SyncOptions<T> = {}) {
    this.name = name;
    this.topic = stateTopic(name);
    this.#client = client;
    this.#onError = options.onError;
    const resume = options.resume;
    if (resume !== undefined) {
      this.#value = Object.freeze({ ...resume.value });
      this.#epoch = resume.epoch;
      this.#version = resume.version;
      this.#seq = resume.seq;
    }
    const subscribeOptions: SubscribeOptions = {
      onGap: (gap: Gap) => this.#resyncLater(gap),
      ...(resume === undefined ? {} : { since: resume.seq }),
    };
    const handler: EventHandler = (data, event) => this.#onEvent(data, event);
    this.#subscription = client.subscribe(this.topic, handler, subscribeOptions);
    this.ready = this.#subscription.ready.then(async (result: SubscribeResult) => {
      this.#seq = Math.max(this.#seq, result.seq);
      const resumed = resume !== undefined &&
        (result.replayed !== undefined || result.gap !== undefined);
      if (!resumed) await this.resync();
      else if (this.#syncing !== undefined) await this.#syncing;
    });
    // Awaited by whoever wants it; a failure is also reported.
    this.ready.catch((error) => this.#report(error));
  }

  /** The current copy (frozen, replaced on each change); `undefined` before the first sync. */
  get value(): Readonly<T> | undefined {
    return this.#value;
  }

  /** The version of {@linkcode SyncedState.value}. */
  get version(): number {
    return this.#version;
  }

  /** The epoch of the server state the copy follows. */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  /** True while a snapshot is being fetched. */
  get syncing(): boolean {
    return this.#syncing !== undefined;
  }

  /**
   * Listen to changes.
   *
   * @param event `"change"`.
   * @param listener Receives the new value and what changed.
   * @returns A function that removes the listener.
   */
  on(event: "change", listener: ChangeListener<T>): () => void {
    if (event !== "change") throw new TypeError(`Switchboard: unknown state event ${event}`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Call a method of the state (the procedure `<name>.<method>`), params by position.
   *
   * @param method The method.
   * @param args Its arguments.
   * @returns The procedure's result.
   */
  call(method: string, ...args: unknown[]): Promise<unknown> {
    return this.#client.call(`${this.name}.${method}`, args);
  }

  /**
   * Where the copy stands, to resume it later with `sync(client, name, { resume })`.
   *
   * @returns The checkpoint, or `undefined` before the first sync.
   */
  checkpoint(): StateCheckpoint<T> | undefined {
    if (this.#value === undefined || this.#epoch === undefined) return undefined;
    return { epoch: this.#epoch, version: this.#version, seq: this.#seq, value: this.#value };
  }

  /**
   * Replace the copy with a fresh snapshot from the server; patches that arrive meanwhile are
   * held and applied after it. Concurrent calls share one fetch (plus one more if asked
   * during it).
   *
   * @returns Resolves when the copy is in sync.
   */
  resync(): Promise<void> {
    if (this.#syncing !== undefined) {
      this.#again = true;
      return this.#syncing;
    }
    const run = this.#fetchSnapshot().finally(() => {
      this.#syncing = undefined;
    });
    this.#syncing = run;
    return run;
  }

  /**
   * Stop following the state (unsubscribes); the last copy stays readable.
   *
   * @returns Resolves when the server dropped the subscription.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#subscription.unsubscribe();
  }

  async #fetchSnapshot(): Promise<void> {
    for (;;) {
      try {
        do {
          this.#again = false;
          const snapshot = await this.#client.call(StateMethod.Get, { name: this.name });
          if (!isStateSnapshot(snapshot)) {
            throw new TypeError(`Switchboard: state ${this.name}: malformed snapshot`);
          }
          this.#value = Object.freeze({ ...snapshot.value }) as Readonly<T>;
          this.#epoch = snapshot.epoch;
          this.#version = snapshot.version;
        } while (this.#again && !this.#closed);
      } catch (error) {
        this.#buffer = [];
        throw error;
      }
      const held = this.#buffer;
      this.#buffer = [];
      this.#emit({ kind: "snapshot", version: this.#version });
      let missed = false;
      for (const patch of held) {
        // Older epochs and versions predate the snapshot: it already holds them.
        if (patch.epoch !== this.#epoch || patch.version <= this.#version) continue;
        if (patch.version !== this.#version + 1) {
          missed = true;
          break;
        }
        this.#apply(patch);
      }
      if (!missed || this.#closed) return;
    }
  }

  #onEvent(data: unknown, event: EventParams): void {
    if (this.#closed) return;
    if (typeof event.seq === "number" && event.seq > this.#seq) this.#seq = event.seq;
    if (!isStatePatch(data)) {
      this.#report(new TypeError(`Switchboard: state ${this.name}: malformed patch`));
      return;
    }
    if (this.#syncing !== undefined || this.#epoch === undefined) {
      if (this.#buffer.length < MAX_BUFFERED) this.#buffer.push(data);
      else this.#again = true; // Too much to hold: the next snapshot is fetched after this one.
      return;
    }
    if (patchFits(data, this.#epoch, this.#version)) {
      this.#apply(data);
    } else if (data.epoch !== this.#epoch || data.version > this.#version + 1) {
      // Another incarnation of the state, or patches were missed: start over.
      this.#buffer.push(data);
      this.#resyncLater();
    } // Else already applied (a replay overlapping what was seen).
  }

  #apply(patch: StatePatch): void {
    const next: StateValue = { ...this.#value, ...patch.set };
    for (const key of patch.delete ?? []) delete next[key];
    this.#value = Object.freeze(next) as Readonly<T>;
    this.#version = patch.version;
    this.#emit({ kind: "patch", version: patch.version, patch });
  }

  #resyncLater(_gap?: Gap): void {
    if (this.#closed) return;
    this.resync().catch((error) => this.#report(error));
  }

  #emit(change: StateChange): void {
    const value = this.#value;
    if (value === undefined) return;
    for (const listener of this.#listeners) {
      try {
        listener(value, change);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // A broken reporter has nowhere left to report to.
    }
  }
}

function patchFits(patch: StatePatch, epoch: string, version: number): boolean {
  return patch.epoch === epoch && patch.version === version + 1;
}

const OWN = new Set<PropertyKey>(["then", "toJSON", "constructor"]);

/**
 * Follow a server state object: a read-only copy kept in sync, whose unknown properties are
 * its methods (`counter.increment(2)` calls the procedure `counter.increment` with `[2]`).
 *
 * @param client The client.
 * @param name The state's name.
 * @param options A checkpoint to resume from; an error reporter.
 * @returns The synced state; await `ready` before reading `value`.
 * @example
 * ```ts ignore
 * import { connect, sync } from "./mod.ts";
 * const client = connect("ws://127.0.0.1:8000/rpc");
 * const counter = sync<{ count: number }, { increment(by: number): number }>(client, "counter");
 * counter.on("change", (value) => console.log(value.count));
 * await counter.ready;
 * await counter.increment(2);
 * ```
 */
export function sync<T extends StateValue = StateValue, M = Record<never, never>>(
  client: StateClient,
  name: string,
  options?: SyncOptions<T>,
): Synced<T, M> {
  const state = new SyncedState<T>(client, name, options);
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(state, {
    get(target, key) {
      if (typeof key === "symbol" || OWN.has(key) || key in target) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function" || key === "constructor") return value;
        let fn = bound.get(key);
        if (fn === undefined) {
          bound.set(key, fn = (value as (...a: unknown[]) => unknown).bind(target));
        }
        return fn;
      }
      let method = bound.get(key);
      if (method === undefined) {
        bound.set(key, method = (...args: unknown[]) => target.call(key, ...args));
      }
      return method;
    },
  }) as Synced<T, M>;
}
