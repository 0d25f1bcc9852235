/**
 * The typed client of examples/contract/server.ts: `remote<Api["server"]>(client)` gives
 * every procedure its types (a typo or a wrong argument does not compile), a streamed
 * procedure is iterated with `for await`, and invalid input comes back as `-32602` with zod's
 * issues.
 *
 * Run (with the server running): `deno run -A examples/contract/client.ts [url]` or
 * `bun examples/contract/client.ts`; default URL ws://127.0.0.1:8000/rpc.
 *
 * @module
 */

import process from "node:process";
import { connect, remote, RpcError } from "../../mod.ts";
import type { Api, Progress } from "./api.ts";

/** What one run of the client saw. */
export interface TasksReport {
  /** The tasks added. */
  readonly added: { id: number; title: string; priority: "low" | "high" }[];
  /** The progress reports, in order. */
  readonly progress: Progress[];
  /** The stream's final result. */
  readonly summary: string;
  /** The error of an invalid call: code and zod's issues. */
  readonly invalid: { code: number; data: unknown };
}

/**
 * Add tasks, process them with a streamed result, and try an invalid input.
 *
 * @param url The server's WebSocket URL.
 * @param onProgress Receives each progress report as it arrives.
 * @returns What happened.
 */
export async function runTasks(
  url: string,
  onProgress: (progress: Progress) => void = () => {},
): Promise<TasksReport> {
  const client = connect(url, { reconnect: false });
  const api = remote<Api["server"]>(client);
  try {
    const added = [
      await api.tasks.add({ title: "write the docs" }),
      await api.tasks.add({ title: "fix the bug", priority: "high" }),
    ];
    const progress: Progress[] = [];
    const stream = api.tasks.process({ limit: 10 });
    for await (const step of stream) {
      progress.push(step);
      onProgress(step);
    }
    const summary = await stream.result;
    let invalid = { code: 0, data: undefined as unknown };
    try {
      // The types allow it (a string), the schema does not (min length 1).
      await api.tasks.add({ title: "" });
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      invalid = { code: error.code, data: error.data };
    }
    return { added, progress, summary, invalid };
  } finally {
    client.close();
  }
}

if (import.meta.main) {
  const report = await runTasks(
    process.argv[2] ?? "ws://127.0.0.1:8000/rpc",
    ({ done, of }) => console.log(`progress ${done}/${of}`),
  );
  console.log(report.summary);
  console.log("invalid input:", JSON.stringify(report.invalid));
}
