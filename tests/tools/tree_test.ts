/**
 * The tree check (tools/check_tree.ts): the repository has no import cycle or upward import
 * in lib/, no lib/ file over 500 lines, and no `rpc.*` name or close code written outside
 * lib/protocol; and the checker finds each kind in a small tree that has them.
 */
import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { DENO, ROOT } from "../_runtimes.ts";

interface Run {
  readonly code: number;
  readonly stdout: string;
}

function checkTree(root?: string): Promise<Run> {
  const args = ["run", "-A", `${ROOT}tools/check_tree.ts`, ...(root === undefined ? [] : [root])];
  return new Promise((resolve) => {
    execFile(DENO, args, { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout: `${stdout}${stderr}` });
    });
  });
}

describe("tools/check_tree.ts", () => {
  it("finds no violation in the repository", { timeout: 60_000 }, async () => {
    const run = await checkTree();
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /check:tree: clean/);
  });

  it(
    "reports a cycle, an upward import, a long file, both literals and an unmarked types-only example",
    {
      timeout: 60_000,
    },
    async () => {
      const root = mkdtempSync(`${tmpdir()}/check_tree_`);
      try {
        for (const dir of ["peer", "hub", "protocol", "server", "adapters"]) {
          mkdirSync(`${root}/lib/${dir}`, { recursive: true });
        }
        const write = (path: string, text: string): void => writeFileSync(`${root}/${path}`, text);
        write(
          "lib/protocol/names.ts",
          'export const Hello = "rpc.hello";\nexport const C = 4008;\n',
        );
        write("lib/peer/a.ts", 'import type { B } from "./b.ts";\nexport type A = B | 1;\n');
        write("lib/peer/b.ts", 'import type { A } from "./a.ts";\nexport type B = A | 2;\n');
        write("lib/peer/up.ts", 'import { Hub } from "../hub/hub.ts";\nexport const h = Hub;\n');
        write("lib/hub/hub.ts", "export const Hub = 1;\n" + "// filler\n".repeat(500));
        write("lib/adapters/host.ts", "export const host = 1;\n");
        write(
          "lib/server/conn.ts",
          [
            'import { host } from "../adapters/host.ts";',
            'export const m = "rpc.subscribe";',
            "export const SLOW_CLOSE = 4008;",
            "export function shut(ws: { close(c: number): void }): void { ws.close(1011); }",
            "export const size = 4008 + host; // not a close-code slot",
            '// ws.close(4000) and "rpc.ping" in a comment are not code',
          ].join("\n") + "\n",
        );
        const fence = "```";
        write(
          "lib/peer/doc.ts",
          [
            "/**",
            " * @example",
            ` * ${fence}ts`,
            ' * import type { Id } from "./doc.ts";',
            " * const id: Id = 1;",
            ` * ${fence}`,
            " *",
            " * @example Marked (types only)",
            ` * ${fence}ts`,
            ' * import type { Id } from "./doc.ts";',
            ` * ${fence}`,
            " */",
            "export type Id = number;",
          ].join("\n") + "\n",
        );
        const run = await checkTree(root);
        assert.equal(run.code, 1, run.stdout);
        const lines = run.stdout.trim().split("\n");
        const kinds = lines.slice(0, -1).map((l) => l.split(" ").slice(0, 2).join(" "));
        assert.deepEqual(kinds, [
          "cycle lib/peer/a.ts:1",
          "upward lib/peer/up.ts:1",
          "upward lib/server/conn.ts:1",
          "size lib/hub/hub.ts:501",
          "rpc-literal lib/server/conn.ts:2",
          "close-literal lib/server/conn.ts:3",
          "close-literal lib/server/conn.ts:4",
          "doc-types lib/peer/doc.ts:2",
        ]);
        assert.match(
          lines.at(-1)!,
          /8 violations \(cycle 1, upward 2, size 1, rpc-literal 1, close-literal 2, doc-types 1\)/,
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
