/**
 * Publishers waiting until their own process's listeners hold what they published: with a
 * remote engine the stored event comes back on another connection, maybe after the
 * publish's acknowledgement. A remote backplane resolves a publish once its instance's
 * listeners that want the topic have had it, as the in-memory backplane does, so a hub's
 * subscribers hold an event when `rpc.publish` answers. The wait is bounded: an event lost
 * on the way back (the connection dropped) is repaired later from the engine's log, and the
 * publish resolves after `within` ms anyway.
 *
 * @module
 */

/** A publisher's wait. */
interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** How long a publish waits at most for its own listeners, in ms. */
export const HEARD_WITHIN = 1_000;

/**
 * Waits per topic until a seq has been delivered.
 *
 * @example
 * ```ts
 * import { HeardSeqs } from "./heard_seqs.ts";
 * const heard = new HeardSeqs();
 * const wait = heard.wait("chat", 3, 1_000);
 * heard.heard("chat", 2);
 * heard.heard("chat", 3);
 * await wait;
 * if (heard.size !== 0) throw new Error("unreachable");
 * ```
 */
export class HeardSeqs {
  readonly #waiting = new Map<string, Waiter[]>();

  /** Topics with a publisher waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Resolves once {@linkcode HeardSeqs.heard} reports `seq` (or later) on `topic`, or after
   * `within` ms.
   *
   * @param topic The topic.
   * @param seq The seq to wait for.
   * @param within The most it waits, in ms.
   * @returns When heard, or when the time ran out.
   */
  wait(topic: string, seq: number, within: number = HEARD_WITHIN): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(() => {
      this.#drop(topic, waiter);
      resolve();
    }, within);
    const waiter: Waiter = { seq, resolve, timer };
    const waiting = this.#waiting.get(topic);
    if (waiting === undefined) this.#waiting.set(topic, [waiter]);
    else waiting.push(waiter);
    return promise;
  }

  /**
   * The topic's listeners have had every event up to `seq`.
   *
   * @param topic The topic.
   * @param seq Its last delivered seq.
   */
  heard(topic: string, seq: number): void {
    if (this.#waiting.size === 0) return;
    const waiting = this.#waiting.get(topic);
    if (waiting === undefined) return;
    const still = waiting.filter((waiter) => {
      if (waiter.seq > seq) return true;
      clearTimeout(waiter.timer);
      waiter.resolve();
      return false;
    });
    if (still.length === 0) this.#waiting.delete(topic);
    else this.#waiting.set(topic, still);
  }

  /** Let every publisher go (the backplane closes). */
  close(): void {
    for (const waiting of this.#waiting.values()) {
      for (const waiter of waiting) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
    this.#waiting.clear();
  }

  #drop(topic: string, gone: Waiter): void {
    const waiting = this.#waiting.get(topic)?.filter((waiter) => waiter !== gone);
    if (waiting === undefined || waiting.length === 0) this.#waiting.delete(topic);
    else this.#waiting.set(topic, waiting);
  }
}
