/**
 * A backplane kept in a Durable Object's SQLite storage (`ctx.storage.sql`): each topic's
 * sequence number and its recent events survive hibernation, eviction and restarts, so a
 * client resuming with `since` gets exactly what it missed. Delivery stays in the object
 * (one object is one hub): publishing calls the broker's listeners synchronously, as the
 * memory backplane does.
 *
 * Event data is stored as JSON; byte arrays (`Uint8Array`, `ArrayBuffer`) are kept as bytes.
 *
 * @module
 */

import type { Backplane, BackplaneStream } from "../../pubsub/backplane.ts";
import { LocalStream } from "../../pubsub/local_stream.ts";
import type { ReplayResult, TopicEvent } from "../../pubsub/replay.ts";
import type { SqlStorage } from "./workers_types.ts";

/**
 * Retention of a {@linkcode SqlBackplane}.
 *
 * @example Types only
 * ```ts
 * import type { SqlBackplaneOptions } from "./sql_backplane.ts";
 * const options: SqlBackplaneOptions = { size: 100, maxAge: 3_600_000, maxTopics: 10_000 };
 * if (options.size !== 100) throw new Error("unreachable");
 * ```
 */
export interface SqlBackplaneOptions {
  /** Most events kept per topic for replay; 0 keeps none. Default 100. */
  readonly size?: number;
  /** Oldest event kept, in ms. Default 3,600,000 (one hour). */
  readonly maxAge?: number;
  /**
   * Most topics whose sequence number is kept; the least recently published is forgotten past
   * it (a resume on it then gets a gap). Default 10,000.
   */
  readonly maxTopics?: number;
}

/** Tag of a byte array in stored JSON. */
const BYTES = "$sb.bytes";

/**
 * Largest stored event, in UTF-8 bytes: SQLite-backed objects refuse a row over 2 MB. A
 * bigger event is delivered but not kept (a resume across it gets a gap).
 *
 * @example
 * ```ts
 * import { MAX_STORED_EVENT_BYTES } from "./sql_backplane.ts";
 * if (MAX_STORED_EVENT_BYTES >= 2_000_000) throw new Error("unreachable");
 * ```
 */
export const MAX_STORED_EVENT_BYTES: number = 1_900_000;

const encoder = new TextEncoder();

/** Whether stored JSON fits a row. */
function fitsRow(text: string): boolean {
  if (text.length * 3 <= MAX_STORED_EVENT_BYTES) return true;
  return text.length <= MAX_STORED_EVENT_BYTES &&
    encoder.encode(text).byteLength <= MAX_STORED_EVENT_BYTES;
}

/**
 * Sequence numbers and replay history in a Durable Object's SQLite storage.
 *
 * @example
 * ```ts ignore
 * import { SqlBackplane } from "./sql_backplane.ts";
 * // Inside a Durable Object with SQLite storage:
 * const backplane = new SqlBackplane(ctx.storage.sql, { size: 100 });
 * ```
 */
export class SqlBackplane implements Backplane {
  readonly #sql: SqlStorage;
  readonly #size: number;
  readonly #maxAge: number;
  readonly #maxTopics: number;
  readonly #streams = new Set<LocalStream>();
  /** Sequence numbers read or written this incarnation. */
  readonly #seqs = new Map<string, number>();
  #topicCount: number;

  /**
   * @param sql The object's SQL storage.
   * @param options Retention.
   * @throws {RangeError} For a negative size or topic bound, or a non-positive age.
   */
  constructor(sql: SqlStorage, options: SqlBackplaneOptions = {}) {
    this.#sql = sql;
    this.#size = options.size ?? 100;
    this.#maxAge = options.maxAge ?? 3_600_000;
    this.#maxTopics = options.maxTopics ?? 10_000;
    if (!Number.isSafeInteger(this.#size) || this.#size < 0) {
      throw new RangeError(`Switchboard: replay size must be an integer >= 0: got ${this.#size}`);
    }
    if (!(this.#maxAge > 0)) {
      throw new RangeError(`Switchboard: replay maxAge must be positive: got ${this.#maxAge}`);
    }
    if (!Number.isSafeInteger(this.#maxTopics) || this.#maxTopics < 1) {
      throw new RangeError(
        `Switchboard: maxTopics must be an integer >= 1: got ${this.#maxTopics}`,
      );
    }
    sql.exec(
      "CREATE TABLE IF NOT EXISTS sb_topics (topic TEXT PRIMARY KEY, seq INTEGER NOT NULL, time INTEGER NOT NULL)",
    );
    sql.exec(
      "CREATE TABLE IF NOT EXISTS sb_events (topic TEXT NOT NULL, seq INTEGER NOT NULL, " +
        "time INTEGER NOT NULL, exclude TEXT, data TEXT NOT NULL, PRIMARY KEY (topic, seq))",
    );
    this.#topicCount = Number(sql.exec("SELECT count(*) AS n FROM sb_topics").one().n);
  }

  publish(topic: string, data: unknown, exclude?: string): number {
    const time = Date.now();
    const known = this.#seq(topic);
    if (known === 0 && !this.#seqs.has(topic)) this.#makeRoom();
    const seq = known + 1;
    this.#seqs.set(topic, seq);
    this.#sql.exec(
      "INSERT INTO sb_topics (topic, seq, time) VALUES (?, ?, ?) " +
        "ON CONFLICT (topic) DO UPDATE SET seq = excluded.seq, time = excluded.time",
      topic,
      seq,
      time,
    );
    if (this.#size > 0) {
      const text = storeData(data);
      if (fitsRow(text)) {
        this.#sql.exec(
          "INSERT OR REPLACE INTO sb_events (topic, seq, time, exclude, data) VALUES (?, ?, ?, ?, ?)",
          topic,
          seq,
          time,
          exclude ?? null,
          text,
        );
        this.#sql.exec(
          "DELETE FROM sb_events WHERE topic = ? AND (seq <= ? OR time < ?)",
          topic,
          seq - this.#size,
          time - this.#maxAge,
        );
      } else {
        // Too big for a row: the history restarts after it, so a resume across it is a gap.
        this.#sql.exec("DELETE FROM sb_events WHERE topic = ?", topic);
      }
    }
    const event: TopicEvent = { topic, seq, data, time, exclude };
    for (const stream of this.#streams) if (stream.wants(topic)) stream.listener(event);
    return seq;
  }

  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    const stream = new LocalStream(listener, (s) => this.#streams.delete(s));
    this.#streams.add(stream);
    return stream;
  }

  replay(topic: string, since?: number): ReplayResult {
    const seq = this.#seq(topic);
    if (since === undefined || since === seq) return { events: [], seq };
    const cutoff = Date.now() - this.#maxAge;
    const rows = since > seq ? [] : this.#sql.exec(
      "SELECT seq, time, exclude, data FROM sb_events WHERE topic = ? AND time >= ? ORDER BY seq",
      topic,
      cutoff,
    ).toArray();
    const oldest = rows.length === 0 ? null : Number(rows[0]!.seq);
    if (since > seq) return { gap: { since, oldest, seq, reason: "ahead" } };
    if (oldest === null || oldest > since + 1) {
      return { gap: { since, oldest, seq, reason: "expired" } };
    }
    const events: TopicEvent[] = [];
    for (const row of rows) {
      if (Number(row.seq) <= since) continue;
      events.push({
        topic,
        seq: Number(row.seq),
        time: Number(row.time),
        exclude: typeof row.exclude === "string" ? row.exclude : undefined,
        data: loadData(String(row.data)),
      });
    }
    return { events, seq };
  }

  close(): Promise<void> {
    for (const stream of [...this.#streams]) stream.close();
    return Promise.resolve();
  }

  /** A topic's latest sequence number (0 when never published or forgotten). */
  #seq(topic: string): number {
    const cached = this.#seqs.get(topic);
    if (cached !== undefined) return cached;
    const rows = this.#sql.exec("SELECT seq FROM sb_topics WHERE topic = ?", topic).toArray();
    const seq = rows.length === 0 ? 0 : Number(rows[0]!.seq);
    if (rows.length > 0) this.#seqs.set(topic, seq);
    return seq;
  }

  /** A new topic is about to be stored: forget the least recently published past the bound. */
  #makeRoom(): void {
    this.#topicCount++;
    if (this.#topicCount <= this.#maxTopics) return;
    const oldest = this.#sql.exec("SELECT topic FROM sb_topics ORDER BY time LIMIT 1").toArray();
    const topic = oldest[0]?.topic;
    if (typeof topic !== "string") return;
    this.#sql.exec("DELETE FROM sb_topics WHERE topic = ?", topic);
    this.#sql.exec("DELETE FROM sb_events WHERE topic = ?", topic);
    this.#seqs.delete(topic);
    this.#topicCount--;
  }
}

/**
 * Event data as stored JSON, byte arrays tagged.
 *
 * @param data The data.
 * @returns The JSON text.
 */
function storeData(data: unknown): string {
  return JSON.stringify(data === undefined ? null : data, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { [BYTES]: toBase64(value) };
    if (value instanceof ArrayBuffer) return { [BYTES]: toBase64(new Uint8Array(value)) };
    return value;
  });
}

/**
 * Stored JSON back to event data.
 *
 * @param text The JSON text.
 * @returns The data.
 */
function loadData(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const tagged = (value as Record<string, unknown>)[BYTES];
      if (typeof tagged === "string" && Object.keys(value).length === 1) return fromBase64(tagged);
    }
    return value;
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
