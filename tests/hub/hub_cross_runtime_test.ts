/**
 * Two clients on different runtimes (Deno and Bun) call each other's procedures and exchange
 * events through a hub. The test's runtime hosts the hub and one client; the other runtime
 * runs tests/_hub_peer.ts as a child process.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { EventParams } from "../../mod.ts";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, until } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const here = isDeno ? "deno" : "bun";
const other = isDeno ? "bun" : "deno";

describe("hub across runtimes", () => {
  it(`a ${here} client and a ${other} client call and publish to each other through the hub`, async () => {
    const hub = await startHub();
    const client = await openClient(hub.wsUrl);
    const events: EventParams[] = [];
    await client.subscribe(`xrt.${other}.*`, (_data, event) => events.push(event)).ready;
    const binary = `node_modules/.bin/${other}`;
    const args = other === "deno"
      ? ["run", "-A", "tests/_hub_peer.ts", hub.wsUrl, here]
      : ["tests/_hub_peer.ts", hub.wsUrl, here];
    const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let out = "";
    let err = "";
    child.stderr!.on("data", (chunk: Uint8Array) => err += new TextDecoder().decode(chunk));
    child.stdout!.on("data", (chunk: Uint8Array) => out += new TextDecoder().decode(chunk));
    let exit: number | null | undefined;
    exited.then((code) => exit = code);
    /** The n-th line the child printed (waits up to 20 s, fails if it exits first). */
    async function line(n: number): Promise<Record<string, unknown>> {
      const complete = (): string[] => out.split("\n").slice(0, -1);
      await until(() => complete().length > n || exit !== undefined, 20_000).catch(() => {
        throw new Error(`no line ${n} from ${other}: ${out} ${err}`);
      });
      const text = complete()[n];
      if (text === undefined) throw new Error(`${other} exited with ${exit}: ${out} ${err}`);
      return JSON.parse(text);
    }
    try {
      await offer(client, `${here}.greet`, (params) => ({ runtime: here, echo: params }));
      const report = await line(0);
      assert.equal(report.runtime, other);
      assert.deepEqual(report.answer, { runtime: here, echo: { from: other } });
      const reply = await client.call(`${other}.greet`, { from: here });
      assert.deepEqual(reply, { runtime: other, echo: { from: here } });
      // Events both ways: the child published after its first line; we publish now.
      await until(() => events.length === 1, 20_000);
      assert.deepEqual(events, [
        { topic: `xrt.${other}.hello`, seq: 1, data: { from: other } },
      ]);
      assert.equal(await client.publish(`xrt.${here}.hello`, { from: here }), 1);
      assert.deepEqual(await line(1), {
        runtime: other,
        event: { topic: `xrt.${here}.hello`, seq: 1, data: { from: here } },
      });
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
