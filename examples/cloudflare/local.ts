/**
 * Run the example Worker locally in workerd through Miniflare (the `miniflare` devDependency;
 * offline): bundle worker.ts with esbuild, then serve it on 127.0.0.1 with the Durable Object
 * bound as in wrangler.jsonc. Used by `npm run edge:dev` (dev.ts), the workerd tests and
 * bench/workerd.ts.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The compatibility date of wrangler.jsonc. */
const COMPATIBILITY_DATE = "2026-07-01";

/**
 * Where and how to run the example.
 *
 * @example
 * ```ts
 * import type { LocalOptions } from "./local.ts";
 * const options: LocalOptions = { port: 0, persist: false };
 * if (options.port !== 0) throw new Error("unreachable");
 * ```
 */
export interface LocalOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /**
   * Where Durable Object storage is kept: a directory (kept across runs and restarts), or
   * `false` for memory only. Default `false`.
   */
  readonly persist?: string | false;
  /** Another Worker entry to bundle instead of worker.ts (benchmarks). */
  readonly entry?: URL;
  /** The Durable Object class names of the entry, by binding. Default the example's. */
  readonly objects?: Readonly<Record<string, string>>;
}

/**
 * The running example.
 *
 * @example
 * ```ts
 * import type { LocalWorker } from "./local.ts";
 * function wsOf(worker: LocalWorker): string {
 *   return worker.wsUrl;
 * }
 * if (typeof wsOf !== "function") throw new Error("unreachable");
 * ```
 */
export interface LocalWorker {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `ws://127.0.0.1:PORT/rpc` */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT/rpc` */
  readonly httpUrl: string;
  /** Stop workerd. */
  close(): Promise<void>;
}

const bundles = new Map<string, Promise<string>>();

/**
 * Bundle a Worker entry (default examples/cloudflare/worker.ts) into one ES module for
 * workerd, built once per process and entry.
 *
 * @param entry The entry file's URL.
 * @returns The module source.
 * @example
 * ```ts ignore
 * import { bundleWorker } from "./local.ts";
 * const code = await bundleWorker();
 * ```
 */
export function bundleWorker(
  entry: URL = new URL("./worker.ts", import.meta.url),
): Promise<string> {
  const cached = bundles.get(entry.href);
  if (cached !== undefined) return cached;
  const bundled = (async () => {
    const esbuild = await import("esbuild");
    try {
      const result = await esbuild.build({
        entryPoints: [fileURLToPath(entry.href)],
        bundle: true,
        format: "esm",
        platform: "browser",
        conditions: ["workerd", "worker", "browser"],
        target: "es2022",
        write: false,
        logLevel: "silent",
      });
      const file = result.outputFiles[0];
      if (file === undefined) throw new Error("esbuild produced no output");
      return file.text;
    } finally {
      await esbuild.stop();
    }
  })();
  bundles.set(entry.href, bundled);
  return bundled;
}

/**
 * Start the example in workerd.
 *
 * @param options Port, storage, script.
 * @returns Its URLs and a close function.
 * @example
 * ```ts ignore
 * import { startLocal } from "./local.ts";
 * const worker = await startLocal({ port: 0 });
 * await worker.close();
 * ```
 */
export async function startLocal(options: LocalOptions = {}): Promise<LocalWorker> {
  const { Miniflare } = await import("miniflare");
  const script = await bundleWorker(options.entry);
  const objects = options.objects ?? { SWITCHBOARD: "SwitchboardHub" };
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: Object.fromEntries(
      Object.entries(objects).map(([binding, className]) => [
        binding,
        { className, useSQLite: true },
      ]),
    ),
    durableObjectsPersist: options.persist ?? false,
    host: "127.0.0.1",
    port: options.port ?? 8787,
  });
  const url = await mf.ready;
  const origin = url.origin;
  return {
    origin,
    wsUrl: `${origin.replace("http:", "ws:")}/rpc`,
    httpUrl: `${origin}/rpc`,
    close: () => mf.dispose(),
  };
}
