/**
 * Every TypeScript block in README.md and docs/*.md type-checks: each block fenced as ts is written to
 * a scratch module next to the repository's root (relative imports such as `./server.ts` keep
 * pointing at the real files) and `deno check` runs over all of them at once. A block that
 * cannot be checked on its own (a URL import of a running server, say) is fenced with the
 * info string "ts no-check" (or "ts ignore") and says why.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../_runtimes.ts";
import { updateFigures } from "../../tools/doc_figures.ts";

/** One fenced TypeScript block of a Markdown file. */
interface Block {
  readonly doc: string;
  readonly line: number;
  readonly code: string;
}

const FENCE = /^```(?:ts|typescript)([^\n]*)\n([\s\S]*?)^```$/gm;

async function blocks(): Promise<Block[]> {
  const docs = [
    "README.md",
    ...(await readdir(join(ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
  ];
  const found: Block[] = [];
  for (const doc of docs) {
    const text = await readFile(join(ROOT, doc), "utf8");
    for (const match of text.matchAll(FENCE)) {
      if (/\b(no-check|ignore)\b/.test(match[1]!)) continue;
      const line = text.slice(0, match.index).split("\n").length + 1;
      found.push({ doc, line, code: match[2]! });
    }
  }
  return found;
}

function check(files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      DENO,
      ["check", "--quiet", ...files],
      { cwd: ROOT, timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}

describe("docs", () => {
  // deno check over every block takes ~15 s alone, more on a loaded machine.
  it(
    "every TypeScript block in README.md and docs/*.md type-checks",
    { timeout: 90_000 },
    async () => {
      const found = await blocks();
      assert.ok(found.length >= 10, `only ${found.length} blocks found`);
      const dir = join(ROOT, ".doc_check");
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      try {
        const files: string[] = [];
        const where = new Map<string, string>();
        for (const [i, block] of found.entries()) {
          const name = `${block.doc.replace(/[/.]/g, "_")}_${block.line}_${i}.ts`;
          // The scratch folder is one level below the root: `./x` in a doc means `../x` here.
          const code = block.code.replace(/(from\s+|import\s*\(\s*)"\.\//g, '$1"../');
          await writeFile(join(dir, name), `${code}\nexport {};\n`);
          files.push(join(".doc_check", name));
          where.set(name, `${block.doc}:${block.line}`);
        }
        const { code, output } = await check(files);
        let explained = output;
        for (const [name, place] of where) {
          explained = explained.replaceAll(name, `${name} (${place})`);
        }
        assert.equal(code, 0, `deno check failed on docs blocks:\n${explained}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("every computed figure in the docs is current (deno task docs:figures)", async () => {
    assert.deepEqual(await updateFigures(true), []);
  });
});
