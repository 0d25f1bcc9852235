/**
 * A terminal chat client for Deno and Bun: joins the room of examples/chat/server.ts, prints
 * what happens, and sends each line typed (`/w name text` whispers). Ends at end of input.
 *
 * Run (with the server running): `deno run -A examples/chat/client.ts ada` or
 * `bun examples/chat/client.ts bob`; a second argument sets the server URL (default
 * ws://127.0.0.1:8000/rpc).
 *
 * @module
 */

import { createInterface } from "node:readline";
import process from "node:process";
import { type Client, connect } from "../../mod.ts";

/** A joined chat client. */
export interface ChatClient {
  /** The underlying Switchboard client. */
  readonly client: Client;
  /** Say something to the room, or whisper with `/w name text`. */
  send(line: string): Promise<void>;
  /** Leave. */
  close(): void;
}

/**
 * Join the chat.
 *
 * @param url The server's WebSocket URL.
 * @param name Your name.
 * @param print Receives each line to show.
 * @returns The joined client.
 */
export async function joinChat(
  url: string,
  name: string,
  print: (line: string) => void,
): Promise<ChatClient> {
  const client = connect(url);
  // Per-client events: heard without subscribing.
  client.onEvent("chat.welcome", (data) => {
    const { members } = data as { members: string[] };
    print(`* welcome ${name}; here: ${members.join(", ")}`);
  });
  client.onEvent("chat.whisper", (data) => {
    const { from, text } = data as { from: string; text: string };
    print(`* ${from} whispers: ${text}`);
  });
  // The broadcast room.
  await client.subscribe("chat.room", (data) => {
    const { from, text } = data as { from?: string; text: string };
    print(from === undefined ? `* ${text}` : `${from}: ${text}`);
  }).ready;
  await client.call("chat.join", [name]);
  return {
    client,
    send: async (line) => {
      const whisper = /^\/w (\S+) (.+)$/.exec(line);
      if (whisper) await client.call("chat.whisper", [whisper[1]!, whisper[2]!]);
      else if (line.trim() !== "") await client.call("chat.say", [line]);
    },
    close: () => client.close(),
  };
}

if (import.meta.main) {
  const [name = "guest", url = "ws://127.0.0.1:8000/rpc"] = process.argv.slice(2);
  const chat = await joinChat(url, name, (line) => console.log(line));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    try {
      await chat.send(line);
    } catch (error) {
      console.log(`! ${(error as Error).message}`);
    }
  }
  // End of input: give the last events a moment to arrive, then leave.
  await new Promise((resolve) => setTimeout(resolve, 200));
  chat.close();
}
