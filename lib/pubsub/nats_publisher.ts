/**
 * JetStream publishes acknowledged through one reply subscription: each message is a plain
 * core NATS publish whose reply subject is `<inbox>.<token>` under one long-lived inbox, and
 * the acknowledgement JetStream sends there settles the publish with that token. Nothing is
 * created per publish but the message and a map entry: no request object, no timer (one timer
 * sweeps the expired), no captured stack trace.
 *
 * A publish resolves to the stored message's stream sequence, or rejects: with a
 * {@linkcode NatsPublishError} carrying JetStream's error code (e.g. 10071, wrong last
 * sequence), when no acknowledgement came within the timeout, when the connection dropped
 * while it waited (the message may have been stored or not), or when the publisher closed.
 *
 * @module
 */

import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";

/**
 * A publish that JetStream refused, or that got no acknowledgement.
 *
 * @example
 * ```ts
 * import { NatsPublishError } from "./nats_publisher.ts";
 * const error = new NatsPublishError("wrong last sequence: 4", 10071);
 * if (error.code !== 10071) throw new Error("unreachable");
 * ```
 */
export class NatsPublishError extends Error {
  /** JetStream's error code (`err_code`), if JetStream answered with one. */
  readonly code: number | undefined;
  /** The status NATS answered with instead of an acknowledgement (503: no stream took it). */
  readonly status: number | undefined;

  /**
   * @param message What went wrong.
   * @param code JetStream's error code, if any.
   * @param status The answer's NATS status, if it carried one.
   */
  constructor(message: string, code?: number, status?: number) {
    super(message);
    this.name = "NatsPublishError";
    this.code = code;
    this.status = status;
  }
}

/** A publish waiting for its acknowledgement. */
interface Waiting {
  readonly deadline: number;
  readonly resolve: (streamSeq: number) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Publishes to JetStream over one connection, acknowledgements demultiplexed by token.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { NatsPublisher } from "./nats_publisher.ts";
 * const nc = await connect({ servers: "nats://127.0.0.1:4222", noAsyncTraces: true });
 * const publisher = new NatsPublisher(nc, { timeout: 5_000 });
 * const streamSeq = await publisher.publish("orders.new", "{}");
 * console.log(streamSeq);
 * publisher.close();
 * await nc.close();
 * ```
 */
export class NatsPublisher {
  readonly #nc: NatsConnection;
  readonly #timeout: number;
  readonly #inbox: string;
  readonly #sub: Subscription;
  /** Waiting publishes by token, oldest first (so also by deadline). */
  readonly #waiting = new Map<string, Waiting>();
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed: Error | undefined;

  /**
   * @param nc The connection (its subscriptions come back by themselves on reconnection).
   * @param options How long a publish waits for its acknowledgement, in ms.
   */
  constructor(nc: NatsConnection, options: { timeout: number }) {
    this.#nc = nc;
    this.#timeout = options.timeout;
    this.#inbox = createInbox();
    this.#sub = nc.subscribe(`${this.#inbox}.*`, { callback: (_, msg) => this.#ack(msg) });
  }

  /** How many publishes wait for their acknowledgement. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Publish a message to a subject of a JetStream stream.
   *
   * @param subject The subject.
   * @param data The body.
   * @param headers Its headers (e.g. `Nats-Expected-Last-Subject-Sequence`).
   * @returns The stream sequence JetStream stored it at.
   * @throws {NatsPublishError} When refused, unacknowledged in time, or cut off.
   */
  publish(subject: string, data: string | Uint8Array, headers?: MsgHdrs): Promise<number> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const token = (this.#next++).toString(36);
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.#waiting.set(token, { deadline: Date.now() + this.#timeout, resolve, reject });
    try {
      const reply = `${this.#inbox}.${token}`;
      this.#nc.publish(subject, data, headers === undefined ? { reply } : { reply, headers });
    } catch (error) {
      this.#waiting.delete(token);
      return Promise.reject(error);
    }
    this.#timer ??= setTimeout(() => this.#sweep(), this.#timeout);
    return promise;
  }

  /**
   * Reject every waiting publish (the connection dropped: their acknowledgements are lost).
   *
   * @param reason Why.
   */
  failAll(reason: string): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    const error = new NatsPublishError(reason);
    for (const publish of waiting) publish.reject(error);
  }

  /** Stop: reject what waits, and what is published from now on. */
  close(): void {
    this.#closed = new NatsPublishError("closed");
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sub.unsubscribe();
    this.failAll("closed");
  }

  #ack(msg: Msg): void {
    const token = msg.subject.slice(this.#inbox.length + 1);
    const waiting = this.#waiting.get(token);
    if (waiting === undefined) return; // late: it timed out, or the connection dropped
    this.#waiting.delete(token);
    const settle = parseAck(msg);
    if (typeof settle === "number") waiting.resolve(settle);
    else waiting.reject(settle);
  }

  /** Reject the expired publishes; come back at the next deadline. */
  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline > now) {
        this.#timer = setTimeout(() => this.#sweep(), waiting.deadline - now);
        return;
      }
      this.#waiting.delete(token);
      waiting.reject(new NatsPublishError(`no acknowledgement in ${this.#timeout} ms`));
    }
  }
}

const decoder = new TextDecoder();

/** An acknowledgement's stream sequence, or the error it carries. */
function parseAck(msg: Msg): number | NatsPublishError {
  const status = msg.headers?.code ?? 0;
  if (status >= 300) {
    return new NatsPublishError(
      status === 503 ? "no JetStream stream takes this subject" : `status ${status}`,
      undefined,
      status,
    );
  }
  let ack: { seq?: unknown; error?: { err_code?: unknown; description?: unknown } };
  try {
    ack = JSON.parse(decoder.decode(msg.data));
  } catch {
    return new NatsPublishError("a malformed acknowledgement");
  }
  if (ack?.error !== undefined) {
    const code = typeof ack.error.err_code === "number" ? ack.error.err_code : undefined;
    return new NatsPublishError(String(ack.error.description ?? "refused"), code);
  }
  return typeof ack?.seq === "number"
    ? ack.seq
    : new NatsPublishError("an acknowledgement without seq");
}
