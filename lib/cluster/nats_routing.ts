/**
 * Cluster routing over NATS (docs/CLUSTER.md, "Routed calls"):
 *
 * - each hub holds a lease: key `<id>` of the JetStream KV bucket `sb_hubs`, whose TTL is the
 *   lease, re-put every third of it;
 * - registrations are keys `r.<name>.<hub>.<connection>` of the KV bucket `sb_routes` (names
 *   base64url-encoded); under `single` the key `s.<name>` is the claim, taken with `create`
 *   (or, when its holder is gone, `update` at the read revision: compare-and-set);
 * - changes are announced on the subject `sb.changed`; readers ignore entries whose hub lease
 *   expired;
 * - calls, answers and cancellations go to the target hub's inbox subject `sb.inbox.<id>`.
 *
 * @module
 */

import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import type { ClusterMessage, EngineHealth, RouteEntry, RoutingEngine } from "./engine.ts";

/**
 * Options of {@linkcode NatsRouting.connect}.
 *
 * @example Types only
 * ```ts
 * import type { NatsRoutingOptions } from "./nats_routing.ts";
 * const options: NatsRoutingOptions = { lease: 3_000 };
 * if (options.lease !== 3_000) throw new Error("unreachable");
 * ```
 */
export interface NatsRoutingOptions {
  /** A hub's lease in ms: its registrations count as gone this long after it dies. Default 3,000. */
  readonly lease?: number;
}

/**
 * The {@linkcode RoutingEngine} on NATS with JetStream.
 *
 * @example
 * ```ts ignore
 * import { NatsRouting } from "./nats_routing.ts";
 * const engine = await NatsRouting.connect("nats://127.0.0.1:4222");
 * await engine.close();
 * ```
 */
export class NatsRouting implements RoutingEngine {
  readonly hub: string = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  readonly #nc: NatsConnection;
  readonly #routes: KV;
  readonly #hubs: KV;
  readonly #lease: number;
  readonly #subs: Subscription[] = [];
  readonly #mine = new Map<string, RouteEntry>();
  /** Removals that failed (engine down): retried until done, so no stale entry stays. */
  readonly #removals = new Map<string, RouteEntry>();
  /** Every registration, kept current by a KV watch. */
  readonly #all = new Map<string, RouteEntry>();
  #watch: { stop(): void } | undefined;
  readonly #timer: ReturnType<typeof setInterval>;
  #state: EngineHealth["state"] = "up";
  #detail: string | undefined;
  #restore = false;

  private constructor(nc: NatsConnection, routes: KV, hubs: KV, lease: number) {
    this.#nc = nc;
    this.#routes = routes;
    this.#hubs = hubs;
    this.#lease = lease;
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, lease / 3));
    void this.#watchStatus();
  }

  /**
   * Connect, open the buckets, take the lease.
   *
   * @param url `nats://host:port`.
   * @param options The lease.
   * @returns The engine.
   */
  static async connect(url: string, options: NatsRoutingOptions = {}): Promise<NatsRouting> {
    const lease = options.lease ?? 3_000;
    const nc = await connect({
      servers: url.replace(/^nats:\/\//, ""),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const kvm = new Kvm(jetstream(nc));
    const routes = await kvm.create("sb_routes", { history: 1 });
    const hubs = await kvm.create("sb_hubs", { history: 1, ttl: lease });
    const engine = new NatsRouting(nc, routes, hubs, lease);
    const watch = await routes.watch({ key: "r.>" });
    engine.#watch = watch;
    void engine.#follow(watch);
    await engine.#renew();
    return engine;
  }

  async add(entry: RouteEntry, single: boolean): Promise<RouteEntry | undefined> {
    this.#up();
    const name = encode(entry.name);
    if (single) {
      const holder = await this.#claim(`s.${name}`, entry);
      if (holder !== undefined) return holder;
    }
    await this.#routes.put(routeKey(entry), JSON.stringify(entry));
    this.#mine.set(routeKey(entry), entry);
    this.#nc.publish("sb.changed", entry.name);
    return undefined;
  }

  async remove(entry: RouteEntry): Promise<void> {
    const key = routeKey(entry);
    this.#mine.delete(key);
    this.#removals.set(key, entry);
    this.#up();
    await this.#routes.delete(key);
    const claim = await this.#routes.get(`s.${encode(entry.name)}`);
    if (claim?.operation === "PUT") {
      const holder = claim.json<RouteEntry>();
      if (holder.hub === entry.hub && holder.callee === entry.callee) {
        await this.#routes.delete(`s.${encode(entry.name)}`, { previousSeq: claim.revision })
          .catch(() => {/* Taken over meanwhile. */});
      }
    }
    this.#removals.delete(key);
    this.#nc.publish("sb.changed", entry.name);
  }

  async lookup(name: string): Promise<RouteEntry[]> {
    this.#up();
    return await this.#read(`r.${encode(name)}.>`);
  }

  async list(): Promise<RouteEntry[]> {
    return await this.#live([...this.#all.values()]);
  }

  async alive(hub: string): Promise<boolean> {
    if (hub === this.hub) return true;
    const entry = await this.#hubs.get(hub);
    return entry?.operation === "PUT";
  }

  send(hub: string, message: ClusterMessage): Promise<void> {
    if (this.#state !== "up") {
      return Promise.reject(new Error(`NATS connection is ${this.#state}`));
    }
    try {
      this.#nc.publish(`sb.inbox.${hub}`, JSON.stringify(message));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  listen(onMessage: (message: ClusterMessage) => void, onChange: (name: string) => void): void {
    this.#subs.push(this.#nc.subscribe(`sb.inbox.${this.hub}`, {
      callback: (error, msg) => {
        if (error === null) onMessage(msg.json<ClusterMessage>());
      },
    }));
    this.#subs.push(this.#nc.subscribe("sb.changed", {
      callback: (error, msg) => {
        if (error === null) onChange(msg.string());
      },
    }));
  }

  health(): EngineHealth {
    return this.#state === "up" || this.#detail === undefined
      ? { state: this.#state }
      : { state: this.#state, detail: this.#detail };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      this.#up();
      for (const entry of [...this.#mine.values()]) await this.remove(entry);
      await this.#hubs.delete(this.hub);
    } catch {
      // The engine is down: the lease expires by itself.
    }
    this.#watch?.stop();
    for (const sub of this.#subs) sub.unsubscribe();
    await this.#nc.close().catch(() => {/* Already closed. */});
  }

  async #claim(key: string, entry: RouteEntry): Promise<RouteEntry | undefined> {
    const value = JSON.stringify(entry);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.#routes.create(key, value);
        return undefined;
      } catch {
        // Taken: see by whom.
      }
      const current = await this.#routes.get(key);
      if (current === null) continue;
      if (current.operation === "PUT") {
        const holder = current.json<RouteEntry>();
        if (holder.hub === entry.hub && holder.callee === entry.callee) return undefined;
        const held = await this.#routes.get(routeKey(holder));
        if (held?.operation === "PUT" && await this.alive(holder.hub)) return holder;
      }
      try {
        await this.#routes.update(key, value, current.revision);
        return undefined;
      } catch {
        // Someone else took it meanwhile: look again.
      }
    }
    throw new Error(`Switchboard hub: could not claim ${entry.name}`);
  }

  async #read(filter: string): Promise<RouteEntry[]> {
    const entries: RouteEntry[] = [];
    const keys = await this.#routes.keys(filter);
    const names: string[] = [];
    for await (const key of keys) {
      names.push(key);
      if (names.length >= 10_000) break;
    }
    for (const key of names) {
      const value = await this.#routes.get(key);
      if (value?.operation === "PUT") entries.push(value.json<RouteEntry>());
    }
    return await this.#live(entries);
  }

  async #live(entries: RouteEntry[]): Promise<RouteEntry[]> {
    const hubs = [...new Set(entries.map((e) => e.hub))];
    const alive = new Set<string>();
    for (const hub of hubs) if (await this.alive(hub)) alive.add(hub);
    return entries.filter((e) => alive.has(e.hub));
  }

  async #renew(): Promise<void> {
    try {
      this.#up();
      await this.#hubs.put(this.hub, "1");
      for (const entry of [...this.#removals.values()]) await this.remove(entry);
      if (!this.#restore) return;
      // After an outage the engine may have lost data: put back this hub's registrations.
      this.#restore = false;
      for (const [key, entry] of this.#mine) {
        if ((await this.#routes.get(key))?.operation !== "PUT") {
          await this.#routes.put(key, JSON.stringify(entry));
          this.#nc.publish("sb.changed", entry.name);
        }
      }
    } catch {
      // Down: health reports it; the client reconnects by itself.
    }
  }

  /** Fail at once while disconnected (the client would hold requests until they time out). */
  #up(): void {
    if (this.#state !== "up") throw new Error(`NATS connection is ${this.#state}`);
  }

  async #follow(watch: AsyncIterable<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watch) {
        if (entry.operation === "PUT") this.#all.set(entry.key, entry.json<RouteEntry>());
        else this.#all.delete(entry.key);
      }
    } catch {
      // Stopped at close.
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect") {
        this.#state = "down";
        this.#detail = "disconnected";
      } else if (status.type === "reconnecting") {
        this.#state = "connecting";
      } else if (status.type === "reconnect") {
        this.#state = "up";
        this.#detail = undefined;
        this.#restore = true;
      } else if (status.type === "close") {
        this.#state = "down";
        this.#detail = "closed";
      }
    }
  }
}

function encode(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function routeKey(entry: RouteEntry): string {
  return `r.${encode(entry.name)}.${entry.hub}.${encode(entry.callee)}`;
}
