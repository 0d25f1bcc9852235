/**
 * A NATS backplane (stand-in for the h16a branch's, same exports): events go to the JetStream
 * stream `SB_EVENTS` on subjects `sbev.<topic>`; the per-topic sequence number is the last
 * one's plus one, published with the expected last subject sequence (compare-and-set, retried
 * on conflict); the stream republishes stored events on `sblive.<topic>`, where one core
 * subscription hears every event and filters with {@linkcode Pattern}.
 *
 * @module
 */

import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  type StoredMsg,
} from "@nats-io/jetstream";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { Pattern } from "./pattern.ts";
import type { ReplayResult, TopicEvent } from "./replay.ts";
import { isPattern } from "./topic_name.ts";

const STREAM = "SB_EVENTS";

/**
 * Topics through NATS JetStream.
 *
 * @example
 * ```ts ignore
 * import { NatsBackplane } from "./nats_backplane.ts";
 * const backplane = await NatsBackplane.connect("nats://127.0.0.1:4222");
 * await backplane.publish("a.b", 1);
 * await backplane.close();
 * ```
 */
export class NatsBackplane implements Backplane {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #listeners = new Set<(event: TopicEvent) => void>();
  readonly #sub: Subscription;
  #state: "up" | "down" | "connecting" = "up";

  private constructor(nc: NatsConnection, jsm: JetStreamManager) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#sub = nc.subscribe("sblive.>", {
      callback: (error, msg) => {
        if (error !== null) return;
        const event = msg.json<TopicEvent>();
        for (const listener of this.#listeners) listener(event);
      },
    });
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "disconnect" || status.type === "close") this.#state = "down";
        else if (status.type === "reconnecting") this.#state = "connecting";
        else if (status.type === "reconnect") this.#state = "up";
      }
    })();
  }

  /**
   * Connect and create the stream if needed.
   *
   * @param url `nats://host:port`.
   * @param options Events kept per topic (default 1,000).
   * @returns The connected backplane.
   */
  static async connect(url: string, options: { size?: number } = {}): Promise<NatsBackplane> {
    const nc = await connect({
      servers: url.replace(/^nats:\/\//, ""),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const jsm = await jetstreamManager(nc);
    const config = {
      name: STREAM,
      subjects: ["sbev.>"],
      max_msgs_per_subject: options.size ?? 1000,
      allow_direct: true,
      // Only stored events are delivered, in the stream's order (a refused compare-and-set
      // publish still reaches core subscribers of its own subject).
      republish: { src: "sbev.>", dest: "sblive.>" },
    };
    try {
      await jsm.streams.info(STREAM);
    } catch {
      await jsm.streams.add(config);
    }
    await nc.flush();
    return new NatsBackplane(nc, jsm);
  }

  /**
   * The connection's state.
   *
   * @returns Up, down or connecting.
   */
  health(): { state: "up" | "down" | "connecting"; detail?: string } {
    return { state: this.#state };
  }

  async publish(topic: string, data: unknown, exclude?: string): Promise<number> {
    if (this.#state !== "up") throw new Error(`NATS connection is ${this.#state}`);
    const subject = `sbev.${topic}`;
    for (let attempt = 0; attempt < 50; attempt++) {
      const last = await this.#last(subject);
      const seq = (last === null ? 0 : last.json<TopicEvent>().seq) + 1;
      const event: TopicEvent = { topic, seq, data, time: Date.now(), exclude };
      try {
        await this.#js.publish(subject, JSON.stringify(event), {
          expect: { lastSubjectSequence: last?.seq ?? 0 },
          timeout: 2_000,
        });
        return seq;
      } catch (error) {
        if (!String(error).includes("wrong last sequence")) throw error;
      }
    }
    throw new Error(`Switchboard: could not publish to ${topic}: too much contention`);
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    const exact = new Set<string>();
    const patterns = new Map<string, Pattern>();
    const filtered = (event: TopicEvent): void => {
      if (exact.has(event.topic)) return listener(event);
      for (const pattern of patterns.values()) {
        if (pattern.matches(event.topic)) return listener(event);
      }
    };
    this.#listeners.add(filtered);
    return {
      add: (filter) => {
        if (isPattern(filter)) patterns.set(filter, new Pattern(filter));
        else exact.add(filter);
      },
      remove: (filter) => {
        if (!exact.delete(filter)) patterns.delete(filter);
      },
      close: () => {
        this.#listeners.delete(filtered);
      },
    };
  }

  async replay(topic: string, since?: number): Promise<ReplayResult> {
    const subject = `sbev.${topic}`;
    const last = await this.#last(subject);
    const seq = last === null ? 0 : last.json<TopicEvent>().seq;
    if (since === undefined || since === seq) return { events: [], seq };
    if (since > seq) return { gap: { since, oldest: null, seq, reason: "ahead" } };
    const events: TopicEvent[] = [];
    let at = 1;
    let oldest: number | null = null;
    while (last !== null && at <= last.seq) {
      const msg = await this.#jsm.direct.getMessage(STREAM, { next_by_subj: subject, seq: at });
      if (msg === null) break;
      const event = msg.json<TopicEvent>();
      oldest ??= event.seq;
      if (event.seq > since) events.push(event);
      at = msg.seq + 1;
    }
    if (oldest === null || oldest > since + 1) {
      return { gap: { since, oldest, seq, reason: "expired" } };
    }
    return { events, seq };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#sub.unsubscribe();
    await this.#nc.close().catch(() => {/* Already closed. */});
  }

  async #last(subject: string): Promise<StoredMsg | null> {
    try {
      return await this.#jsm.streams.getMessage(STREAM, { last_by_subj: subject });
    } catch (error) {
      if (String(error).toLowerCase().includes("not found")) return null;
      throw error;
    }
  }
}
