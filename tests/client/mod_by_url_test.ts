/**
 * `mod.ts` imported by a raw URL in Deno, with no config and no import map (the sources served
 * as plain files over HTTP): it loads, runs the smoke scenario with the default JSON codec,
 * and its superjson codec (whose package a raw URL cannot resolve) throws a TypeError that
 * names the fix instead of failing the import.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { Hono } from "hono";
import { detectAdapter } from "../../server.ts";
import { DENO, ROOT, run, SMOKE_REPORT, smokeBody, startDemoServer } from "../_runtimes.ts";

/** Serve the repository's `.ts` files (never node_modules) on 127.0.0.1, port 0. */
async function serveSources(): Promise<{ origin: string; close(): Promise<void> }> {
  const app = new Hono();
  app.get("/*", async (c) => {
    const path = normalize(decodeURIComponent(new URL(c.req.url).pathname)).slice(1);
    if (!path.endsWith(".ts") || path.startsWith("..") || path.startsWith("node_modules/")) {
      return c.text("Not found", 404);
    }
    try {
      return c.body(await readFile(join(ROOT, path), "utf8"), 200, {
        "content-type": "application/typescript; charset=utf-8",
      });
    } catch {
      return c.text("Not found", 404);
    }
  });
  const server = await (await detectAdapter()).serve(app, {
    hostname: "127.0.0.1",
    port: 0,
    maxMessageSize: 1 << 20,
  });
  return { origin: server.url, close: () => server.close() };
}

describe("mod.ts by URL", () => {
  it("loads in Deno with no import map, works with JSON, and says what superjson needs", {
    timeout: 30_000,
  }, async () => {
    const sources = await serveSources();
    const server = await startDemoServer();
    const dir = await mkdtemp(join(tmpdir(), "sb-mod-url-"));
    try {
      const modUrl = `${sources.origin}/mod.ts`;
      const script = join(dir, "smoke.mjs");
      await writeFile(
        script,
        `${smokeBody(modUrl, server.wsUrl)}
let superjson = "";
try {
  (await import(${
          JSON.stringify(modUrl)
        })).superjsonCodec.encode({ jsonrpc: "2.0", id: 1, result: 1n });
} catch (error) {
  superjson = \`\${error.name}: \${error.message}\`;
}
console.log(JSON.stringify({ report, superjson }));\n`,
      );
      const hosts = [new URL(sources.origin).host, new URL(server.origin).host];
      const out = await run(DENO, [
        "run",
        "--no-config",
        `--allow-import=${hosts[0]}`,
        `--allow-net=${hosts.join(",")}`,
        script,
      ], { DENO_DIR: join(dir, "deno_dir"), NO_COLOR: "1" });
      const { report, superjson } = JSON.parse(out.trim().split("\n").pop()!);
      assert.deepEqual(report, SMOKE_REPORT);
      assert.match(superjson, /^TypeError: .*superjson.*npm:superjson@\^2\.2\.6.*client\.js/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
      await sources.close();
    }
  });
});
