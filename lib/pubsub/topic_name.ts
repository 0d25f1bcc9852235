/**
 * Topic name validation: dot-separated segments of `A-Z a-z 0-9 _ - : @`, bounded in length
 * and segment count. Patterns add `*` (one segment) and a final `**` (one or more).
 *
 * @module
 */

import { ErrorCode, RpcError } from "../protocol/errors.ts";
import { DEFAULT_PUBSUB_LIMITS, type PubSubLimits } from "./limits.ts";

const SEGMENT = /^[A-Za-z0-9_:@-]+$/;

/**
 * Check a topic name (or, with `allowPattern`, a pattern) against the limits.
 *
 * @param name The name received.
 * @param limits Length, segment and wildcard limits. Default: {@linkcode DEFAULT_PUBSUB_LIMITS}.
 * @param allowPattern Accept `*` and a final `**` segment. Default false.
 * @returns The name, now known to be a string.
 * @throws {RpcError} -32602 (invalid params) with `data.reason` saying what is wrong, or
 * -32005 (limit exceeded) when the name is too long, too deep or has too many wildcards.
 * @example
 * ```ts
 * import { validateTopic } from "./topic_name.ts";
 * validateTopic("ticker.ACME");
 * let code = 0;
 * try { validateTopic("ticker..ACME"); } catch (e) { code = (e as { code: number }).code; }
 * if (code !== -32602) throw new Error("empty segments are refused");
 * ```
 */
export function validateTopic(
  name: unknown,
  limits: PubSubLimits = DEFAULT_PUBSUB_LIMITS,
  allowPattern = false,
): string {
  if (typeof name !== "string" || name.length === 0) {
    throw invalid(name, "A topic must be a non-empty string");
  }
  if (name.length > limits.maxTopicLength) {
    throw limit(`Topic longer than ${limits.maxTopicLength} characters`, name.length);
  }
  const segments = name.split(".");
  if (segments.length > limits.maxSegments) {
    throw limit(`Topic has more than ${limits.maxSegments} segments`, segments.length);
  }
  let wildcards = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === "*" || segment === "**") {
      if (!allowPattern) throw invalid(name, "Wildcards are only allowed when subscribing");
      if (segment === "**" && i !== segments.length - 1) {
        throw invalid(name, "** is only allowed as the last segment");
      }
      wildcards++;
      continue;
    }
    if (segment.length === 0) throw invalid(name, "Empty segment");
    if (!SEGMENT.test(segment)) {
      throw invalid(name, "Segments may only hold A-Z a-z 0-9 _ - : @");
    }
  }
  if (wildcards > limits.maxWildcards) {
    throw limit(`Pattern has more than ${limits.maxWildcards} wildcards`, wildcards);
  }
  return name;
}

/**
 * Whether a (valid) name is a pattern.
 *
 * @param name A topic name or pattern.
 * @returns True if one of its segments is `*` or `**`.
 * @example
 * ```ts
 * import { isPattern } from "./topic_name.ts";
 * if (!isPattern("chat.*") || isPattern("chat.lobby")) throw new Error("unreachable");
 * ```
 */
export function isPattern(name: string): boolean {
  if (!name.includes("*")) return false;
  return name.split(".").some((s) => s === "*" || s === "**");
}

function invalid(topic: unknown, reason: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, "Invalid params", {
    reason,
    topic: typeof topic === "string" ? topic.slice(0, 64) : null,
  });
}

function limit(reason: string, got: number): RpcError {
  return new RpcError(ErrorCode.LimitExceeded, "Limit exceeded", { reason, got });
}
