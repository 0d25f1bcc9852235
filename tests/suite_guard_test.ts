/**
 * The suite's own contract: every test file declares its tests through tests/_deadline.ts, so
 * every test has a timeout and none can hang the run.
 */
import { describe, it } from "./_deadline.ts";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

const dir = decodeURIComponent(new URL(".", import.meta.url).pathname);
// Built from parts so that this file does not match itself.
const DIRECT = new RegExp(`from "node:${"test"}"`);

describe("the test suite", () => {
  it("declares every test through tests/_deadline.ts (a timeout each), never node:test directly", () => {
    const files = readdirSync(dir).filter((name) =>
      name.endsWith(".ts") && name !== "_deadline.ts"
    );
    assert.ok(files.length > 40, `found only ${files.length} test files in ${dir}`);
    const offenders = files.filter((name) => {
      const text = readFileSync(`${dir}/${name}`, "utf8");
      if (DIRECT.test(text)) return true;
      // A test file declares tests through _deadline.ts, or runs a shared suite module that does.
      return name.endsWith("_test.ts") &&
        !/from "\.\/(_deadline\.ts|_[a-z_]+_suite\.ts|[a-z_]+_conformance\.ts)"/.test(text);
    });
    assert.deepEqual(offenders, []);
  });
});
