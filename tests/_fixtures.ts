/**
 * Test fixtures: real servers on 127.0.0.1 port 0, real clients, on whichever runtime runs
 * the test (Deno or Bun).
 *
 * @module
 */

import { serve, type ServeOptions, type Switchboard } from "../server.ts";
import { type Client, type ClientOptions, connect, type RpcError } from "../mod.ts";
import { within } from "./_deadline.ts";

/** A server listening on a random loopback port. */
export interface TestServer {
  /** `ws://127.0.0.1:PORT/rpc` */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT/rpc` */
  readonly httpUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Stop it (closes every connection). */
  close(): Promise<void>;
}

/**
 * Serve a Switchboard on 127.0.0.1, port 0, path `/rpc`.
 *
 * @param switchboard The server under test.
 * @param options Extra serve options (an app, another path).
 * @returns Its URLs and a close function.
 */
export async function startServer(
  switchboard: Switchboard,
  options: ServeOptions = {},
): Promise<TestServer> {
  const path = options.path ?? "/rpc";
  const server = await serve(switchboard, { ...options, hostname: "127.0.0.1", port: 0, path });
  return {
    origin: server.url,
    httpUrl: `${server.url}${path}`,
    wsUrl: `${server.url.replace("http:", "ws:")}${path}`,
    close: () => server.close(),
  };
}

/**
 * Connect a client and wait until its socket is open (at most 3 s). Its calls time out after
 * {@linkcode CALL_TIMEOUT_MS} unless `options.timeout` says otherwise.
 *
 * @param url The WebSocket URL.
 * @param options Client options.
 * @returns The open client.
 */
export async function openClient(url: string, options?: ClientOptions): Promise<Client> {
  // A short call timeout: a call that should have been answered fails the test in seconds.
  const client = connect(url, { timeout: CALL_TIMEOUT_MS, ...options });
  await within(client.ready, "the client's open");
  return client;
}

/** The call timeout of test clients (the default is 30 s). */
export const CALL_TIMEOUT_MS = 5000;

/**
 * POST a JSON-RPC body.
 *
 * @param url The HTTP URL.
 * @param body A string (sent as is) or a value (JSON-encoded).
 * @returns The response.
 */
export function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * Open a raw WebSocket (no Switchboard code) and collect the text frames it receives.
 *
 * @param url The WebSocket URL.
 * @param headers Extra request headers (Deno's and Bun's WebSocket take a `headers` option).
 * @returns The socket, the frames received so far, and a function that waits for the next.
 */
export async function openRaw(url: string, headers?: Record<string, string>): Promise<RawSocket> {
  const socket = headers === undefined
    ? new WebSocket(url)
    // Not in the DOM typings: both runtimes' own option.
    : new WebSocket(url, { headers } as unknown as string[]);
  socket.binaryType = "arraybuffer";
  const frames: unknown[] = [];
  const waiters: ((frame: unknown) => void)[] = [];
  const closed = new Promise<CloseEvent>((resolve) => {
    socket.addEventListener("close", (event) => resolve(event as CloseEvent));
  });
  socket.addEventListener("message", (event) => {
    const waiter = waiters.shift();
    if (waiter) waiter(event.data);
    else frames.push(event.data);
  });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve());
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)));
    }),
    `the open of ${url}`,
  );
  const raw: RawSocket = {
    socket,
    closed,
    next(timeoutMs = 2000): Promise<unknown> {
      if (frames.length > 0) return Promise.resolve(frames.shift());
      return new Promise((resolve, reject) => {
        const waiter = (frame: unknown) => {
          clearTimeout(timer);
          resolve(frame);
        };
        const timer = setTimeout(() => {
          // A frame arriving later is kept for the next reader, not given to this one.
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error("no frame within timeout"));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async exchange(frame: string): Promise<unknown> {
      socket.send(frame);
      const reply = await raw.next();
      return JSON.parse(reply as string);
    },
  };
  return raw;
}

/** A raw WebSocket with a frame inbox. */
export interface RawSocket {
  /** The socket. */
  readonly socket: WebSocket;
  /** Resolves with the close event. */
  readonly closed: Promise<CloseEvent>;
  /** The next frame received (waits up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<unknown>;
  /** Send a text frame and parse the next frame received. */
  exchange(frame: string): Promise<unknown>;
}

/**
 * Resolve after `ms` milliseconds.
 *
 * @param ms Milliseconds.
 * @returns A promise.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The error a promise rejects with; fails the test if it resolves instead, or if it is still
 * pending after `timeoutMs` (a regression fails in seconds, not after a 30 s call timeout).
 *
 * @param promise A promise expected to reject.
 * @param timeoutMs How long at most. Default 3,000.
 * @returns Its rejection reason, typed as an RpcError for convenience.
 */
export function rejection(promise: Promise<unknown>, timeoutMs = 3000): Promise<RpcError> {
  return within(
    promise.then(
      (value) => {
        throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
      },
      (error: unknown) => error as RpcError,
    ),
    "the expected rejection",
    timeoutMs,
  );
}

/**
 * Wait until a condition holds, polling every 5 ms; fail the test after `timeoutMs`.
 *
 * @param condition What to wait for.
 * @param timeoutMs How long at most. Default 2,000.
 */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(5);
  }
}
