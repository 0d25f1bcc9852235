/**
 * The `Host` and `Origin` checks that close the DNS rebinding hole: a web page whose name
 * resolves to 127.0.0.1 reaches a local server with `Host: evil.example` and `Origin:
 * http://evil.example`; a server that trusts either, or compares one with the other, serves it.
 * The guard compares both with what the server itself is: the address it is bound to and
 * the public names it is configured with (`allowedHosts`), never with the request's own Host.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { ErrorCode } from "../protocol/errors.ts";

/**
 * Options of a {@linkcode HostGuard}.
 *
 * @example Types only
 * ```ts
 * import type { HostGuardOptions } from "./host_guard.ts";
 * const options: HostGuardOptions = {
 *   allowedHosts: ["rpc.example.com", ".example.org"],
 *   origins: ["https://app.example.com"],
 * };
 * if (options.allowedHosts?.length !== 2) throw new Error("unreachable");
 * ```
 */
export interface HostGuardOptions {
  /**
   * `Host` values served besides the server's own address: a name (`rpc.example.com`, any
   * port), a name with a port (`rpc.example.com:8443`), or a suffix (`.example.com`: the name
   * and its subdomains). `"*"` turns the Host check off (behind a proxy that checks it).
   * Default none.
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /**
   * Browser origins allowed besides the server's own hosts (`https://app.example.com`);
   * `"*"` allows any. Default none. Requests without an `Origin` header (not from a browser)
   * are not affected.
   */
  readonly origins?: readonly string[] | undefined;
}

/** A `Host` value split into a lower-case name (IPv6 in brackets) and an optional port. */
interface HostValue {
  readonly name: string;
  readonly port: number | undefined;
}

const LOOPBACK_NAMES: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_ADDRESSES: readonly string[] = ["0.0.0.0", "[::]", ""];

/**
 * Checks `Host` and `Origin` against the server's own address and its configured names.
 *
 * Which hosts are the server's own: bound to a loopback address, `127.0.0.1`, `localhost`
 * and `[::1]`; bound to an interface's address, that address (and the loopback names); bound
 * to every interface (`0.0.0.0`, `::`), the loopback names and any IP literal (a DNS rebinding
 * attack needs a name). Each with the bound port or none. Not
 * bound yet (a sub-app mounted by hand), the loopback names on any port. `allowedHosts` adds
 * names. An `Origin` passes when it is listed in `origins`, or names a loopback name, the
 * bound address or an `allowedHosts` name, on any port (a page from a local dev server on
 * another port): a rebound page's origin carries the attacker's name, never one of these.
 *
 * @example A loopback server refuses a rebound name
 * ```ts
 * import { HostGuard } from "./host_guard.ts";
 * const guard = new HostGuard({ allowedHosts: ["rpc.example.com"] });
 * guard.bind("127.0.0.1", 8000);
 * if (!guard.hostAllowed("127.0.0.1:8000") || !guard.hostAllowed("localhost:8000")) {
 *   throw new Error("unreachable");
 * }
 * if (guard.hostAllowed("evil.example:8000") || guard.hostAllowed("localhost:9999")) {
 *   throw new Error("unreachable");
 * }
 * if (!guard.hostAllowed("rpc.example.com") || guard.originAllowed("http://evil.example:8000")) {
 *   throw new Error("unreachable");
 * }
 * ```
 */
export class HostGuard {
  readonly #extra: readonly HostValue[];
  readonly #anyHost: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #anyOrigin: boolean;
  #bound: HostValue | undefined;

  /** @param options Extra hosts and origins. */
  constructor(options: HostGuardOptions = {}) {
    const hosts = options.allowedHosts ?? [];
    const origins = options.origins ?? [];
    const extra: HostValue[] = [];
    for (const host of hosts) {
      if (host === "*") continue;
      const value = parseHost(host.toLowerCase());
      if (value === undefined) {
        throw new TypeError(`Switchboard: allowedHosts holds an invalid host: ${host}`);
      }
      extra.push(value);
    }
    this.#anyHost = hosts.includes("*");
    this.#extra = extra;
    this.#anyOrigin = origins.includes("*");
    this.#origins = new Set(origins);
  }

  /**
   * Tell the guard where the server listens (after it started).
   *
   * @param hostname The bound interface, as given to the runtime.
   * @param port The bound port.
   */
  bind(hostname: string, port: number): void {
    const name = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
    this.#bound = { name: name.toLowerCase(), port };
  }

  /**
   * Whether a `Host` header names this server.
   *
   * @param host The header's value.
   * @returns True when allowed.
   */
  hostAllowed(host: string | undefined | null): boolean {
    return this.#anyHost || this.#own(host, false);
  }

  /**
   * Whether a host is one of the server's own or configured names (ignoring `"*"`). For a
   * `Host` header the port must be the bound one; for an origin (a page the browser loaded
   * from one of these names, perhaps a dev server on another port) any port will do, and an
   * IP literal must be the bound address or listed.
   */
  #own(host: string | undefined | null, origin: boolean): boolean {
    const value = host === undefined || host === null ? undefined : parseHost(host.toLowerCase());
    if (value === undefined) return false;
    for (const extra of this.#extra) {
      const nameMatches = extra.name.startsWith(".")
        ? value.name === extra.name.slice(1) || value.name.endsWith(extra.name)
        : value.name === extra.name;
      if (nameMatches && (extra.port === undefined || extra.port === value.port)) return true;
    }
    const bound = this.#bound;
    if (LOOPBACK_NAMES.includes(value.name) && (origin || bound === undefined)) return true;
    if (bound === undefined) return false;
    if (origin) return value.name === bound.name;
    // No port: the default one, or a client that leaves it out; either way our own name.
    if (value.port !== undefined && value.port !== bound.port) return false;
    if (value.name === bound.name || LOOPBACK_NAMES.includes(value.name)) return true;
    return WILDCARD_ADDRESSES.includes(bound.name) && isIpLiteral(value.name);
  }

  /**
   * Whether a browser `Origin` may talk to this server: listed, or one of its own hosts.
   * Never derived from the request's `Host`.
   *
   * @param origin The header's value.
   * @returns True when allowed.
   */
  originAllowed(origin: string): boolean {
    if (this.#anyOrigin || this.#origins.has(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" and other opaque origins: only when listed.
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return this.#own(url.host, true);
  }

  /**
   * Hono middleware: 403 with a JSON-RPC error body (-32006 `Host not allowed` or `Origin not
   * allowed`) for a request that fails either check; otherwise the next handler.
   *
   * @example Guard a mounted endpoint
   * ```ts
   * import { Hono } from "hono";
   * import { HostGuard } from "./host_guard.ts";
   * const app = new Hono();
   * app.use("/rpc/*", new HostGuard({ allowedHosts: ["rpc.example.com"] }).middleware);
   * app.get("/rpc/x", (c) => c.text("ok"));
   * const ok = await app.request("http://rpc.example.com/rpc/x");
   * const bad = await app.request("http://evil.example/rpc/x");
   * if (ok.status !== 200 || bad.status !== 403) throw new Error("unreachable");
   * ```
   */
  readonly middleware: MiddlewareHandler = async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!this.hostAllowed(host)) return refuse("Host not allowed");
    const origin = c.req.header("origin");
    if (origin !== undefined && !this.originAllowed(origin)) return refuse("Origin not allowed");
    await next();
    return undefined;
  };
}

function refuse(message: string): Response {
  return Response.json(
    { jsonrpc: "2.0", id: null, error: { code: ErrorCode.Forbidden, message } },
    { status: 403 },
  );
}

/** Split `name[:port]` / `[v6][:port]`; undefined when it is not a valid host. */
function parseHost(host: string): HostValue | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(host);
  if (match === null) return undefined;
  const name = match[1]!.replace(/\.$/, "");
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65_535) return undefined;
  return { name, port };
}

function isIpLiteral(name: string): boolean {
  return name.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}
