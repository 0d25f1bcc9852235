/**
 * The client as one ESM file, served at `GET <path>/client.js` the way socket.io serves its
 * client: `mod.ts` with its dependencies (superjson) inlined by esbuild, built on first
 * request, cached in memory, with a strong ETag (304 on `If-None-Match`) and
 * `Access-Control-Allow-Origin: *` so pages on any origin can import it.
 *
 * esbuild's JS API works under Deno and Bun alike (it drives its own binary), so this file
 * is not runtime-specific; it needs the source files on disk (a `file:` module URL).
 *
 * @module
 */

/**
 * The built client.
 *
 * @example
 * ```ts
 * import type { ClientBundle } from "./client_bundle.ts";
 * const bundle: ClientBundle = { code: "export {}", etag: '"abc"' };
 * if (!bundle.etag.startsWith('"')) throw new Error("unreachable");
 * ```
 */
export interface ClientBundle {
  /** The ESM source. */
  readonly code: string;
  /** Its strong ETag, quoted. */
  readonly etag: string;
}

/**
 * Bundle an entry file into one ESM source.
 *
 * @example
 * ```ts
 * import type { Bundler } from "./client_bundle.ts";
 * const fake: Bundler = () => Promise.resolve("export const connect = 1;");
 * if (typeof fake !== "function") throw new Error("unreachable");
 * ```
 */
export type Bundler = (entry: URL) => Promise<string>;

/** The client entry point, next to this file's package root. */
const ENTRY: URL = new URL("../../mod.ts", import.meta.url);

const cache = new WeakMap<Bundler, Promise<ClientBundle>>();

/**
 * Bundle with esbuild: ESM, browser-neutral, ES2022, minified, every import inlined.
 *
 * @param entry A `file:` URL.
 * @returns The bundled source.
 * @throws {Error} when the entry is not on disk or esbuild is not installed.
 * @example
 * ```ts ignore
 * import { esbuildBundler } from "./client_bundle.ts";
 * const code = await esbuildBundler(new URL("../../mod.ts", import.meta.url));
 * ```
 */
export async function esbuildBundler(entry: URL): Promise<string> {
  if (entry.protocol !== "file:") {
    throw new Error(`Switchboard: cannot bundle ${entry.href}: the sources are not on disk`);
  }
  const { fileURLToPath } = await import("node:url");
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(entry.href)],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const file = result.outputFiles[0];
    if (file === undefined) throw new Error("Switchboard: esbuild produced no output");
    return file.text;
  } finally {
    // Stop esbuild's child process so it does not keep the runtime alive.
    await esbuild.stop();
  }
}

/**
 * The client bundle, built once per process and bundler (a failed build is retried on the
 * next call).
 *
 * @param bundler How to build it. Default {@linkcode esbuildBundler}.
 * @returns The bundle.
 * @example
 * ```ts ignore
 * import { clientBundle } from "./client_bundle.ts";
 * const { code, etag } = await clientBundle();
 * ```
 */
export function clientBundle(bundler: Bundler = esbuildBundler): Promise<ClientBundle> {
  const cached = cache.get(bundler);
  if (cached !== undefined) return cached;
  const building = build(bundler);
  cache.set(bundler, building);
  building.catch(() => {
    if (cache.get(bundler) === building) cache.delete(bundler);
  });
  return building;
}

async function build(bundler: Bundler): Promise<ClientBundle> {
  const code = await bundler(ENTRY);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  const hex = [...new Uint8Array(digest).slice(0, 12)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return { code, etag: `"${hex}"` };
}

/**
 * Whether an `If-None-Match` header matches an ETag (weak comparison, `*` included).
 *
 * @param header The header's value, if any.
 * @param etag The current ETag.
 * @returns True when the client's copy is current.
 * @example
 * ```ts
 * import { etagMatches } from "./client_bundle.ts";
 * if (!etagMatches('W/"a", "b"', '"b"') || etagMatches('"a"', '"b"')) throw new Error("unreachable");
 * ```
 */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (header === null || header === undefined) return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/**
 * Answer a `GET …/client.js` request.
 *
 * @param request The request (its `If-None-Match` is honoured).
 * @param bundler How to build the bundle. Default {@linkcode esbuildBundler}.
 * @returns 200 with the bundle, 304 when current, 501 when it cannot be built.
 * @example
 * ```ts
 * import { serveClientBundle } from "./client_bundle.ts";
 * const res = await serveClientBundle(new Request("http://x/rpc/client.js"));
 * if (res.status !== 200 || res.headers.get("access-control-allow-origin") !== "*") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export async function serveClientBundle(
  request: Request,
  bundler?: Bundler,
): Promise<Response> {
  let bundle: ClientBundle;
  try {
    bundle = await clientBundle(bundler);
  } catch (error) {
    return new Response(`Client bundle unavailable: ${(error as Error).message}`, {
      status: 501,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const headers = {
    "etag": bundle.etag,
    "cache-control": "no-cache",
    "access-control-allow-origin": "*",
    "content-type": "text/javascript; charset=utf-8",
  };
  if (etagMatches(request.headers.get("if-none-match"), bundle.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(bundle.code, { status: 200, headers });
}
