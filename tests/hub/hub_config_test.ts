/**
 * Hub configuration and rules: defaults, file < env < flags, validation, patterns, first
 * matching rule wins, config file loading.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { resolveHubConfig } from "../../lib/hub/config.ts";
import { loadHubConfig } from "../../lib/hub/main.ts";
import { compilePattern, patternsOverlap } from "../../lib/hub/patterns.ts";
import { type Identity, Policy } from "../../lib/hub/policy.ts";
import { startHub } from "../_hub.ts";

const guest: Identity = { id: "g", roles: ["guest"], admitted: true, via: "secret" };
const admin: Identity = { id: "a", roles: ["admin"], admitted: true, via: "jwt" };

describe("hub config", () => {
  it("resolveHubConfig() defaults to 127.0.0.1:8000 /rpc with anonymous access", () => {
    const c = resolveHubConfig({});
    assert.deepEqual([c.host, c.port, c.path, c.allowAnonymous], ["127.0.0.1", 8000, "/rpc", true]);
    assert.equal(c.preAuthMaxMessageSize, 512);
    assert.equal(c.registration, "single");
  });

  it("resolveHubConfig() turns anonymous access off once a credential is configured", () => {
    assert.equal(resolveHubConfig({}, { SWITCHBOARD_SECRET: "s" }).allowAnonymous, false);
    assert.equal(resolveHubConfig({ auth: { jwt: { secret: "k" } } }).allowAnonymous, false);
    const both = resolveHubConfig({ allowAnonymous: true, auth: { jwt: { secret: "k" } } });
    assert.equal(both.allowAnonymous, true);
  });

  it("resolveHubConfig() lets env override the file and flags override env", () => {
    const c = resolveHubConfig(
      { port: 1, path: "/a", origins: ["https://x"] },
      { PORT: "2", SWITCHBOARD_PATH: "/b", SWITCHBOARD_ORIGINS: "https://y, https://z" },
      { port: "3" },
    );
    assert.deepEqual([c.port, c.path, c.origins], [3, "/b", ["https://y", "https://z"]]);
  });

  it("resolveHubConfig() rejects wrong types with a TypeError naming the key", () => {
    assert.throws(() => resolveHubConfig({ port: "eighty" }), /port/);
    assert.throws(() => resolveHubConfig({ registration: "random" }), /registration/);
    assert.throws(() => resolveHubConfig({ path: "rpc" }), /path/);
    assert.throws(() => resolveHubConfig([]), TypeError);
  });

  it("loadHubConfig() reads --config and rejects invalid JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hub-config-"));
    try {
      const good = join(dir, "hub.json");
      await writeFile(good, JSON.stringify({ port: 9100, registration: "roundrobin" }));
      const c = await loadHubConfig(["--config", good, "--log-level", "warn"], {});
      assert.deepEqual([c.port, c.registration, c.logLevel], [9100, "roundrobin", "warn"]);
      const bad = join(dir, "bad.json");
      await writeFile(bad, "{ nope");
      await assert.rejects(loadHubConfig([], { SWITCHBOARD_CONFIG: bad }), SyntaxError);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

/** Run server.ts on this test's runtime; resolve with its exit code and output (10 s cap). */
function runMain(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const child = spawn(process.execPath, [...(isDeno ? ["run", "-A"] : []), "server.ts", ...args], {
    env: { ...process.env, PORT: "0", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Uint8Array) => out += new TextDecoder().decode(chunk));
  child.stderr!.on("data", (chunk: Uint8Array) => out += new TextDecoder().decode(chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.trim() });
    });
  });
}

describe("hub config is strict", () => {
  it("resolveHubConfig() takes rateLimit as limits or false, on by default", () => {
    assert.deepEqual(resolveHubConfig({}).rateLimit, {});
    assert.equal(resolveHubConfig({ rateLimit: false }).rateLimit, false);
    assert.deepEqual(resolveHubConfig({ rateLimit: { messages: 5 } }).rateLimit, { messages: 5 });
  });

  it("resolveHubConfig() refuses an unknown key, naming it", () => {
    assert.throws(
      () => resolveHubConfig({ alowAnonymous: true }),
      { message: "Switchboard hub: invalid config: alowAnonymous (config file): unknown key" },
    );
    assert.throws(() => resolveHubConfig({ limits: { maxBatchSiz: 2 } }), /limits\.maxBatchSiz/);
    assert.throws(() => resolveHubConfig({ pubsub: { replay: { sise: 2 } } }), /replay\.sise/);
  });

  it("resolveHubConfig() refuses a bad value with what it expected", () => {
    assert.throws(
      () => resolveHubConfig({ auth: { jwt: { secret: "k", alg: "HS999" } } }),
      /auth\.jwt\.alg \(config file\): expected .*"HS256".*, got "HS999"/,
    );
    assert.throws(() => resolveHubConfig({ rules: [{ effect: "maybe" }] }), /rules\.0\.effect/);
    assert.throws(() => resolveHubConfig({ port: 70_000 }), /port .*at most 65535/);
    assert.throws(() => resolveHubConfig({ preAuthTimeout: -1 }), /preAuthTimeout/);
    assert.throws(() => resolveHubConfig({ rateLimit: { messages: 0 } }), /rateLimit/);
    assert.throws(() => resolveHubConfig({ rateLimit: true }), /rateLimit/);
  });

  it("resolveHubConfig() names the variable or flag a bad value came from", () => {
    assert.throws(() => resolveHubConfig({}, { PORT: "eighty" }), /port \(PORT\): expected number/);
    assert.throws(
      () => resolveHubConfig({}, { SWITCHBOARD_ANONYMOUS: "yes" }),
      /SWITCHBOARD_ANONYMOUS/,
    );
    assert.throws(() => resolveHubConfig({}, {}, { logLevel: "loud" }), /logLevel \(--log-level\)/);
    assert.throws(
      () => resolveHubConfig({}, { SWITCHBOARD_REPLAY_SIZE: "-3" }),
      /pubsub\.replay\.size \(SWITCHBOARD_REPLAY_SIZE\)/,
    );
  });

  it("server.ts exits with code 2 and one line for a bad key, value, variable or flag", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hub-strict-"));
    try {
      const typo = join(dir, "typo.json");
      await writeFile(typo, JSON.stringify({ alowAnonymous: false }));
      const alg = join(dir, "alg.json");
      await writeFile(alg, JSON.stringify({ auth: { jwt: { secret: "k", alg: "HS999" } } }));
      const runs = await Promise.all([
        runMain(["--config", typo]),
        runMain(["--config", alg]),
        runMain([], { SWITCHBOARD_REGISTRATION: "random" }),
        runMain(["--port", "eighty"]),
      ]);
      const expected = [/alowAnonymous/, /auth\.jwt\.alg/, /registration/, /port \(--port\)/];
      for (const [i, { code, out }] of runs.entries()) {
        assert.equal(code, 2, out);
        assert.equal(out.split("\n").length, 1, out);
        assert.match(out, /^Switchboard hub: invalid config: /);
        assert.match(out, expected[i]!);
      }
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe("hub start failures", () => {
  it("server.ts exits with code 1 and one line when it cannot listen", async () => {
    const busy = await startHub();
    try {
      const { code, out } = await runMain([], { PORT: new URL(busy.origin).port });
      assert.equal(code, 1, out);
      assert.equal(out.split("\n").length, 1, out);
      assert.match(out, /^Switchboard hub: cannot listen on 127\.0\.0\.1:\d+: /);
    } finally {
      await busy.close();
    }
  });
});

describe("hub rules", () => {
  it("compilePattern() treats * as a wildcard and everything else literally", () => {
    assert.ok(compilePattern("a.*")("a.b.c"));
    assert.ok(!compilePattern("a.*")("ab"));
    assert.ok(compilePattern("a+b")("a+b"));
    assert.ok(compilePattern("*.sum")("math.sum"));
  });

  it("Policy.allows() applies the first rule matching action, name and role", () => {
    const policy = new Policy([
      { actions: ["call"], match: "admin.*", roles: ["admin"] },
      { actions: ["call"], match: "admin.*", effect: "deny" },
    ], "allow");
    assert.ok(policy.allows("call", "admin.x", admin));
    assert.ok(!policy.allows("call", "admin.x", guest));
    assert.ok(policy.allows("call", "public.x", guest));
    assert.ok(policy.allows("register", "admin.x", guest));
    assert.ok(!new Policy([], "deny").allows("call", "x", admin));
  });

  it("new Policy() rejects unknown actions and effects", () => {
    assert.throws(() => new Policy([{ actions: ["eat" as "call"] }], "allow"), /unknown action/);
    assert.throws(() => new Policy([{ effect: "maybe" as "allow" }], "allow"), /unknown effect/);
  });

  it("Policy.allowsPattern() refuses a wildcard that can reach a denied name", () => {
    const policy = new Policy([
      { actions: ["subscribe"], match: "secret.*", roles: ["admin"] },
      { actions: ["subscribe"], match: "secret.*", effect: "deny" },
      { actions: ["subscribe"], match: "public.*" },
    ], "deny");
    assert.ok(policy.allowsPattern("subscribe", "public.*", guest));
    assert.ok(policy.allowsPattern("subscribe", "public.a.**", guest));
    assert.ok(!policy.allowsPattern("subscribe", "*.x", guest), "may reach secret.x");
    assert.ok(!policy.allowsPattern("subscribe", "**", guest));
    assert.ok(!policy.allowsPattern("subscribe", "other.*", guest), "the default denies");
    assert.ok(policy.allowsPattern("subscribe", "secret.*", admin));
    assert.ok(patternsOverlap("a*c", "ab*"));
    assert.ok(!patternsOverlap("a.b", "a.c"));
    assert.ok(patternsOverlap("**", "x"));
  });
});

describe("hub pubsub config", () => {
  it("resolveHubConfig() reads pubsub replay and limits, env overrides the file", () => {
    const off = resolveHubConfig({});
    assert.deepEqual(off.pubsub, { replay: { size: 0, maxAge: 60_000 }, limits: {} });
    const config = resolveHubConfig(
      { pubsub: { replay: { size: 10, maxAge: 5000 }, limits: { maxSubscriptions: 8 } } },
      { SWITCHBOARD_REPLAY_SIZE: "20" },
    );
    assert.deepEqual(config.pubsub, {
      replay: { size: 20, maxAge: 5000 },
      limits: { maxSubscriptions: 8 },
    });
    assert.throws(() => resolveHubConfig({ pubsub: { replay: { size: -1 } } }), TypeError);
    assert.throws(() => resolveHubConfig({ pubsub: [] }), TypeError);
    assert.throws(() => resolveHubConfig({ pubsub: { limits: { maxTopicLength: 0 } } }), TypeError);
  });
});
