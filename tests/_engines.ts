/**
 * Real Redis and NATS servers for the tests: `redis-server` and `nats-server -js` started on
 * a free port on 127.0.0.1 with their data in a temporary directory, stopped and restarted
 * on the same port with the same data. Readiness races a deadline. A missing binary skips
 * the tests that need it, except under CI=true where starting it fails.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** A running engine. */
export interface Engine {
  /** `redis://127.0.0.1:PORT` or `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Stop it and remove its data directory (idempotent). */
  stop(): Promise<void>;
  /** Stop it and start it again on the same port with the same data directory. */
  restart(downMs?: number): Promise<void>;
  /** Stop the process only (the port goes dark; the data stays): an engine outage. */
  down(): Promise<void>;
  /** Start it again after {@linkcode Engine.down}, on the same port with the same data. */
  up(): Promise<void>;
}

/** Options of {@linkcode startRedis}. */
export interface RedisEngineOptions {
  /** Keep data across {@linkcode Engine.restart} in an append-only file. Default true. */
  readonly persist?: boolean;
}

/** How long an engine may take to accept connections. */
const READY_MS = 10_000;
/** How long it may take to exit after SIGTERM before SIGKILL. */
const STOP_MS = 5_000;

const SEARCH = [
  ...(process.env.PATH ?? "").split(":").filter((p) => p !== ""),
  "/usr/bin",
  "/usr/sbin",
];
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Where a binary is, from PATH then /usr/bin and /usr/sbin.
 *
 * @param name The binary's name.
 * @returns Its path, or undefined.
 */
export function findBinary(name: string): string | undefined {
  for (const dir of SEARCH) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Why an engine's tests cannot run here (its binary is missing), for `describe`'s `skip`.
 * Under CI=true a missing binary throws instead: the tests fail, never skip.
 *
 * @param binary `redis-server` or `nats-server`.
 * @returns The reason to skip, or undefined when it is installed.
 */
export function engineMissing(binary: "redis-server" | "nats-server"): string | undefined {
  if (findBinary(binary) !== undefined) return undefined;
  const reason = `no ${binary} on PATH, in /usr/bin or /usr/sbin (run .ci/system_deps)`;
  if (process.env.CI === "true") throw new Error(`cannot run under CI: ${reason}`);
  return reason;
}

/**
 * Start `redis-server` on 127.0.0.1 on a free port.
 *
 * @param options Persistence across restarts.
 * @returns The running engine.
 */
export function startRedis(options: RedisEngineOptions = {}): Promise<Engine> {
  const persist = options.persist ?? true;
  return start("redis-server", "redis", (port, dir) => [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    persist ? "yes" : "no",
    "--protected-mode",
    "no",
  ]);
}

/**
 * Start `nats-server` with JetStream on 127.0.0.1 on a free port.
 *
 * @returns The running engine.
 */
export function startNats(): Promise<Engine> {
  return start("nats-server", "nats", (port, dir) => [
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    "-js",
    "-sd",
    dir,
  ]);
}

async function start(
  binary: string,
  scheme: string,
  args: (port: number, dir: string) => string[],
): Promise<Engine> {
  const path = findBinary(binary);
  if (path === undefined) {
    throw new Error(`Switchboard tests: ${binary} is not installed (run .ci/system_deps)`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `switchboard-${scheme}-`));
  let child: ChildProcess | undefined = await launch(path, args(port, dir), port);
  let stopped = false;
  const halt = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current !== undefined) await kill(current);
  };
  const up = async (): Promise<void> => {
    if (stopped) throw new Error(`Switchboard tests: ${binary} was stopped for good`);
    if (child === undefined) child = await launch(path, args(port, dir), port);
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0): Promise<void> {
      await halt();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await up();
    },
    down: halt,
    up,
  };
}

async function launch(path: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + READY_MS;
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(child);
      throw new Error(`Switchboard tests: ${path} exited at start:\n${output}`);
    }
    if (await accepts(port)) return child;
    if (Date.now() > deadline) {
      await kill(child);
      throw new Error(`Switchboard tests: ${path} not ready in ${READY_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function kill(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:port and speaks first or answers. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.once("connect", () => socket.write("PING\r\n"));
    // Redis answers +PONG; NATS sends INFO first. Either proves the server reads and writes.
    socket.once("data", () => done(true));
    socket.once("error", () => done(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
