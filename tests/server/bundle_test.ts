/**
 * `GET <path>/client.js`: the client as one prebuilt ESM file, cached with an ETag, CORS
 * open, free of runtime-specific code, importable from the current runtime and, by URL, from
 * Deno (`--allow-import`) with the types it names in `X-TypeScript-Types`
 * (`GET <path>/client.d.ts`); served by `serve()` and by the hub alike. The checked-in
 * build (lib/server/client_bundle_generated.ts) matches a fresh one.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Switchboard } from "../../server.ts";
import { readFile } from "node:fs/promises";
import { etagMatches, serveClientBundle } from "../../lib/server/client_bundle.ts";
import { CLIENT_DTS, CLIENT_JS } from "../../lib/server/client_bundle_generated.ts";
import { buildClient, GENERATED_PATH, renderClientModule } from "../../tools/build_client.ts";
import { startServer } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";
import { DENO, ROOT, run, SMOKE_REPORT, smokeScript, startDemoServer } from "../_runtimes.ts";

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

  it("imports by URL in Deno with --allow-import", { timeout: 30_000 }, async () => {
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

  it("names its types in X-TypeScript-Types, served next to it with CORS", async () => {
    const server = await startDemoServer();
    try {
      const res = await fetch(`${server.httpUrl}/client.js`);
      await res.body?.cancel();
      assert.equal(res.headers.get("x-typescript-types"), "./client.d.ts");
      const types = await fetch(new URL(res.headers.get("x-typescript-types")!, res.url));
      assert.equal(types.status, 200);
      assert.equal(types.headers.get("content-type"), "application/typescript; charset=utf-8");
      assert.equal(types.headers.get("access-control-allow-origin"), "*");
      assert.match(await types.text(), /export declare function connect\(/);
    } finally {
      await server.close();
    }
  });

  it("type-checks by URL in Deno against the served types", { timeout: 60_000 }, async () => {
    const server = await startDemoServer();
    const dir = await mkdtemp(join(tmpdir(), "sb-deno-types-"));
    try {
      const host = new URL(server.origin).host;
      const check = async (name: string, body: string): Promise<string> => {
        const file = join(dir, name);
        await writeFile(file, `import { connect } from "${server.httpUrl}/client.js";\n${body}`);
        return await run(DENO, ["check", "--no-config", `--allow-import=${host}`, file], {
          DENO_DIR: join(dir, "deno_dir"),
          NO_COLOR: "1",
        });
      };
      await check(
        "good.ts",
        `const client = connect("ws://x/rpc", { reconnect: false });
const sum: Promise<unknown> = client.call("add", [2, 3], { timeout: 1_000 });
export { sum };\n`,
      );
      // Without the types every import is \`any\` and this would pass.
      await assert.rejects(
        check("bad.ts", `connect(42);\n`),
        /TS2345|not assignable to parameter of type/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  });

  it("is served by the hub at /rpc/client.js, with its types", async () => {
    const hub = await startHub();
    try {
      const res = await fetch(`${hub.httpUrl}/client.js`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-typescript-types"), "./client.d.ts");
      assert.equal(await res.text(), CLIENT_JS);
      const types = await fetch(`${hub.httpUrl}/client.d.ts`);
      assert.equal(types.status, 200);
      assert.equal(await types.text(), CLIENT_DTS);
    } finally {
      await hub.close();
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
  it("serves the checked-in build: client.js names client.d.ts, both with ETags", async () => {
    const js = serveClientBundle(new Request("http://x/client.js"));
    assert.equal(js.headers.get("x-typescript-types"), "./client.d.ts");
    assert.equal(await js.text(), CLIENT_JS);
    const dts = serveClientBundle(new Request("http://x/client.d.ts"), "client.d.ts");
    assert.equal(dts.headers.get("content-type"), "application/typescript; charset=utf-8");
    assert.equal(dts.headers.get("x-typescript-types"), null);
    assert.notEqual(dts.headers.get("etag"), js.headers.get("etag"));
    assert.equal(await dts.text(), CLIENT_DTS);
    const again = serveClientBundle(
      new Request("http://x/client.d.ts", {
        headers: { "if-none-match": dts.headers.get("etag")! },
      }),
      "client.d.ts",
    );
    assert.equal(again.status, 304);
  });

  it("etagMatches() handles lists, weak tags and *", () => {
    assert.ok(etagMatches('"a", W/"b"', '"b"'));
    assert.ok(etagMatches("*", '"b"'));
    assert.ok(!etagMatches('"a"', '"b"'));
    assert.ok(!etagMatches(null, '"b"'));
  });
});

describe("lib/server/client_bundle_generated.ts", () => {
  it("is what `deno task build:client` builds now (else: run it and commit)", {
    timeout: 60_000,
  }, async () => {
    const built = await buildClient();
    const fresh = await renderClientModule(built);
    const current = await readFile(`${ROOT}${GENERATED_PATH}`, "utf8");
    assert.ok(
      current === fresh,
      `${GENERATED_PATH} is stale: run \`deno task build:client\` and commit it`,
    );
    // One self-contained declaration file: no import, no reference to another file.
    assert.doesNotMatch(built.dts, /^\s*(import|export .* from|\/\/\/\s*<reference)\b/m);
    assert.match(built.dts, /export declare function connect\(/);
  });
});
