/**
 * What the examples share: serve a Switchboard at `/rpc` next to static pages read from the
 * example's folder, on PORT (default 8000) or a given port.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { type RunningServer, serve, type Switchboard } from "../server.ts";

/**
 * Serve `sb` at `/rpc` (its client at `/rpc/client.js`) and each page at its route.
 *
 * @param sb The Switchboard.
 * @param pages Routes to files (`{ "/": new URL("./index.html", import.meta.url) }`).
 * @param port The port; 0 picks one. Default: PORT, else 8000.
 * @returns The running server.
 */
export async function serveWithPages(
  sb: Switchboard,
  pages: Readonly<Record<string, URL>>,
  port?: number,
): Promise<RunningServer> {
  const app = new Hono();
  for (const [route, file] of Object.entries(pages)) {
    const html = await readFile(fileURLToPath(file.href), "utf8");
    app.get(route, (c) => c.html(html));
  }
  return await serve(sb, { app, port: port ?? envPort() });
}

/**
 * The PORT environment variable, else 8000.
 *
 * @returns The port.
 */
export function envPort(): number {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
    ?.env;
  return Number(env?.PORT ?? 8000);
}
