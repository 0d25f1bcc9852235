/**
 * A WebSocket client written by hand on a node:net socket, for tests that need what a browser
 * WebSocket cannot do: stop reading. `socket.pause()` stops reading the TCP socket on Deno,
 * Bun and Node (the runtime stops polling the descriptor), so once the client's kernel
 * receive buffer and the server's kernel send buffer are full (a few MiB on loopback), every
 * further frame the server sends stays in the server's own send buffer: exactly what a
 * client that stopped reading does to a server. A browser-style WebSocket would keep reading
 * into its own memory whatever the application does.
 *
 * @module
 */

import net from "node:net";

/** A masked client text frame. */
export function clientTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const n = payload.length;
  const header = n < 126 ? [0x81, 0x80 | n] : n < 65536 ? [0x81, 0x80 | 126, n >> 8, n & 0xff] : [
    0x81,
    0x80 | 127,
    0,
    0,
    0,
    0,
    (n >>> 24) & 0xff,
    (n >> 16) & 0xff,
    (n >> 8) & 0xff,
    n & 0xff,
  ];
  const mask = [0x11, 0x22, 0x33, 0x44];
  const frame = new Uint8Array(header.length + 4 + n);
  frame.set(header, 0);
  frame.set(mask, header.length);
  const at = header.length + 4;
  for (let i = 0; i < n; i++) frame[at + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** A server frame read from the byte stream. */
export interface ServerFrame {
  /** 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  readonly opcode: number;
  /** The payload. */
  readonly payload: Uint8Array;
}

/** A hand-made WebSocket client. */
export interface TcpClient {
  /** The TCP socket. */
  readonly socket: net.Socket;
  /** Frames parsed so far (only while reading). */
  readonly frames: ServerFrame[];
  /** Whether the TCP connection ended. */
  readonly ended: () => boolean;
  /** Send raw bytes. */
  write(bytes: Uint8Array): void;
}

/**
 * Connect, do the WebSocket handshake by hand and start parsing server frames.
 *
 * @param port The server's port on 127.0.0.1.
 * @param path The WebSocket path.
 * @returns The client, reading.
 */
export async function connectTcp(port: number, path = "/rpc"): Promise<TcpClient> {
  const socket = net.connect(port, "127.0.0.1");
  const frames: ServerFrame[] = [];
  let ended = false;
  let buffer: Uint8Array = new Uint8Array(0);
  let upgraded = false;
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const timer = setTimeout(() => reject(new Error("no 101 within 5 s")), 5000);
  // A reset (the server closed with requests of ours still unread) ends the connection.
  socket.on("error", (error) => {
    ended = true;
    reject(error);
  });
  socket.on("end", () => void (ended = true));
  socket.on("close", () => void (ended = true));
  socket.on("data", (chunk: Uint8Array) => {
    const next = new Uint8Array(buffer.length + chunk.length);
    next.set(buffer, 0);
    next.set(chunk, buffer.length);
    buffer = next;
    if (!upgraded) {
      const text = new TextDecoder().decode(buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      if (!text.startsWith("HTTP/1.1 101")) {
        reject(new Error(`upgrade refused: ${text.slice(0, 80)}`));
        return;
      }
      upgraded = true;
      buffer = buffer.subarray(end + 4);
      clearTimeout(timer);
      resolve();
    }
    buffer = parseFrames(buffer, frames);
  });
  await new Promise<void>((done, fail) => {
    socket.once("connect", () => done());
    socket.once("error", fail);
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  );
  await promise;
  return {
    socket,
    frames,
    ended: () => ended,
    write: (bytes) => void socket.write(bytes),
  };
}

/** Parse complete frames off the front of `buffer`; returns the rest. */
function parseFrames(buffer: Uint8Array, out: ServerFrame[]): Uint8Array {
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const opcode = buffer[at]! & 0x0f;
    let length = buffer[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = (buffer[at + 2]! << 8) | buffer[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      const view = new DataView(buffer.buffer, buffer.byteOffset + at + 2, 8);
      length = Number(view.getBigUint64(0));
      header = 10;
    }
    if (buffer.length - at < header + length) break;
    out.push({ opcode, payload: buffer.slice(at + header, at + header + length) });
    at += header + length;
  }
  return buffer.subarray(at);
}

/**
 * The close code of a close frame's payload.
 *
 * @param frame A close frame.
 * @returns The code, or 1005 when the frame carries none.
 */
export function closeCodeOf(frame: ServerFrame): number {
  return frame.payload.length >= 2 ? (frame.payload[0]! << 8) | frame.payload[1]! : 1005;
}
