/**
 * Raw HTTP/1.1 over TCP (node:net): requests with headers fetch() will not send (`Host`),
 * read until the response head (and, when asked, some of the body). Every wait has a deadline.
 *
 * @module
 */

import { connect } from "node:net";

/** A response head and whatever body bytes arrived with it. */
export interface RawResponse {
  /** The status code. */
  readonly status: number;
  /** The head's text (status line and headers). */
  readonly head: string;
  /** Body text received so far. */
  readonly body: string;
}

/**
 * Send one request and read the response head (plus `bodyBytes` of body, if they come).
 *
 * @param port The server's port on 127.0.0.1.
 * @param request The request: a start line, headers and an optional body, sent as given.
 * @param bodyBytes Body bytes to wait for after the head. Default 0.
 * @param timeoutMs Deadline. Default 3,000.
 * @returns The response.
 */
export function rawRequest(
  port: number,
  request: string | Uint8Array[],
  bodyBytes = 0,
  timeoutMs = 3000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response head within ${timeoutMs} ms: ${JSON.stringify(text)}`));
    }, timeoutMs);
    const finish = (): boolean => {
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return false;
      const body = text.slice(end + 4);
      if (body.length < bodyBytes && !socket.readableEnded) return false;
      clearTimeout(timer);
      socket.destroy();
      const head = text.slice(0, end);
      resolve({ status: Number(head.split(" ")[1]), head, body });
      return true;
    };
    socket.on("data", (chunk: Uint8Array) => {
      text += new TextDecoder().decode(chunk);
      finish();
    });
    socket.on("end", () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`connection ended before a response: ${JSON.stringify(text)}`));
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () => {
      if (typeof request === "string") socket.write(request);
      else for (const part of request) socket.write(part);
    });
  });
}

/**
 * A WebSocket upgrade request with the given Host and extra headers.
 *
 * @param path The path.
 * @param host The `Host` header.
 * @param headers More headers (`origin`, …).
 * @returns The request text.
 */
export function upgradeRequest(
  path: string,
  host: string,
  headers: Record<string, string> = {},
): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/**
 * A JSON POST request with the given Host and body.
 *
 * @param path The path.
 * @param host The `Host` header.
 * @param body The JSON text.
 * @param headers More headers.
 * @returns The request text.
 */
export function postRequest(
  path: string,
  host: string,
  body: string,
  headers: Record<string, string> = {},
): string {
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Content-Type: application/json",
    `Content-Length: ${new TextEncoder().encode(body).byteLength}`,
    "Connection: close",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
