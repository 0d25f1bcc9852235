/**
 * Send-failure routing: a send that failed after `Wire.send` returned (a Blob read, a later
 * chunk) rejects the calls the message carried; anything else is for the error reporter.
 *
 * @module
 */

import type { PendingCalls } from "./pending.ts";

/**
 * Reject the calls of a message whose send failed.
 *
 * @param pending The peer's pending-call table, if it has one.
 * @param error Why the send failed.
 * @param message The message or batch that was not sent.
 * @returns True when at least one pending call took the error (else the caller reports it).
 * @example
 * ```ts
 * import { failSentCalls } from "./send_failure.ts";
 * import { PendingCalls } from "./pending.ts";
 * const table = new PendingCalls(0);
 * const { id, promise } = table.add("x", undefined);
 * const failed = failSentCalls(table, new Error("gone"), { jsonrpc: "2.0", id, method: "x" });
 * if (!failed || !(await promise.catch((e) => e) instanceof Error)) throw new Error("unreachable");
 * ```
 */
export function failSentCalls(
  pending: PendingCalls | undefined,
  error: unknown,
  message: unknown,
): boolean {
  if (pending === undefined) return false;
  let failed = false;
  for (const item of Array.isArray(message) ? message : [message]) {
    const { id, method } = item as { id?: unknown; method?: unknown };
    if (typeof id === "number" && typeof method === "string" && pending.fail(id, error)) {
      failed = true;
    }
  }
  return failed;
}
