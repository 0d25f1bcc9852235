/**
 * Publishes handed on in call order although some take a while to pack: data holding Blobs
 * must be read first, and a remote backplane numbers events in the order it queues them. A
 * caller's publishes, awaited or not, get seqs in the order they were made (the backplane
 * conformance suite checks it with plain, rich, binary and Blob data interleaved).
 *
 * @module
 */

/**
 * Hands each publish's packed event to `add` in call order. A publish packed at once goes
 * straight through while nothing waits; one still packing holds back the later ones until it
 * has been added (or failed, which rejects only that publish).
 *
 * @example
 * ```ts
 * import { InOrder } from "./in_order.ts";
 * const added: string[] = [];
 * const order = new InOrder<string>((topic, packed) => {
 *   added.push(packed);
 *   return Promise.resolve(added.length);
 * });
 * const slow = new Promise<string>((resolve) => setTimeout(() => resolve("first"), 5));
 * const seqs = await Promise.all([order.add("t", slow), order.add("t", "second")]);
 * if (added.join() !== "first,second" || seqs.join() !== "1,2") throw new Error("unreachable");
 * ```
 */
export class InOrder<T> {
  readonly #add: (topic: string, packed: T) => Promise<number>;
  /** Publishes that have not been added yet. */
  #behind = 0;
  /** Settles once the last publish held back has been added. */
  #tail: Promise<void> = Promise.resolve();

  /**
   * @param add Queues one packed event on a topic; resolves to its seq once stored.
   */
  constructor(add: (topic: string, packed: T) => Promise<number>) {
    this.#add = add;
  }

  /**
   * Queue a publish after every earlier one.
   *
   * @param topic The topic.
   * @param packed The packed event, or a promise of it while it is being packed.
   * @returns Its seq once stored; rejects when packing or storing failed.
   */
  add(topic: string, packed: T | Promise<T>): Promise<number> {
    if (this.#behind === 0 && !(packed instanceof Promise)) return this.#add(topic, packed);
    this.#behind++;
    // Its failure is reported when its turn comes; until then it is not an unhandled one.
    if (packed instanceof Promise) packed.catch(() => {});
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.#tail = this.#tail
      .then(() => packed)
      .then((ready) => resolve(this.#add(topic, ready)), reject)
      .finally(() => {
        this.#behind--;
      });
    return promise;
  }
}
