/**
 * The suite's own contract: every test file declares its tests through tests/_deadline.ts, so
 * every test has a timeout and none can hang the run; test files live in folders that mirror
 * lib/ (tests/peer/, tests/pubsub/, …), and tests/ itself holds only the shared helpers
 * (tests/_*.ts) and this guard.
 */
import { describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

const dir = decodeURIComponent(new URL(".", import.meta.url).pathname).replace(/\/$/, "");
// Built from parts so that this file does not match itself.
const DIRECT = new RegExp(`from "node:${"test"}"`);
// A test file imports _deadline.ts, a shared suite (_x_suite.ts) or a conformance suite
// (x_conformance.ts) from tests/ or its own folder.
const DECLARES =
  /from "(\.\/|\.\.\/)(_deadline\.ts|_[a-z_]+_suite\.ts|([a-z_]+\/)?[a-z_]+_conformance\.ts)"/;

/** Every .ts file under tests/, relative to it (`peer/peer_test.ts`). */
function walk(sub = ""): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(`${dir}/${sub}`, { withFileTypes: true })) {
    const path = `${sub}${entry.name}`;
    if (entry.isDirectory()) found.push(...walk(`${path}/`));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

describe("the test suite", () => {
  it("declares every test through tests/_deadline.ts (a timeout each), never node:test directly", () => {
    const files = walk().filter((name) => name !== "_deadline.ts");
    assert.ok(files.length > 40, `found only ${files.length} test files in ${dir}`);
    const offenders = files.filter((name) => {
      const text = readFileSync(`${dir}/${name}`, "utf8");
      if (DIRECT.test(text)) return true;
      // A test file declares tests through _deadline.ts, or runs a shared suite module that does.
      return name.endsWith("_test.ts") && !DECLARES.test(text);
    });
    assert.deepEqual(offenders, []);
  });

  it("keeps test files in folders that mirror lib/; tests/ holds only helpers and this guard", () => {
    const atRoot = walk().filter((name) =>
      !name.includes("/") && !name.startsWith("_") && name !== "suite_guard_test.ts"
    );
    assert.deepEqual(atRoot, [], "move these into tests/<lib folder>/ (git mv)");
    const nested = walk().filter((name) => name.split("/").length > 2);
    assert.deepEqual(nested, [], "one folder level under tests/");
  });
});
