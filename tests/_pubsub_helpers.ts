/**
 * Helpers for the pub/sub tests: wait for a condition, collect events.
 *
 * @module
 */

import type { RawSocket } from "./_fixtures.ts";

/**
 * Wait until `check` returns true (polling), or fail after `timeoutMs`. Not a timed
 * assertion: the deadline only keeps a broken test from hanging.
 *
 * @param check The condition.
 * @param what What is awaited, for the failure message.
 * @param timeoutMs Deadline. Default 5,000.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Read frames from a raw socket until one satisfies `match`, returning it parsed; frames
 * read before it are pushed to `skipped`.
 *
 * @param raw The raw socket.
 * @param match The predicate on parsed frames.
 * @param skipped Where earlier frames go.
 * @returns The matching frame.
 */
export async function nextMatching(
  raw: RawSocket,
  match: (frame: Record<string, unknown>) => boolean,
  skipped: unknown[] = [],
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 1000; i++) {
    const frame = JSON.parse(await raw.next() as string) as Record<string, unknown>;
    if (match(frame)) return frame;
    skipped.push(frame);
  }
  throw new Error("no matching frame in 1,000");
}
