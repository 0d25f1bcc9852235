/**
 * Switchboard on Cloudflare Workers and Durable Objects: one Durable Object per room hosts
 * the procedures, topics and synced state; sockets hibernate when idle; topic history and
 * state live in the object's SQLite storage. See docs/DEPLOY.md.
 *
 * @example A Worker and its Durable Object (bound as `SWITCHBOARD` in wrangler.jsonc)
 * ```ts
 * import { switchboardObject, switchboardWorker } from "./cloudflare.ts";
 * export const Hub = switchboardObject((sb, { state }) => {
 *   sb.register("add", ([a, b]: number[]) => a! + b!);
 *   state("counter", { count: 0 });
 * });
 * const worker = switchboardWorker({ binding: "SWITCHBOARD" });
 * const res = await worker.fetch(new Request("http://x/elsewhere"), {});
 * if (res.status !== 404) throw new Error("unreachable");
 * ```
 *
 * @module
 */

export * from "./lib/adapters/cloudflare.ts";
export { Switchboard, type SwitchboardOptions } from "./lib/server/switchboard.ts";
export * from "./lib/shared.ts";
