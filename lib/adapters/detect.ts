/**
 * Pick the adapter of the runtime this code runs on, loading only that one.
 *
 * @module
 */

import type { RuntimeAdapter } from "./adapter.ts";

/**
 * The adapter for the current runtime.
 *
 * @returns The Deno, Bun or Node adapter.
 * @throws {Error} On a runtime with no adapter (mount {@linkcode Switchboard} on that
 * runtime's Hono app yourself, passing its `upgradeWebSocket`).
 * @example
 * ```ts
 * import { detectAdapter } from "./detect.ts";
 * const adapter = await detectAdapter();
 * if (typeof adapter.serve !== "function") throw new Error("unreachable");
 * ```
 */
export async function detectAdapter(): Promise<RuntimeAdapter> {
  const g = globalThis as {
    Bun?: unknown;
    Deno?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (g.Bun !== undefined) return (await import("./bun.ts")).bunAdapter;
  if (g.Deno !== undefined) return (await import("./deno.ts")).denoAdapter;
  // Deno and Bun also report a Node version, so Node is recognised last.
  if (g.process?.versions?.node !== undefined) return (await import("./node.ts")).nodeAdapter;
  throw new Error(
    "Switchboard: no adapter for this runtime; mount the routes with its upgradeWebSocket",
  );
}
