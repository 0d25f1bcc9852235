/**
 * The examples that need no browser, run as a newcomer would: the chat's terminal client as a
 * Deno and a Bun child process, Switchboard in a Hono app, the per-connection editor service,
 * the device fleet through the hub, and the typed contract with a streamed result. Also: every
 * example file says in its header how to run it. (The browser examples are in
 * tests/examples/examples_browser_test.ts.)
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { connect } from "../../mod.ts";
import { post, rejection, until } from "../_fixtures.ts";
import { DENO, missing, ROOT } from "../_runtimes.ts";
import { startChat } from "../../examples/chat/server.ts";
import { joinChat } from "../../examples/chat/client.ts";
import { startApp } from "../../examples/hono_app/server.ts";
import { startEditor } from "../../examples/service/server.ts";
import { editOnce } from "../../examples/service/client.ts";
import { startFleet } from "../../examples/fleet/main.ts";
import {
  connectDashboard,
  listDevices,
  readFleet,
  withToken,
} from "../../examples/fleet/dashboard.ts";
import { DEVICE_TOKEN } from "../../examples/fleet/device.ts";
import { startTasks } from "../../examples/contract/server.ts";
import { runTasks } from "../../examples/contract/client.ts";

/** Bun from node_modules (the tests may run under Deno). */
const BUN = `${ROOT}node_modules/.bin/bun`;

/**
 * Run a program with `input` on its stdin; resolve with its stdout once it exits 0. Killed
 * after 20 s.
 */
function runWithInput(file: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env: process.env });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${file} ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
    });
    child.stdin.end(input);
  });
}

describe("examples: headers", () => {
  it("every example says how to run it, and its pages load the served client", async () => {
    const dir = fileURLToPath(new URL("../../examples/", import.meta.url).href);
    const entries = await readdir(dir, { recursive: true });
    const checked: string[] = [];
    for (const entry of entries.map(String).sort()) {
      const name = entry.split("/").pop()!;
      if (name.startsWith("_") || name === "api.ts") continue;
      if (!name.endsWith(".ts") && !name.endsWith(".html")) continue;
      const text = await readFile(`${dir}${entry}`, "utf8");
      if (name.endsWith(".ts")) {
        const header = text.slice(0, text.indexOf("@module"));
        // An entry point says how to run it; a module of one names what runs it.
        assert.match(
          header,
          /Run\b[\s\S]{0,200}?`(deno run -A|bun) examples\/|\b(served|used|run) by\b/i,
          `${entry} header`,
        );
        checked.push(entry);
      } else {
        assert.match(text, /from "\/rpc\/client\.js"/, `${entry} loads the served client`);
        checked.push(entry);
      }
    }
    assert.ok(checked.length >= 14, `checked ${checked.join(", ")}`);
  });
});

describe("examples: chat terminal clients", () => {
  for (
    const [runtime, file, args] of [
      ["Deno", DENO, ["run", "-A", "examples/chat/client.ts"]],
      ["Bun", BUN, ["examples/chat/client.ts"]],
    ] as const
  ) {
    it(`${runtime}: joins, says a line, whispers, and hears the room`, {
      skip: missing(runtime, file),
    }, async () => {
      const server = await startChat(0);
      const url = `${server.url.replace("http", "ws")}/rpc`;
      const heard: string[] = [];
      const ada = await joinChat(url, "ada", (line) => heard.push(line));
      try {
        const name = `term-${runtime.toLowerCase()}`;
        const output = await runWithInput(
          file,
          [...args, name, url],
          "hello from the terminal\n/w ada just for you\n",
        );
        assert.match(output, new RegExp(`\\* welcome ${name}; here: ada, ${name}`));
        assert.match(output, new RegExp(`${name}: hello from the terminal`));
        await until(() => heard.includes(`* ${name} whispers: just for you`), 5_000);
        assert.ok(heard.includes(`${name}: hello from the terminal`));
        await until(() => heard.includes(`* ${name} left`), 5_000);
      } finally {
        ada.close();
        await server.close();
      }
    });
  }
});

describe("examples: Switchboard in a Hono app", () => {
  it("keeps the app's routes and auth, and serves calls at /api/rpc", async () => {
    const server = await startApp(0);
    try {
      assert.match(await (await fetch(`${server.url}/`)).text(), /My app/);
      assert.deepEqual(await (await fetch(`${server.url}/api/health`)).json(), { ok: true });
      const clientJs = await fetch(`${server.url}/api/rpc/client.js`);
      assert.equal(clientJs.status, 200, "the client bundle needs no token");
      await clientJs.body?.cancel();
      const anonymous = await post(`${server.url}/api/rpc`, {
        jsonrpc: "2.0",
        id: 1,
        method: "whoami",
      });
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
      const byPost = await fetch(`${server.url}/api/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer ada-token" },
        body: '{"jsonrpc":"2.0","id":1,"method":"whoami"}',
      });
      assert.deepEqual(await byPost.json(), { jsonrpc: "2.0", id: 1, result: "ada" });
      const client = connect(`${server.url.replace("http", "ws")}/api/rpc?token=bob-token`, {
        reconnect: false,
      });
      try {
        assert.equal(await client.call("whoami"), "bob");
        assert.equal(await client.call("notes.add", ["hi"]), 1);
        const bad = await rejection(client.call("notes.add", [""]));
        assert.equal(bad.data, "text must be a string", "exposeErrors on this procedure");
      } finally {
        client.close();
      }
      assert.deepEqual(await (await fetch(`${server.url}/api/notes`)).json(), [
        { by: "bob", text: "hi" },
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("examples: per-connection service", () => {
  it("runs one session per connection with calls both ways and the close hook", async () => {
    const log: string[] = [];
    const { server, saved } = await startEditor(0, (line) => log.push(line));
    const url = `${server.url.replace("http", "ws")}/rpc`;
    try {
      const [ada, bob] = await Promise.all([
        editOnce(url, "ada"),
        editOnce(url, "bob", () => false),
      ]);
      assert.deepEqual(ada, { text: "Hello, ada!", saved: true, ready: { author: "ada" } });
      assert.deepEqual(bob, { text: "Hello, bob!", saved: false, ready: { author: "bob" } });
      assert.deepEqual(saved, [{ author: "ada", text: "Hello, ada!" }]);
      await until(() =>
        log.filter((line) => line.includes("closed (1000) after 2 edits")).length === 2
      );
    } finally {
      await server.close();
    }
  });
});

describe("examples: device fleet through the hub", () => {
  it("devices register procedures, the dashboard lists and calls them, rules hold", async () => {
    const fleet = await startFleet({ port: 0, devices: ["t-1", "t-2"], interval: 20 });
    const dashboard = connectDashboard(fleet.url);
    const intruder = connect(withToken(fleet.url, DEVICE_TOKEN), { reconnect: false });
    try {
      assert.deepEqual(await listDevices(dashboard), ["t-1", "t-2"]);
      const statuses = await readFleet(dashboard);
      assert.deepEqual(statuses.map((s) => [s.id, s.target]), [["t-1", 21], ["t-2", 21]]);
      const set = await dashboard.call("device.t-2.setTarget", [25]) as { target: number };
      assert.equal(set.target, 25);
      const range = await rejection(dashboard.call("device.t-1.setTarget", [99]));
      assert.equal(range.code, -32603);
      const seen = new Set<string>();
      dashboard.subscribe("fleet.*.telemetry", (data) => seen.add((data as { id: string }).id));
      await until(() => seen.size === 2, 5_000);
      // A device may not call other devices: the hub's rules refuse it.
      assert.equal((await rejection(intruder.call("device.t-1.status"))).code, -32006);
      // A device leaving takes its procedures with it.
      fleet.devices[0]!.close();
      for (let i = 0; i < 200 && (await listDevices(dashboard)).length !== 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(await listDevices(dashboard), ["t-2"]);
    } finally {
      intruder.close();
      dashboard.close();
      await fleet.close();
    }
  });
});

describe("examples: typed contract", () => {
  it("validates with zod and streams progress to a typed client", async () => {
    const server = await startTasks(0, 1);
    try {
      const progress: number[] = [];
      const report = await runTasks(
        `${server.url.replace("http", "ws")}/rpc`,
        ({ done }) => progress.push(done),
      );
      assert.deepEqual(report.added, [
        { id: 1, title: "write the docs", priority: "low" },
        { id: 2, title: "fix the bug", priority: "high" },
      ]);
      assert.deepEqual(progress, [1, 2]);
      assert.deepEqual(report.progress.map((p) => p.id), [1, 2]);
      assert.equal(report.summary, "processed 2 of 2");
      assert.equal(report.invalid.code, -32602);
      const issues = (report.invalid.data as { issues: { path: unknown[] }[] }).issues;
      assert.deepEqual(issues[0]!.path, ["title"]);
    } finally {
      await server.close();
    }
  });
});
