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
    const files = readdirSync(dir).filter((name) => name.endsWith("_test.ts"));
    assert.ok(files.length > 40, `found only ${files.length} test files in ${dir}`);
    const offenders = files.filter((name) => {
      const text = readFileSync(`${dir}/${name}`, "utf8");
      return DIRECT.test(text) || !/from "\.\/_deadline\.ts"/.test(text);
    });
    assert.deepEqual(offenders, []);
  });
});
