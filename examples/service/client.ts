/**
 * The client of examples/service/server.ts: it registers the procedures the server's session
 * calls back (`ui.name`, `ui.confirm`), then edits and saves a document.
 *
 * Run (with the server running): `deno run -A examples/service/client.ts [name] [url]` or
 * `bun examples/service/client.ts`; default URL ws://127.0.0.1:8000/rpc.
 *
 * @module
 */

import process from "node:process";
import { connect } from "../../mod.ts";

/**
 * Edit a document in one session: insert two chunks, then save (the server asks to confirm).
 *
 * @param url The server's WebSocket URL.
 * @param name The author's name.
 * @param confirm Answers the server's confirmation question.
 * @returns The document's text and whether it was saved.
 */
export async function editOnce(
  url: string,
  name: string,
  confirm: (question: string) => boolean = () => true,
): Promise<{ text: string; saved: boolean; ready: unknown }> {
  const client = connect(url, { reconnect: false });
  // Registered before the socket opens: the session's init calls ui.name at once.
  client.register("ui.name", () => name);
  client.register("ui.confirm", ([question]: string[]) => confirm(question!));
  const ready = new Promise((resolve) => client.onEvent("editor.ready", resolve));
  try {
    await client.call("editor.insert", ["Hello, "]);
    await client.call("editor.insert", [`${name}!`]);
    const text = await client.call("editor.text") as string;
    const saved = await client.call("editor.save") as boolean;
    return { text, saved, ready: await ready };
  } finally {
    client.close();
  }
}

if (import.meta.main) {
  const [name = "ada", url = "ws://127.0.0.1:8000/rpc"] = process.argv.slice(2);
  const result = await editOnce(url, name, (question) => {
    console.log(`server asks: ${question} → yes`);
    return true;
  });
  console.log(result);
}
