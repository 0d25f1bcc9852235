/**
 * The client as one ESM file, served at `GET <path>/client.js` the way socket.io serves its
 * client, with its type declarations at `GET <path>/client.d.ts`. Both are prebuilt by
 * `deno task build:client` (tools/build_client.ts) into `client_bundle_generated.ts`: nothing
 * is computed from file URLs or built at load or request time, so every host (Deno, Bun,
 * Node, Cloudflare Workers) serves the same bytes. Each answer has a strong ETag (304 on
 * `If-None-Match`) and `Access-Control-Allow-Origin: *` so pages on any origin can import it;
 * `client.js` names its declarations in an `X-TypeScript-Types` header, which Deno follows.
 *
 * @module
 */

import type { Hono } from "hono";
import { CLIENT_DTS, CLIENT_DTS_ETAG, CLIENT_ETAG, CLIENT_JS } from "./client_bundle_generated.ts";

/**
 * The files served next to an endpoint.
 *
 * @example Types only
 * ```ts
 * import type { ClientFile } from "./client_bundle.ts";
 * const file: ClientFile = "client.d.ts";
 * if (!file.endsWith(".ts")) throw new Error("unreachable");
 * ```
 */
export type ClientFile = "client.js" | "client.d.ts";

/** Each file's body, ETag and content type. */
const FILES: Readonly<Record<ClientFile, readonly [body: string, etag: string, type: string]>> = {
  "client.js": [CLIENT_JS, CLIENT_ETAG, "text/javascript; charset=utf-8"],
  "client.d.ts": [CLIENT_DTS, CLIENT_DTS_ETAG, "application/typescript; charset=utf-8"],
};

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
 * Answer a `GET …/client.js` or `GET …/client.d.ts` request.
 *
 * @param request The request (its `If-None-Match` is honoured).
 * @param file Which file. Default `client.js`.
 * @returns 200 with the file, or 304 when the caller's copy is current.
 * @example
 * ```ts
 * import { serveClientBundle } from "./client_bundle.ts";
 * const res = serveClientBundle(new Request("http://x/rpc/client.js"));
 * if (res.status !== 200 || res.headers.get("x-typescript-types") !== "./client.d.ts") {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export function serveClientBundle(request: Request, file: ClientFile = "client.js"): Response {
  const [body, etag, type] = FILES[file];
  const headers: Record<string, string> = {
    "etag": etag,
    "cache-control": "no-cache",
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "ETag, X-TypeScript-Types",
    "content-type": type,
  };
  // Relative to the module's own URL, so it holds behind any proxy or mount path.
  if (file === "client.js") headers["x-typescript-types"] = "./client.d.ts";
  if (etagMatches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
}

/**
 * Add `GET <path>/client.js` and `GET <path>/client.d.ts` to a Hono app.
 *
 * @param app The app.
 * @param path The endpoint's path (`""` for the app's root, `/rpc` for `/rpc/client.js`).
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { addClientRoutes } from "./client_bundle.ts";
 * const app = new Hono();
 * addClientRoutes(app, "/rpc");
 * const res = await app.request("/rpc/client.d.ts");
 * if (res.status !== 200) throw new Error("unreachable");
 * ```
 */
export function addClientRoutes(app: Hono, path: string): void {
  const base = path.endsWith("/") ? path.slice(0, -1) : path;
  for (const file of Object.keys(FILES) as ClientFile[]) {
    app.get(`${base}/${file}`, (c) => serveClientBundle(c.req.raw, file));
  }
}
