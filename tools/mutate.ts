/**
 * Mutation testing by hand-picked one-line bugs: each mutant of tools/mutants.json is applied
 * to lib/ in a scratch copy of the repository (a temporary directory; the worktree is never
 * touched), the test files that must catch it run with a timeout, and the outcome is printed:
 *
 * - `caught`: the tests failed on their own;
 * - `TIMEOUT`: the tests were still running at the timeout (a test that hangs instead of
 *   failing: a defect of the suite, counted as not caught);
 * - `SURVIVED`: the tests passed with the bug in.
 *
 * Usage: `deno task mutate [--only id,id] [--layer name] [--runtime deno|bun] [--timeout s]`.
 * Exits non-zero unless every mutant is caught. Run it before resolving an issue that
 * touches lib/. A baseline run of the same files, unmutated, comes first: a failing baseline
 * makes every "caught" meaningless, so the run stops there.
 *
 * @module
 */

/** One mutation (see tools/mutants.json). */
export interface Mutant {
  /** A short name. */
  readonly id: string;
  /** The layer of lib/ it breaks (protocol, codec, framing, router, peer, pubsub, …). */
  readonly layer: string;
  /** The file, from the repository root. */
  readonly file: string;
  /** The text to replace: it must occur exactly once in the file. */
  readonly find: string;
  /** Its replacement. */
  readonly replace: string;
  /** The test files that must catch it. */
  readonly tests: readonly string[];
  /** The runtime to run them on (default: `--runtime`, else deno). */
  readonly runtime?: "deno" | "bun";
  /** What the bug would do to users. */
  readonly why: string;
}

/** The outcome of one mutant. */
export type Outcome = "caught" | "SURVIVED" | "TIMEOUT" | "INVALID";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Not copied: history, dependencies (linked instead), bench output. */
const SKIP = new Set([".git", "node_modules", "bench/results"]);

function parseArgs(args: readonly string[]): {
  only: Set<string> | undefined;
  layer: string | undefined;
  runtime: "deno" | "bun" | undefined;
  timeout: number;
} {
  const value = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at === -1 ? undefined : args[at + 1];
  };
  const runtime = value("--runtime");
  if (runtime !== undefined && runtime !== "deno" && runtime !== "bun") {
    throw new TypeError(`mutate: --runtime must be deno or bun: got ${runtime}`);
  }
  const only = value("--only");
  return {
    only: only === undefined ? undefined : new Set(only.split(",")),
    layer: value("--layer"),
    runtime,
    timeout: Number(value("--timeout") ?? 120),
  };
}

async function copyTree(from: string, to: string, relative = ""): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (SKIP.has(path)) continue;
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`, path);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** Run test files in the scratch copy; "timeout" when they outlive `seconds`. */
async function runTests(
  dir: string,
  runtime: "deno" | "bun",
  files: readonly string[],
  seconds: number,
): Promise<{ result: "pass" | "fail" | "timeout"; output: string; ms: number }> {
  const bin = `${ROOT}/node_modules/.bin/${runtime}`;
  // --no-check: a mutant is judged by behaviour, not by a type error it may cause.
  const args = runtime === "deno" ? ["test", "-A", "--no-check", ...files] : ["test", ...files];
  // setsid: the tests run in their own process group, so a timeout kills their children too.
  const child = new Deno.Command("setsid", {
    args: [bin, ...args],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const started = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, seconds * 1000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const ms = performance.now() - started;
  return { result: timedOut ? "timeout" : code === 0 ? "pass" : "fail", output, ms };
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).map((line) => `    | ${line}`).join("\n");
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const list = JSON.parse(await Deno.readTextFile(`${ROOT}/tools/mutants.json`)) as {
    mutants: Mutant[];
  };
  const mutants = list.mutants.filter((m) =>
    (options.only === undefined || options.only.has(m.id)) &&
    (options.layer === undefined || m.layer === options.layer)
  );
  const runtimeOf = (m: Mutant) => m.runtime ?? options.runtime ?? "deno";
  const scratch = await Deno.makeTempDir({ prefix: "switchboard-mutate-" });
  try {
    await copyTree(ROOT, scratch);
    await Deno.symlink(`${ROOT}/node_modules`, `${scratch}/node_modules`);
    console.log(`mutate: ${mutants.length} mutants, scratch copy ${scratch}`);

    for (const runtime of ["deno", "bun"] as const) {
      const files = [
        ...new Set(mutants.filter((m) => runtimeOf(m) === runtime).flatMap((m) => m.tests)),
      ];
      if (files.length === 0) continue;
      const base = await runTests(scratch, runtime, files, options.timeout * 2);
      console.log(
        `baseline ${runtime} (${files.length} files): ${base.result} in ${
          (base.ms / 1000).toFixed(1)
        } s`,
      );
      if (base.result !== "pass") {
        console.log(tail(base.output, 40));
        console.log("mutate: the baseline must pass before mutants mean anything");
        return 2;
      }
    }

    const outcomes: [Mutant, Outcome, number][] = [];
    for (const mutant of mutants) {
      const path = `${scratch}/${mutant.file}`;
      let original: string;
      try {
        original = await Deno.readTextFile(path);
      } catch {
        outcomes.push([mutant, "INVALID", 0]);
        console.log(`INVALID   ${mutant.id}: no file ${mutant.file}`);
        continue;
      }
      const count = original.split(mutant.find).length - 1;
      if (count !== 1) {
        outcomes.push([mutant, "INVALID", 0]);
        console.log(
          `INVALID   ${mutant.id}: "${mutant.find}" occurs ${count} times in ${mutant.file}`,
        );
        continue;
      }
      await Deno.writeTextFile(path, original.replace(mutant.find, () => mutant.replace));
      let run;
      try {
        run = await runTests(scratch, runtimeOf(mutant), mutant.tests, options.timeout);
      } finally {
        await Deno.writeTextFile(path, original);
      }
      const outcome: Outcome = run.result === "fail"
        ? "caught"
        : run.result === "timeout"
        ? "TIMEOUT"
        : "SURVIVED";
      outcomes.push([mutant, outcome, run.ms]);
      console.log(
        `${outcome.padEnd(9)} ${mutant.id} [${mutant.layer}, ${runtimeOf(mutant)}] ${
          (run.ms / 1000).toFixed(1)
        } s`,
      );
      if (outcome !== "caught") console.log(`    ${mutant.why}\n${tail(run.output, 12)}`);
    }

    const count = (o: Outcome) => outcomes.filter(([, outcome]) => outcome === o).length;
    const caught = count("caught");
    console.log(
      `\nscore: ${caught}/${outcomes.length} caught; ${count("SURVIVED")} survived; ` +
        `${count("TIMEOUT")} caught only by the timeout (${options.timeout} s); ${
          count("INVALID")
        } invalid`,
    );
    const layers = [...new Set(outcomes.map(([m]) => m.layer))].sort();
    console.log(`layers: ${layers.join(", ")}`);
    return caught === outcomes.length ? 0 : 1;
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
