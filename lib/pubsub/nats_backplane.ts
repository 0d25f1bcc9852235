/**
 * The NATS backplane (nats-server 2.9+ with JetStream): brokers in many processes share
 * topics through NATS.
 *
 * **Subjects.** A topic is a subject: `chat.lobby` is stored on `switchboard.in.chat.lobby`
 * and heard on `switchboard.ev.chat.lobby` (prefix `switchboard`). Topic segments are valid
 * subject tokens; the pattern `*` is NATS's `*` and `**` is NATS's `>`, with the same
 * meaning, so listeners subscribe to exactly their filters.
 *
 * **Per-topic sequence numbers, dense and ordered.** JetStream numbers messages per stream,
 * not per subject, so the topic's seq travels in the stored message's body (see
 * `nats_message.ts`; hubs of versions with another message format must not share one stream)
 * and is made dense by optimistic concurrency: a publish reads the topic's last stored
 * message (seq `n`, stream sequence `S`; cached from this instance's last acknowledgement,
 * else fetched with a direct get `last_by_subj`) and publishes seq `n + 1` with
 * `Nats-Expected-Last-Subject-Sequence: S`. If another process stored an event on the topic
 * in between, JetStream refuses it (error 10071, wrong last sequence): the publisher re-reads
 * and retries. The cached last message of a topic this instance publishes on also follows
 * what it hears there (the republished message carries its stream sequence in
 * `Nats-Sequence`), so a publish after another process's needs no retry. Within one
 * instance, publishes on a topic are queued (no self-contention) and the ones waiting while
 * the previous message is stored go together as the next message ({@linkcode TopicBatches}):
 * a hot topic costs one round trip per batch, different topics go in parallel. The messages
 * are core NATS publishes acknowledged through one reply subscription
 * ({@linkcode NatsPublisher}); a publish resolves once JetStream acknowledged its message,
 * and rejects when it refused it for another reason, gave no acknowledgement within
 * `timeout`, or the connection dropped first.
 *
 * **Only stored events are delivered.** The stream has the subjects `<prefix>.in.>` and
 * republishes each stored message on `<prefix>.ev.>` (JetStream RePublish): listeners hear
 * exactly what was stored, in stream order (so in seq order per topic), and a refused
 * publish is never heard. Live delivery is core NATS on those subjects, without polling;
 * exactly-once and gap repair after a reconnection are {@linkcode RemoteStreams}'s.
 *
 * **Retention.** `max_msgs_per_subject` is the replay size (at least 1: the last message holds
 * the topic's seq; a message may hold several events, so at least `size` events are kept)
 * and `max_age` the topic TTL: a topic idle longer is forgotten and restarts at seq 1.
 * Replay reads the topic's held messages in order (`next_by_subj`) and keeps those within
 * the replay size and younger than `maxAge`, as in memory.
 *
 * The client is nats.js 3 (`@nats-io/transport-node`, `@nats-io/jetstream`), which runs on
 * Deno and Bun alike. Event data is packed by `packEvent` (superjson plus raw attachments).
 *
 * @module
 */

import {
  connect as natsConnect,
  headers as natsHeaders,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import {
  type JetStreamManager,
  jetstreamManager,
  type MsgRequest,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { Backplane, BackplaneStream } from "./backplane.ts";
import { type BackplaneHealth, settleWithin } from "./backplane_health.ts";
import { packEvent, packForPublish } from "./event_codec.ts";
import { containsBlob } from "../framing/encoded.ts";
import { InOrder } from "./in_order.ts";
import { messageSeq, packMessage, setMessageSeq, unpackMessage } from "./nats_message.ts";
import { TopicBatches } from "./nats_batch.ts";
import { NatsPublisher, type NatsPublishError } from "./nats_publisher.ts";
import { RemoteStreams } from "./remote_streams.ts";
import type { ReplayOptions, ReplayResult, TopicEvent } from "./replay.ts";

/**
 * Options of {@linkcode NatsBackplane.connect}.
 *
 * @example Types only
 * ```ts
 * import type { NatsBackplaneOptions } from "./nats_backplane.ts";
 * const options: NatsBackplaneOptions = { stream: "APP", replay: { size: 100 } };
 * if (options.stream !== "APP") throw new Error("unreachable");
 * ```
 */
export interface NatsBackplaneOptions {
  /** First subject token(s) of every subject. Default `switchboard`. */
  readonly prefix?: string;
  /** The JetStream stream's name (created if missing). Default `SWITCHBOARD`. */
  readonly stream?: string;
  /** Events kept per topic and their age. Default: none (the last event only, for its seq). */
  readonly replay?: ReplayOptions;
  /** A topic not published for this many ms is forgotten (restarts at 1). Default a day; 0 never. */
  readonly topicTtl?: number;
  /** JetStream storage of a newly created stream. Default `file`. */
  readonly storage?: "file" | "memory";
  /** Topics whose last seq each instance remembers. Default 100,000. */
  readonly maxTopics?: number;
  /** How long a publish or replay may wait for NATS, in ms. Default 5,000. */
  readonly timeout?: number;
  /** How long `connect` waits for NATS, in ms. Default 10,000. */
  readonly connectTimeout?: number;
  /** Attempts of a publish that lost a race with another process. Default 100. */
  readonly attempts?: number;
  /** Where lost events, listener errors and connection errors are reported. */
  readonly onError?: (error: unknown) => void;
}

/** What this instance knows of a topic's last stored event. */
interface Last {
  readonly seq: number;
  readonly streamSeq: number;
}

const EXPECT_HEADER = "Nats-Expected-Last-Subject-Sequence";
/** The stream sequence of a republished message. */
const STREAM_SEQ_HEADER = "Nats-Sequence";
const WRONG_LAST_SEQUENCE = 10071;
const STREAM_IN_USE = 10058;
const NANOS = 1_000_000;

/**
 * A backplane on NATS JetStream.
 *
 * @example
 * ```ts ignore
 * import { NatsBackplane } from "./nats_backplane.ts";
 * const backplane = await NatsBackplane.connect("nats://127.0.0.1:4222", { replay: { size: 100 } });
 * const seq = await backplane.publish("chat.lobby", { text: "hi" });
 * console.log(seq, backplane.health().state);
 * await backplane.close();
 * ```
 */
export class NatsBackplane implements Backplane {
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #in: string;
  readonly #ev: string;
  readonly #size: number;
  readonly #maxAge: number;
  readonly #timeout: number;
  readonly #attempts: number;
  readonly #maxTopics: number;
  readonly #onError: (error: unknown) => void;
  readonly #streams: RemoteStreams;
  readonly #last = new Map<string, Last>();
  readonly #publisher: NatsPublisher;
  readonly #expect = natsHeaders();
  readonly #batches = new TopicBatches((topic, packed) => this.#storeBatch(topic, packed));
  readonly #order = new InOrder<string | Uint8Array>((topic, packed) =>
    this.#batches.add(topic, packed)
  );
  readonly #subs = new Map<string, Subscription>();
  #state: BackplaneHealth["state"] = "up";
  #detail: string | undefined;
  #closed = false;

  private constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    options: NatsBackplaneOptions,
  ) {
    this.#nc = nc;
    this.#jsm = jsm;
    const prefix = options.prefix ?? "switchboard";
    this.#stream = options.stream ?? "SWITCHBOARD";
    this.#in = `${prefix}.in.`;
    this.#ev = `${prefix}.ev.`;
    this.#size = options.replay?.size ?? 0;
    this.#maxAge = options.replay?.maxAge ?? 60_000;
    this.#timeout = options.timeout ?? 5_000;
    this.#attempts = options.attempts ?? 100;
    this.#maxTopics = options.maxTopics ?? 100_000;
    this.#onError = options.onError ?? (() => {});
    this.#publisher = new NatsPublisher(nc, { timeout: this.#timeout });
    this.#streams = new RemoteStreams({
      subscribe: (filter) => this.#subscribe(filter),
      unsubscribe: (filter) => this.#unsubscribe(filter),
      replay: (topic, since) => this.replay(topic, since),
    }, { maxTopics: this.#maxTopics, onError: this.#onError });
    void this.#watch();
  }

  /**
   * Connect to NATS and create the stream if missing. The connection reconnects by itself.
   *
   * @param url `nats://host:port` (several separated by commas).
   * @param options Prefix, stream, replay, TTL, timeouts.
   * @returns The connected backplane.
   * @throws {Error} When NATS cannot be reached, or has no JetStream.
   */
  static async connect(url: string, options: NatsBackplaneOptions = {}): Promise<NatsBackplane> {
    const size = options.replay?.size ?? 0;
    const ttl = options.topicTtl ?? 86_400_000;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`Switchboard: replay size must be an integer >= 0: got ${size}`);
    }
    if (!((options.replay?.maxAge ?? 60_000) > 0)) {
      throw new RangeError("Switchboard: replay maxAge must be positive");
    }
    if (!Number.isSafeInteger(ttl) || ttl < 0) {
      throw new RangeError(`Switchboard: topicTtl must be an integer >= 0: got ${ttl}`);
    }
    let nc: NatsConnection;
    try {
      nc = await natsConnect({
        servers: url.split(","),
        timeout: options.connectTimeout ?? 10_000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        noAsyncTraces: true,
      });
    } catch (error) {
      throw new Error(`Switchboard: NATS at ${url} did not answer: ${message(error)}`, {
        cause: error,
      });
    }
    try {
      const prefix = options.prefix ?? "switchboard";
      const jsm = await jetstreamManager(nc, { timeout: options.timeout ?? 5_000 });
      const config: Partial<StreamConfig> & { name: string } = {
        name: options.stream ?? "SWITCHBOARD",
        subjects: [`${prefix}.in.>`],
        max_msgs_per_subject: Math.max(1, size),
        max_age: ttl * NANOS,
        storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
        republish: { src: `${prefix}.in.>`, dest: `${prefix}.ev.>` },
      };
      await jsm.streams.add(config).catch((error) => {
        // Another instance created it (with its options): use it as it is.
        if (apiCode(error) !== STREAM_IN_USE) throw error;
      });
      return new NatsBackplane(nc, jsm, options);
    } catch (error) {
      await nc.close();
      throw new Error(`Switchboard: NATS JetStream at ${url} is not usable: ${message(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Whether the connection to NATS is up.
   *
   * @returns `up` or `down` (reconnecting), and the last error.
   */
  health(): BackplaneHealth {
    return this.#state === "up" || this.#detail === undefined
      ? { state: this.#state }
      : { state: this.#state, detail: this.#detail };
  }

  publish(topic: string, data: unknown, exclude?: string): Promise<number> {
    // Packed at once unless Blobs must be read first; the publishes after such data wait
    // behind it, so a caller's publishes are numbered in call order.
    let packed: string | Uint8Array | Promise<string | Uint8Array>;
    try {
      packed = containsBlob(data)
        ? packForPublish(data, exclude)
        : packEvent(Date.now(), exclude, data);
    } catch (error) {
      return Promise.reject(error);
    }
    // Resolved once this instance's own listeners have the event (lib/pubsub/heard_seqs.ts).
    return this.#order.add(topic, packed).then((seq) =>
      this.#streams.heard(topic, seq)?.then(() => seq) ?? seq
    );
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    return this.#streams.stream(listener);
  }

  async replay(topic: string, since?: number): Promise<ReplayResult> {
    try {
      return await settleWithin(
        this.#replay(topic, since),
        this.#timeout,
        `NATS did not answer in ${this.#timeout} ms`,
      );
    } catch (error) {
      throw new Error(
        `Switchboard: the NATS backplane could not replay ${topic}: ${message(error)}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#streams.close();
    this.#publisher.close();
    await this.#nc.close().catch(() => {});
  }

  /** Store a batch of a topic's events as one message; resolves to its last event's seq. */
  async #storeBatch(topic: string, packed: readonly (string | Uint8Array)[]): Promise<number> {
    try {
      if (this.#state !== "up" || this.#closed) {
        throw new Error(this.#closed ? "closed" : `not connected (${this.#detail ?? "down"})`);
      }
      return await this.#store(topic, packMessage(packed), packed.length);
    } catch (error) {
      throw new Error(
        `Switchboard: the NATS backplane could not publish on ${topic}: ${message(error)}`,
        { cause: error },
      );
    }
  }

  /** Store a message of `count` events after the topic's last; resolves to its last seq. */
  async #store(topic: string, body: Uint8Array, count: number): Promise<number> {
    const deadline = Date.now() + this.#timeout;
    for (let attempt = 1;; attempt++) {
      const last = this.#last.get(topic) ?? await this.#fetchLast(topic);
      const seq = last.seq + count;
      setMessageSeq(body, seq); // the previous attempt's message left long ago
      // One headers object for every message: publish encodes it before it returns.
      const headers = this.#expect;
      headers.set(EXPECT_HEADER, String(last.streamSeq));
      try {
        const streamSeq = await this.#publisher.publish(this.#in + topic, body, headers);
        this.#remember(topic, { seq, streamSeq });
        return seq;
      } catch (error) {
        // No responders: JetStream is not serving the stream yet (a server that just came back
        // recovers its streams first). Nothing was stored; try again shortly, within the timeout.
        if ((error as NatsPublishError).status === 503 && Date.now() + 50 < deadline) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(10 * attempt, 100)));
          continue;
        }
        const retry = apiCode(error) === WRONG_LAST_SEQUENCE && attempt < this.#attempts;
        // A newer message heard meanwhile updated the cache: retry after it, else re-read.
        const heard = this.#last.get(topic);
        if (!retry || heard === undefined || heard.streamSeq <= last.streamSeq) {
          this.#last.delete(topic);
        }
        if (!retry) throw error;
        if (Date.now() > deadline) throw new Error(`NATS did not store it in ${this.#timeout} ms`);
      }
    }
  }

  async #fetchLast(topic: string): Promise<Last> {
    const stored = await this.#jsm.streams.getMessage(this.#stream, {
      last_by_subj: this.#in + topic,
    });
    return stored === null
      ? { seq: 0, streamSeq: 0 }
      : { seq: messageSeq(stored.data), streamSeq: stored.seq };
  }

  #remember(topic: string, last: Last): void {
    this.#last.delete(topic);
    if (this.#last.size >= this.#maxTopics) this.#last.delete(this.#last.keys().next().value!);
    this.#last.set(topic, last);
  }

  async #replay(topic: string, since: number | undefined): Promise<ReplayResult> {
    const subject = this.#in + topic;
    const lastMsg = await this.#jsm.streams.getMessage(this.#stream, { last_by_subj: subject });
    const seq = lastMsg === null ? 0 : messageSeq(lastMsg.data);
    if (since === undefined || since === seq) return { events: [], seq };
    // The held events, oldest first (at most max_msgs_per_subject of them).
    const held: TopicEvent[] = [];
    if (this.#size > 0 && lastMsg !== null) {
      const cutoff = Date.now() - this.#maxAge;
      let from = 0;
      while (true) {
        // The stream message API takes next_by_subj (nats-server 2.9+); its type lists only
        // seq and last_by_subj.
        const query = { next_by_subj: subject, seq: from } as unknown as MsgRequest;
        const stored = await this.#jsm.streams.getMessage(this.#stream, query);
        if (stored === null) break;
        for (const event of unpackMessage(topic, stored.data)) {
          if (event.time >= cutoff && event.seq > seq - this.#size) held.push(event);
        }
        if (stored.seq >= lastMsg.seq) break;
        from = stored.seq + 1;
      }
    }
    const oldest = held[0]?.seq ?? null;
    if (since > seq) return { gap: { since, oldest, seq, reason: "ahead" } };
    if (oldest === null || oldest > since + 1) {
      return { gap: { since, oldest, seq, reason: "expired" } };
    }
    return { events: held.filter((event) => event.seq > since), seq };
  }

  async #subscribe(filter: string): Promise<void> {
    if (this.#subs.has(filter)) return;
    const subject = this.#ev + filter.replace(/(^|\.)\*\*$/, "$1>");
    this.#subs.set(
      filter,
      this.#nc.subscribe(subject, { callback: (_, msg) => this.#receive(msg) }),
    );
    await this.#nc.flush();
  }

  #unsubscribe(filter: string): void {
    this.#subs.get(filter)?.unsubscribe();
    this.#subs.delete(filter);
  }

  #receive(msg: Msg): void {
    try {
      const topic = msg.subject.slice(this.#ev.length);
      const events = unpackMessage(topic, msg.data);
      // A topic this instance publishes on moved on: its next publish goes after this.
      const last = this.#last.get(topic);
      const seq = events[events.length - 1]!.seq;
      if (last !== undefined && last.seq !== seq) {
        const streamSeq = Number(msg.headers?.get(STREAM_SEQ_HEADER));
        if (streamSeq > last.streamSeq) this.#remember(topic, { seq, streamSeq });
      }
      this.#streams.receiveBatch(events);
    } catch (error) {
      this.#onError(error);
    }
  }

  async #watch(): Promise<void> {
    for await (const status of this.#nc.status()) {
      switch (status.type) {
        case "disconnect":
        case "reconnecting":
          this.#state = "down";
          this.#detail ??= `disconnected from ${"server" in status ? status.server : "NATS"}`;
          // Their acknowledgements are lost with the connection (stored or not).
          this.#publisher.failAll(`disconnected (${this.#detail})`);
          break;
        case "reconnect":
          this.#state = "up";
          this.#detail = undefined;
          // nats.js sent the subscriptions again before anything else on the new connection:
          // fetch what the listeners missed meanwhile.
          this.#last.clear();
          this.#streams.resync();
          break;
        case "error":
          this.#detail = message("error" in status ? status.error : status);
          break;
        default:
          break;
      }
    }
  }
}

function apiCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; api_error?: { err_code?: number } } | null;
  if (typeof e?.api_error?.err_code === "number") return e.api_error.err_code;
  return typeof e?.code === "number" ? e.code : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
