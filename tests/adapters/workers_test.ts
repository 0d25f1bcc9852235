/**
 * The served client bundle inside Cloudflare Workers' runtime: workerd, run by Miniflare (the
 * `miniflare` devDependency, whose `workerd` dependency brings the binary). A module worker
 * imports the bundle as a second module and, on fetch, runs the smoke scenario against a real
 * server with the Workers `WebSocket` client: call, subscribe and synced state. Skips when
 * Miniflare or workerd is missing, except under CI=true where it fails.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { missing, ROOT, SMOKE_REPORT, smokeBody, startDemoServer } from "../_runtimes.ts";

const absent = missing("miniflare", `${ROOT}node_modules/miniflare/package.json`) ??
  missing("workerd", `${ROOT}node_modules/.bin/workerd`);

/** A Workers compatibility date with the standard `new WebSocket(url)` client (≥ 2023-03-14). */
const COMPATIBILITY_DATE = "2026-07-01";

/**
 * The worker: on fetch, runs the smoke scenario with the bundle imported from `./client.js`
 * and answers `{ userAgent, report }`, or a 500 with the error.
 *
 * @param wsUrl The server's WebSocket URL.
 * @returns The module source.
 */
function workerScript(wsUrl: string): string {
  return `
export default {
  async fetch() {
    try {
      ${smokeBody("./client.js", wsUrl)}
      return Response.json({ userAgent: navigator.userAgent, report });
    } catch (error) {
      return new Response(String(error?.stack ?? error), { status: 500 });
    }
  },
};
`;
}

describe("client on Cloudflare Workers (workerd)", () => {
  const options = { skip: absent, timeout: 30_000 };
  it("calls, subscribes and syncs state from the served bundle", options, async () => {
    const { Miniflare } = await import("miniflare");
    const server = await startDemoServer();
    let mf: InstanceType<typeof Miniflare> | undefined;
    try {
      const bundle = await (await fetch(`${server.httpUrl}/client.js`)).text();
      mf = new Miniflare({
        modules: [
          { type: "ESModule", path: "worker.mjs", contents: workerScript(server.wsUrl) },
          { type: "ESModule", path: "client.js", contents: bundle },
        ],
        compatibilityDate: COMPATIBILITY_DATE,
      });
      // Bounded, so a client that never gets through fails here and workerd is disposed.
      const res = await mf.dispatchFetch("http://worker.test/", {
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const { userAgent, report } = JSON.parse(text);
      assert.equal(userAgent, "Cloudflare-Workers");
      assert.deepEqual(report, SMOKE_REPORT);
    } finally {
      await mf?.dispose();
      await server.close();
    }
  });
});
