/**
 * The listener side shared by the remote backplanes (Redis, NATS): the streams of one
 * backplane instance, their filters counted so that the engine is subscribed once per
 * filter, and the events the engine pushes checked per topic before they reach a listener:
 *
 * - **Exactly once.** An engine sends one copy per matching subscription (an exact topic and
 *   a pattern both matching, or two patterns): a copy whose seq is not past the topic's last
 *   delivered seq is dropped.
 * - **In order, nothing lost.** A seq past the next one (the engine connection dropped and
 *   came back, and live Pub/Sub does not queue) is repaired from the engine's retained log
 *   before it is delivered: the missed events first, in order, then the held live ones. When
 *   the log no longer holds them, what arrives is delivered and the loss is reported. When
 *   the engine connection comes back, {@linkcode RemoteStreams.resync} does the same at once
 *   for the topics heard recently, without waiting for their next event.
 * - A topic that comes back at seq 1 (after a later one) restarted (its keys expired, the engine lost its data):
 *   it is followed from there.
 *
 * The last seq is remembered for at most `maxTopics` topics, least recently heard forgotten
 * first, and forgotten for topics that no filter covers any more (a later subscription must
 * not receive what was published before it).
 *
 * @module
 */

import type { BackplaneStream } from "./backplane.ts";
import { HeardSeqs } from "./heard_seqs.ts";
import { Pattern } from "./pattern.ts";
import type { ReplayResult, TopicEvent } from "./replay.ts";
import { isPattern } from "./topic_name.ts";

/**
 * What {@linkcode RemoteStreams} needs from its backplane.
 *
 * @example Types only
 * ```ts
 * import type { RemoteEngine } from "./remote_streams.ts";
 * const engine: RemoteEngine = {
 *   subscribe: () => Promise.resolve(),
 *   unsubscribe: () => {},
 *   replay: () => Promise.resolve({ events: [], seq: 0 }),
 * };
 * engine.subscribe("a.*");
 * ```
 */
export interface RemoteEngine {
  /** Start receiving a filter's events (first stream to add it); resolves once subscribed. */
  subscribe(filter: string): Promise<void>;
  /** Stop (last stream removed it). */
  unsubscribe(filter: string): void;
  /** The retained events after `since`, for repairing a gap. */
  replay(topic: string, since: number): Promise<ReplayResult>;
}

class RemoteStream implements BackplaneStream {
  readonly exact = new Set<string>();
  readonly patterns = new Map<string, Pattern>();
  readonly #owner: RemoteStreams;
  readonly listener: (event: TopicEvent) => void;

  constructor(owner: RemoteStreams, listener: (event: TopicEvent) => void) {
    this.#owner = owner;
    this.listener = listener;
  }

  add(filter: string): Promise<void> {
    if (this.exact.has(filter) || this.patterns.has(filter)) return this.#owner.ready(filter);
    if (isPattern(filter)) this.patterns.set(filter, new Pattern(filter));
    else this.exact.add(filter);
    return this.#owner.retain(filter);
  }

  remove(filter: string): void {
    if (!this.exact.delete(filter) && !this.patterns.delete(filter)) return;
    this.#owner.release(filter);
  }

  close(): void {
    for (const filter of [...this.exact, ...this.patterns.keys()]) this.remove(filter);
    this.#owner.forget(this);
  }

  wants(topic: string): boolean {
    if (this.exact.has(topic)) return true;
    for (const pattern of this.patterns.values()) if (pattern.matches(topic)) return true;
    return false;
  }
}

interface TopicState {
  /** The last seq delivered. */
  seq: number;
  /** Live events held while a gap is repaired. */
  held: TopicEvent[] | undefined;
}

/**
 * The streams of one remote backplane instance.
 *
 * @example
 * ```ts
 * import { RemoteStreams } from "./remote_streams.ts";
 * const subscribed: string[] = [];
 * const streams = new RemoteStreams({
 *   subscribe: (f) => Promise.resolve(void subscribed.push(f)),
 *   unsubscribe: () => {},
 *   replay: () => Promise.resolve({ events: [], seq: 0 }),
 * });
 * const seen: number[] = [];
 * const stream = streams.stream((e) => seen.push(e.seq));
 * stream.add("a.*");
 * stream.add("a.b");
 * const event = { topic: "a.b", seq: 1, data: null, time: 0 };
 * streams.receive(event);
 * streams.receive(event); // the second subscription's copy
 * if (seen.join() !== "1" || subscribed.join() !== "a.*,a.b") throw new Error("unreachable");
 * ```
 */
export class RemoteStreams {
  readonly #engine: RemoteEngine;
  readonly #maxTopics: number;
  readonly #onError: (error: unknown) => void;
  readonly #streams = new Set<RemoteStream>();
  /** Filter → how many streams hold it, and its engine subscription. */
  readonly #filters = new Map<string, { count: number; ready: Promise<void> }>();
  readonly #topics = new Map<string, TopicState>();
  readonly #heard = new HeardSeqs();

  /**
   * @param engine Subscriptions and replay on the engine.
   * @param options Topics remembered; where losses and listener errors are reported.
   */
  constructor(
    engine: RemoteEngine,
    options: { maxTopics?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.#engine = engine;
    this.#maxTopics = options.maxTopics ?? 100_000;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Open a stream.
   *
   * @param listener Receives each matching event once, in order per topic.
   * @returns The stream.
   */
  stream(listener: (event: TopicEvent) => void): BackplaneStream {
    const stream = new RemoteStream(this, listener);
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Take an event the engine pushed.
   *
   * @param event The decoded event.
   */
  receive(event: TopicEvent): void {
    let state = this.#topics.get(event.topic);
    if (state !== undefined) {
      this.#topics.delete(event.topic); // keep least recently heard first
      this.#topics.set(event.topic, state);
      if (state.held !== undefined) {
        state.held.push(event);
        return;
      }
      if (isCopy(event.seq, state.seq)) return; // another subscription's copy
      if (event.seq > state.seq + 1 && state.seq > 0) {
        this.#repair(event.topic, state, event);
        return;
      }
    } else {
      if (this.#topics.size >= this.#maxTopics) {
        this.#topics.delete(this.#topics.keys().next().value!);
      }
      state = { seq: 0, held: undefined };
      this.#topics.set(event.topic, state);
    }
    state.seq = event.seq;
    this.#dispatch(event);
    this.#heard.heard(event.topic, event.seq);
  }

  /**
   * Take the events of one engine message that carries a batch of a topic's events
   * (consecutive seqs, in order). Another subscription's copy of the batch is dropped whole:
   * a batch starting at 1 is a copy when the topic is at its last seq, a restart when further.
   *
   * @param events The decoded events.
   */
  receiveBatch(events: readonly TopicEvent[]): void {
    const first = events[0];
    const last = events[events.length - 1];
    if (first === undefined || last === undefined) return;
    if (events.length > 1) {
      const state = this.#topics.get(first.topic);
      const at = state?.held === undefined ? state?.seq : state.held[state.held.length - 1]?.seq;
      if (at !== undefined && last.seq <= at && !(first.seq === 1 && at > last.seq)) return;
    }
    for (const event of events) this.receive(event);
  }

  /**
   * Until this instance's listeners that want `topic` have had its events up to `seq`, at
   * most `HEARD_WITHIN` ms (lib/pubsub/heard_seqs.ts): what a publish awaits before it
   * resolves.
   *
   * @param topic The topic published on.
   * @param seq The publish's (last) seq.
   * @returns Undefined when nothing is to wait for: they have it, or none wants the topic.
   */
  heard(topic: string, seq: number): Promise<void> | undefined {
    const state = this.#topics.get(topic);
    if (state !== undefined && state.held === undefined && state.seq >= seq) return undefined;
    for (const stream of this.#streams) {
      if (stream.wants(topic)) return this.#heard.wait(topic, seq);
    }
    return undefined;
  }

  /** Close every stream. */
  close(): void {
    for (const stream of [...this.#streams]) stream.close();
    this.#topics.clear();
    this.#heard.close();
  }

  /** @internal A stream added a filter. */
  retain(filter: string): Promise<void> {
    const entry = this.#filters.get(filter);
    if (entry !== undefined) {
      entry.count++;
      return entry.ready;
    }
    const ready = this.#engine.subscribe(filter);
    ready.catch(this.#onError);
    this.#filters.set(filter, { count: 1, ready });
    return ready;
  }

  /** @internal When a filter held by a stream is subscribed. */
  ready(filter: string): Promise<void> {
    return this.#filters.get(filter)?.ready ?? Promise.resolve();
  }

  /** @internal A stream removed a filter. */
  release(filter: string): void {
    const entry = this.#filters.get(filter);
    if (entry === undefined) return;
    if (entry.count > 1) {
      entry.count--;
      return;
    }
    this.#filters.delete(filter);
    this.#engine.unsubscribe(filter);
    // Topics no filter covers any more lose their continuity.
    const patterns = [...this.#filters.keys()].filter(isPattern).map((f) => new Pattern(f));
    const covered = (topic: string): boolean =>
      this.#filters.has(topic) || patterns.some((p) => p.matches(topic));
    if (!isPattern(filter)) {
      if (!covered(filter)) this.#topics.delete(filter);
      return;
    }
    const removed = new Pattern(filter);
    for (const topic of this.#topics.keys()) {
      if (removed.matches(topic) && !covered(topic)) this.#topics.delete(topic);
    }
  }

  /** @internal A stream closed. */
  forget(stream: RemoteStream): void {
    this.#streams.delete(stream);
  }

  #dispatch(event: TopicEvent): void {
    for (const stream of this.#streams) {
      if (!stream.wants(event.topic)) continue;
      try {
        stream.listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /**
   * After the engine connection came back (its subscriptions acknowledged again): fetch what
   * each recently heard topic missed meanwhile, so it arrives without waiting for the topic's
   * next event. At most `limit` topics, the most recently heard first.
   *
   * @param limit Most topics replayed.
   */
  resync(limit = 10_000): void {
    const topics = [...this.#topics].slice(-limit);
    for (const [topic, state] of topics) {
      if (state.held === undefined && state.seq > 0) this.#repair(topic, state, undefined);
    }
  }

  #repair(topic: string, state: TopicState, first: TopicEvent | undefined): void {
    const since = state.seq;
    state.held = first === undefined ? [] : [first];
    const finish = (missed: readonly TopicEvent[]): void => {
      const held = state.held ?? [];
      state.held = undefined;
      for (const event of [...missed, ...held]) {
        if (isCopy(event.seq, state.seq)) continue;
        state.seq = event.seq;
        this.#dispatch(event);
      }
      this.#heard.heard(topic, state.seq);
    };
    this.#engine.replay(topic, since).then(
      (result) => {
        if ("gap" in result) {
          const until = first === undefined ? result.gap.seq : first.seq - 1;
          if (result.gap.reason === "expired" || until > since) {
            this.#onError(
              new Error(
                `Switchboard: events ${since + 1}..${until} of ${topic} were lost: ` +
                  `the backplane no longer holds them (${result.gap.reason})`,
              ),
            );
          }
          // The topic restarted below what was delivered (the engine lost it): follow it.
          if (result.gap.reason === "ahead") state.seq = result.gap.seq;
          finish([]);
        } else {
          finish(result.events);
        }
      },
      (error) => {
        this.#onError(
          new Error(`Switchboard: could not repair a gap on ${topic}`, { cause: error }),
        );
        finish([]);
      },
    );
  }
}

/** Whether seq was delivered already (a copy), rather than new or a restart at 1. */
function isCopy(seq: number, last: number): boolean {
  return seq <= last && !(seq === 1 && last > 1);
}
