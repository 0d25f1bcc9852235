/**
 * `GET <path>/client.js`: the client as one ESM file (esbuild), cached with an ETag, CORS
 * open, free of runtime-specific code, importable from the current runtime and, by URL, from
 * Deno (`--allow-import`).
 */

import { describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Switchboard } from "../server.ts";
import { etagMatches, serveClientBundle } from "../lib/server/client_bundle.ts";
import { startServer } from "./_fixtures.ts";
import { DENO, ROOT, run, SMOKE_REPORT, smokeScript, startDemoServer } from "./_runtimes.ts";

describe("GET /rpc/client.js", () => {
  it("serves one self-contained ESM file with an ETag and CORS", async () => {
    const server = await startDemoServer();
    try {
      const res = await fetch(`${server.httpUrl}/client.js`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      const etag = res.headers.get("etag");
      assert.match(etag ?? "", /^"[0-9a-f]{24}"$/);
      const code = await res.text();
      // Every dependency is inlined: no import statement or dynamic import is left.
      assert.doesNotMatch(code, /\bimport\s*[\w{*][^;]*?\bfrom\s*["']/);
      assert.doesNotMatch(code, /\bimport\s*\(/);
      // Nothing runtime-specific (what Cloudflare Workers and browsers lack).
      for (const word of ["Deno.", "Bun.", "process.", "require(", "node:", "WebSocketPair"]) {
        assert.ok(!code.includes(word), `the bundle mentions ${word}`);
      }
      assert.match(code, /export\{[^}]*\bconnect\b/);
      const again = await fetch(`${server.httpUrl}/client.js`, {
        headers: { "if-none-match": etag! },
      });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(await again.text(), "");
    } finally {
      await server.close();
    }
  });

  it("imports and works in this runtime, from a file", async () => {
    const server = await startDemoServer();
    const dir = await mkdtemp(join(tmpdir(), "sb-bundle-"));
    try {
      const code = await (await fetch(`${server.httpUrl}/client.js`)).text();
      const client = join(dir, "client.mjs");
      await writeFile(client, code);
      const smoke = join(dir, "smoke.mjs");
      await writeFile(smoke, smokeScript(pathToFileURL(client).href, server.wsUrl));
      const report = (await import(pathToFileURL(smoke).href)).default;
      assert.deepEqual(report, SMOKE_REPORT);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  });

  it("imports by URL in Deno with --allow-import", async () => {
    const server = await startDemoServer();
    const dir = await mkdtemp(join(tmpdir(), "sb-deno-import-"));
    try {
      const host = new URL(server.origin).host;
      const script = join(dir, "smoke.mjs");
      await writeFile(
        script,
        smokeScript(`${server.httpUrl}/client.js`, server.wsUrl) +
          "console.log(JSON.stringify(report));\n",
      );
      const out = await run(DENO, [
        "run",
        "--no-config",
        `--allow-import=${host}`,
        `--allow-net=${host}`,
        script,
      ], { DENO_DIR: join(dir, "deno_dir"), NO_COLOR: "1" });
      assert.deepEqual(JSON.parse(out.trim()), SMOKE_REPORT);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  });

  it("is not served when serveClient is false", async () => {
    const server = await startServer(new Switchboard({ serveClient: false }));
    try {
      const res = await fetch(`${server.httpUrl}/client.js`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
    } finally {
      await server.close();
    }
  });
});

describe("the client's module graph", () => {
  it("holds no adapter, server or Hono module (what Workers and browsers could not load)", async () => {
    const esbuild = await import("esbuild");
    try {
      const result = await esbuild.build({
        entryPoints: [`${ROOT}mod.ts`],
        bundle: true,
        format: "esm",
        platform: "neutral",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const inputs = Object.keys(result.metafile.inputs);
      assert.ok(inputs.some((path) => path.endsWith("client.ts")));
      assert.ok(inputs.some((path) => path.includes("superjson")));
      const forbidden = inputs.filter((path) =>
        /lib\/(adapters|server|hub)\/|node_modules\/hono\/|server\.ts$/.test(path)
      );
      assert.deepEqual(forbidden, []);
    } finally {
      await esbuild.stop();
    }
  });
});

describe("serveClientBundle()", () => {
  it("answers 501 when the bundle cannot be built, and retries later", async () => {
    let attempts = 0;
    const flaky = (): Promise<string> =>
      ++attempts === 1 ? Promise.reject(new Error("no bundler")) : Promise.resolve("export {};");
    const failed = await serveClientBundle(new Request("http://x/client.js"), flaky);
    assert.equal(failed.status, 501);
    assert.match(await failed.text(), /no bundler/);
    const ok = await serveClientBundle(new Request("http://x/client.js"), flaky);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "export {};");
    await serveClientBundle(new Request("http://x/client.js"), flaky);
    assert.equal(attempts, 2, "built once, then cached");
  });

  it("etagMatches() handles lists, weak tags and *", () => {
    assert.ok(etagMatches('"a", W/"b"', '"b"'));
    assert.ok(etagMatches("*", '"b"'));
    assert.ok(!etagMatches('"a"', '"b"'));
    assert.ok(!etagMatches(null, '"b"'));
  });
});
