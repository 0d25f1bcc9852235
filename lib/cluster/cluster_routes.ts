/**
 * Routed calls across hubs, over any {@linkcode RoutingEngine}: a cached view of the cluster's
 * registrations, the choice of a callee (round robin over every registration of the name in
 * the cluster), calls sent to the callee's hub inbox and answered to the caller's, timeouts and
 * cancellation forwarded, and calls to a hub whose lease lapsed failed with -32013.
 *
 * @module
 */

import { ErrorCode, HubErrorCode, RpcError } from "../protocol/errors.ts";
import type { Params } from "../protocol/types.ts";
import type { ClusterMessage, EngineHealth, RouteEntry, RoutingEngine } from "./engine.ts";

/** Extra time the serving hub gives a forwarded call beyond the caller's timeout, in ms. */
const SERVE_MARGIN = 1_000;

/**
 * Runs a call on a connection of this hub.
 *
 * @example Types only
 * ```ts
 * import type { LocalServe } from "./cluster_routes.ts";
 * const serve: LocalServe = (_callee, _name, params) => Promise.resolve(params);
 * if (typeof serve !== "function") throw new Error("unreachable");
 * ```
 */
export type LocalServe = (
  callee: string,
  name: string,
  params: Params | undefined,
  options: { readonly timeout: number; readonly signal: AbortSignal },
) => Promise<unknown>;

/**
 * Options of {@linkcode ClusterRoutes}.
 *
 * @example Types only
 * ```ts
 * import type { ClusterRoutesOptions } from "./cluster_routes.ts";
 * const options: ClusterRoutesOptions = {
 *   serve: () => Promise.resolve(1),
 *   single: true,
 *   refresh: 1_000,
 * };
 * if (!options.single) throw new Error("unreachable");
 * ```
 */
export interface ClusterRoutesOptions {
  /** Runs calls addressed to this hub's connections. */
  readonly serve: LocalServe;
  /** `single` registration policy: one registration per name in the whole cluster. */
  readonly single: boolean;
  /** How often the whole view is re-read and dead hubs are checked, in ms. Default 2,000. */
  readonly refresh?: number;
  /** The view changed. */
  readonly onChange?: () => void;
}

interface Pending {
  readonly hub: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly done: () => void;
}

/**
 * The cluster's routing for one hub.
 *
 * @example
 * ```ts ignore
 * import { ClusterRoutes } from "./cluster_routes.ts";
 * import { RedisRouting } from "./redis_routing.ts";
 * const routes = new ClusterRoutes(await RedisRouting.connect("redis://127.0.0.1:6379"), {
 *   serve: () => Promise.resolve(3),
 *   single: true,
 * });
 * await routes.call("math.add", [1, 2], { timeout: 1000 });
 * ```
 */
export class ClusterRoutes {
  readonly #engine: RoutingEngine;
  readonly #serve: LocalServe;
  readonly #single: boolean;
  readonly #onChange: (() => void) | undefined;
  readonly #view = new Map<string, RouteEntry[]>();
  readonly #next = new Map<string, number>();
  readonly #pending = new Map<number, Pending>();
  readonly #serving = new Map<string, AbortController>();
  readonly #timer: ReturnType<typeof setInterval>;
  #ids = 0;
  #closed = false;
  #sweeping = false;

  /**
   * @param engine The engine.
   * @param options The local runner, the policy, the refresh period.
   */
  constructor(engine: RoutingEngine, options: ClusterRoutesOptions) {
    this.#engine = engine;
    this.#serve = options.serve;
    this.#single = options.single;
    this.#onChange = options.onChange;
    engine.listen(
      (message) => this.#receive(message),
      (name) => void this.#refresh(name).catch(() => {/* The periodic sweep retries. */}),
    );
    this.#timer = setInterval(() => void this.#sweep(), options.refresh ?? 2_000);
    void this.#sweep();
  }

  /** This hub's id in the cluster. */
  get hub(): string {
    return this.#engine.hub;
  }

  /** Remote calls awaiting an answer. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * The engine connection's state.
   *
   * @returns Up, down or connecting.
   */
  health(): EngineHealth {
    return this.#engine.health();
  }

  /**
   * Whether the cached view knows the name.
   *
   * @param name The procedure name.
   * @returns True when some hub serves it, as last seen.
   */
  has(name: string): boolean {
    return (this.#view.get(name)?.length ?? 0) > 0;
  }

  /**
   * The cached view of every registration in the cluster.
   *
   * @returns The entries, by name.
   */
  list(): RouteEntry[] {
    return [...this.#view.values()].flat();
  }

  /**
   * Add a registration of this hub's connection to the cluster.
   *
   * @param name The name.
   * @param callee The local connection id.
   * @param info Its description.
   * @throws {RpcError} -32012 under `single` when another connection holds it; -32015 when
   * the engine cannot be reached.
   */
  async register(name: string, callee: string, info?: unknown): Promise<void> {
    const entry: RouteEntry = {
      name,
      hub: this.hub,
      callee,
      ...(info === undefined ? {} : { info }),
    };
    let holder: RouteEntry | undefined;
    try {
      holder = await this.#engine.add(entry, this.#single);
    } catch (error) {
      throw unavailable(error);
    }
    if (holder !== undefined) {
      throw new RpcError(
        HubErrorCode.AlreadyRegistered,
        `Switchboard hub: ${name} is already registered by another client`,
        { name, hub: holder.hub },
      );
    }
    const entries = (this.#view.get(name) ?? []).filter((e) => !same(e, entry));
    this.#view.set(name, [...entries, entry]);
    this.#onChange?.();
  }

  /**
   * Remove a registration of this hub's connection.
   *
   * @param name The name.
   * @param callee The local connection id.
   */
  async unregister(name: string, callee: string): Promise<void> {
    const entry: RouteEntry = { name, hub: this.hub, callee };
    const entries = (this.#view.get(name) ?? []).filter((e) => !same(e, entry));
    if (entries.length > 0) this.#view.set(name, entries);
    else this.#view.delete(name);
    this.#onChange?.();
    await this.#engine.remove(entry);
  }

  /**
   * Call a routed procedure wherever it is registered in the cluster: round robin over its
   * registrations; one of this hub's is served directly, another hub's through the engine.
   *
   * @param name The name.
   * @param params The params.
   * @param options Timeout in ms (0: none) and the caller's abort signal.
   * @returns The result.
   * @throws {RpcError} -32601 when nobody serves it, -32000 on timeout, -32002 when
   * cancelled, -32013 when the callee or its hub went away, -32015 when the engine is down.
   */
  async call(
    name: string,
    params: Params | undefined,
    options: { readonly timeout: number; readonly signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    let entries = this.#view.get(name);
    if (entries === undefined || entries.length === 0) {
      try {
        entries = await this.#refresh(name);
      } catch (error) {
        throw unavailable(error);
      }
    }
    if (entries.length === 0) throw new RpcError(ErrorCode.MethodNotFound, "Method not found");
    const turn = this.#next.get(name) ?? 0;
    this.#next.set(name, turn + 1);
    const entry = entries[turn % entries.length]!;
    if (entry.hub === this.hub) {
      const signal = options.signal ?? new AbortController().signal;
      return await this.#serve(entry.callee, name, params, { timeout: options.timeout, signal });
    }
    return await this.#remote(entry, params, options);
  }

  /** Fail pending calls, stop the sweep, drop this hub's registrations and lease. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const controller of this.#serving.values()) controller.abort();
    for (const pending of [...this.#pending.values()]) {
      pending.done();
      pending.reject(new RpcError(ErrorCode.ConnectionClosed, "Switchboard hub: shutting down"));
    }
    await this.#engine.close();
  }

  #remote(
    entry: RouteEntry,
    params: Params | undefined,
    options: { readonly timeout: number; readonly signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    const id = ++this.#ids;
    const { signal, timeout } = options;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cancel = (error: RpcError): void => {
        if (!this.#pending.has(id)) return;
        done();
        this.#engine.send(entry.hub, { t: "cancel", id, from: this.hub }).catch(() => {
          // The serving hub times the call out by itself.
        });
        reject(error);
      };
      const onAbort = (): void =>
        cancel(new RpcError(ErrorCode.Cancelled, `Switchboard hub: ${entry.name} was cancelled`));
      const done = (): void => {
        this.#pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      if (signal?.aborted) {
        reject(new RpcError(ErrorCode.Cancelled, `Switchboard hub: ${entry.name} was cancelled`));
        return;
      }
      this.#pending.set(id, { hub: entry.hub, resolve, reject, done });
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(
          () =>
            cancel(
              new RpcError(ErrorCode.Timeout, `Switchboard hub: ${entry.name} timed out`, {
                timeout,
              }),
            ),
          timeout,
        );
      }
      const message: ClusterMessage = {
        t: "call",
        id,
        from: this.hub,
        name: entry.name,
        callee: entry.callee,
        params,
        timeout,
      };
      this.#engine.send(entry.hub, message).catch((error) => {
        if (!this.#pending.has(id)) return;
        done();
        reject(unavailable(error));
      });
    });
  }

  #receive(message: ClusterMessage): void {
    switch (message.t) {
      case "call": {
        const key = `${message.from} ${message.id}`;
        const controller = new AbortController();
        this.#serving.set(key, controller);
        const reply = (answer: ClusterMessage): void => {
          this.#serving.delete(key);
          this.#engine.send(message.from, answer).catch(() => {
            // The caller's hub times the call out.
          });
        };
        // A little longer than the caller's timeout: the caller's cancellation comes first, so
        // the callee hears rpc.cancel.
        this.#serve(message.callee, message.name, message.params, {
          timeout: message.timeout > 0 ? message.timeout + SERVE_MARGIN : 0,
          signal: controller.signal,
        }).then(
          (result) => reply({ t: "result", id: message.id, result: result ?? null }),
          (error: unknown) => reply({ t: "error", id: message.id, error: wireError(error) }),
        );
        return;
      }
      case "cancel":
        this.#serving.get(`${message.from} ${message.id}`)?.abort();
        return;
      case "result":
      case "error": {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return; // Timed out or cancelled already.
        pending.done();
        if (message.t === "result") pending.resolve(message.result);
        else pending.reject(RpcError.from(message.error));
        return;
      }
    }
  }

  async #refresh(name: string): Promise<RouteEntry[]> {
    const entries = await this.#engine.lookup(name);
    if (entries.length > 0) this.#view.set(name, entries);
    else this.#view.delete(name);
    this.#onChange?.();
    return entries;
  }

  async #sweep(): Promise<void> {
    // One at a time, and not while the engine is away (reads would only wait and fail).
    if (this.#closed || this.#sweeping || this.#engine.health().state !== "up") return;
    this.#sweeping = true;
    try {
      const entries = await this.#engine.list();
      this.#view.clear();
      for (const entry of entries) {
        const list = this.#view.get(entry.name);
        if (list === undefined) this.#view.set(entry.name, [entry]);
        else list.push(entry);
      }
      this.#onChange?.();
      const hubs = new Set([...this.#pending.values()].map((p) => p.hub));
      for (const hub of hubs) {
        if (await this.#engine.alive(hub)) continue;
        for (const [id, pending] of this.#pending) {
          if (pending.hub !== hub) continue;
          this.#pending.delete(id);
          pending.done();
          pending.reject(
            new RpcError(
              HubErrorCode.CalleeGone,
              "Switchboard hub: the hub serving this call went away",
              {
                hub,
              },
            ),
          );
        }
      }
    } catch {
      // The engine is unreachable: health says so; the next sweep retries.
    } finally {
      this.#sweeping = false;
    }
  }
}

function same(a: RouteEntry, b: RouteEntry): boolean {
  return a.name === b.name && a.hub === b.hub && a.callee === b.callee;
}

function wireError(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof RpcError) {
    return error.data === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, data: error.data };
  }
  return { code: ErrorCode.InternalError, message: "Internal error" };
}

function unavailable(error: unknown): RpcError {
  return new RpcError(
    HubErrorCode.ClusterUnavailable,
    "Switchboard hub: the cluster engine is unavailable",
    {
      reason: error instanceof Error ? error.message : String(error),
    },
  );
}
