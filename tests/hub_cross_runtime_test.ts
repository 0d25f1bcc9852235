/**
 * Two clients on different runtimes (Deno and Bun) call each other's procedures through a
 * hub. The test's runtime hosts the hub and one client; the other runtime runs
 * tests/_hub_peer.ts as a child process.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { offer } from "../lib/hub/offer.ts";
import { openClient } from "./_fixtures.ts";
import { startHub } from "./_hub.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const here = isDeno ? "deno" : "bun";
const other = isDeno ? "bun" : "deno";

describe("hub across runtimes", () => {
  it(`a ${here} client and a ${other} client call each other through the hub`, async () => {
    const hub = await startHub();
    const client = await openClient(hub.wsUrl);
    const binary = `node_modules/.bin/${other}`;
    const args = other === "deno"
      ? ["run", "-A", "tests/_hub_peer.ts", hub.wsUrl, here]
      : ["tests/_hub_peer.ts", hub.wsUrl, here];
    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await offer(client, `${here}.greet`, (params) => ({ runtime: here, echo: params }));
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        const timer = setTimeout(
          () => reject(new Error(`no answer from ${other}: ${out} ${err}`)),
          20_000,
        );
        child.stderr!.on("data", (chunk: Uint8Array) => err += new TextDecoder().decode(chunk));
        child.stdout!.on("data", (chunk: Uint8Array) => {
          out += new TextDecoder().decode(chunk);
          const nl = out.indexOf("\n");
          if (nl >= 0) {
            clearTimeout(timer);
            resolve(out.slice(0, nl));
          }
        });
        child.on("exit", (code) => reject(new Error(`${other} exited with ${code}: ${err}`)));
      });
      const report = JSON.parse(line);
      assert.equal(report.runtime, other);
      assert.deepEqual(report.answer, { runtime: here, echo: { from: other } });
      const reply = await client.call(`${other}.greet`, { from: here });
      assert.deepEqual(reply, { runtime: other, echo: { from: here } });
    } finally {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
      client.close();
      await hub.close();
    }
  });
});
