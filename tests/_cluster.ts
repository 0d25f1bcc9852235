/**
 * Cluster fixtures: hubs as separate processes (`server.ts --port 0 --backplane URL`) on the
 * runtime running the test, and small waiting helpers.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "./_runtimes.ts";

/** A hub process. */
export interface HubProcess {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `ws://127.0.0.1:PORT/rpc` */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT/rpc` */
  readonly httpUrl: string;
  /** Kill it at once (SIGKILL): a crash. */
  kill(): Promise<void>;
  /** Stop it gracefully (SIGTERM). */
  stop(): Promise<void>;
}

let configs = 0;

/**
 * Whether an engine binary is installed: the cluster tests skip without it, except under
 * CI=true, where they fail.
 *
 * @param name `redis-server` or `nats-server`.
 * @returns True when installed.
 */
export function hasEngine(name: "redis-server" | "nats-server"): boolean {
  if (["/usr/bin", "/usr/sbin", "/usr/local/bin"].some((d) => existsSync(`${d}/${name}`))) {
    return true;
  }
  if (process.env.CI === "true") throw new Error(`${name} is not installed (npm run test:setup)`);
  return false;
}

/**
 * Write a hub config file for the cluster tests.
 *
 * @param content The config.
 * @returns Its path.
 */
export async function hubConfig(content: Record<string, unknown>): Promise<string> {
  const path = join(tmpdir(), `sb-cluster-${process.pid}-${++configs}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

/**
 * Start `server.ts` in a child process joined to a cluster.
 *
 * @param backplane The engine URL.
 * @param config A config file path.
 * @param env Extra environment.
 * @returns The running hub.
 */
export function startHubProcess(
  backplane: string,
  config: string,
  env: Record<string, string> = {},
): Promise<HubProcess> {
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const script = `${ROOT}server.ts`;
  const flags = ["--port", "0", "--backplane", backplane, "--config", config];
  const args = isDeno ? ["run", "-A", script, ...flags] : [script, ...flags];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const end = async (signal: "SIGKILL" | "SIGTERM"): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the hub printed no URL within 20 s: ${out}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited with ${code}: ${out}`));
    });
    const onData = (chunk: Uint8Array): void => {
      out += new TextDecoder().decode(chunk);
      const match = out.match(/(http:\/\/127\.0\.0\.1:\d+)\/rpc/);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stderr!.off("data", onData);
      child.stdout!.resume();
      child.stderr!.resume();
      const origin = match[1]!;
      resolve({
        origin,
        wsUrl: `${origin.replace("http:", "ws:")}/rpc`,
        httpUrl: `${origin}/rpc`,
        kill: () => end("SIGKILL"),
        stop: () => end("SIGTERM"),
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  });
}

/**
 * Poll until a condition holds, or fail after a deadline.
 *
 * @param what What is awaited (for the error).
 * @param check The condition.
 * @param ms The deadline.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A hub's `/health` answer.
 *
 * @param hub The hub.
 * @returns The JSON.
 */
export async function health(
  hub: HubProcess,
): Promise<{ ok: boolean; cluster?: { degraded: boolean; backplane?: { state: string } } }> {
  const res = await fetch(`${hub.origin}/health`);
  return await res.json();
}
