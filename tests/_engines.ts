/**
 * Real engines for tests: `redis-server` and `nats-server -js` on free 127.0.0.1 ports, each
 * in a temporary directory. Under CI=true a missing binary fails the test.
 *
 * (Stand-in of the h16a branch's helper: same exports.)
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running engine. */
export interface Engine {
  /** `redis://127.0.0.1:PORT` or `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Stop it and delete its files. */
  stop(): Promise<void>;
  /**
   * Stop it and start it again on the same port with the same data.
   *
   * @param downMs How long it stays down (default 0).
   */
  restart(downMs?: number): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function find(name: string): string {
  for (const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin"]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} is not installed (run npm run test:setup)`);
}

function waitPort(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`engine exited with ${child.exitCode}`));
        return;
      }
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`engine on ${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

async function start(
  binary: string,
  scheme: string,
  args: (port: number, dir: string) => string[],
): Promise<Engine> {
  const path = find(binary);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `sb-${binary}-`));
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(path, args(port, dir), { stdio: "ignore" });
    await waitPort(port, child);
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (downMs = 0) => {
      await kill();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await launch();
    },
  };
}

/**
 * Start redis-server (append-only file on, so a restart keeps the data).
 *
 * @returns The engine.
 */
export function startRedis(): Promise<Engine> {
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
    "yes",
    "--appendfsync",
    "always",
  ]);
}

/**
 * Start nats-server with JetStream (file storage in a temporary directory).
 *
 * @returns The engine.
 */
export function startNats(): Promise<Engine> {
  return start("nats-server", "nats", (port, dir) => [
    "-js",
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    "-sd",
    dir,
  ]);
}
