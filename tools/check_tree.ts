/**
 * The tree check (`deno task check:tree`, run by tests/tools/tree_test.ts and by `deno task ok`).
 * Reads the module graph of every lib/ file and every entry from `deno info --json` and the
 * source of every lib/ file and entry through the TypeScript parser, and fails (exit 1) on:
 *
 * - **cycle**: an import cycle among lib/ files, type-only imports included (each strongly
 *   connected component is reported once, with the imports that close it);
 * - **upward**: an import that points up the layers. Low to high: protocol (with
 *   lib/version.ts), codec, framing, router, peer, features (pubsub, state, contract),
 *   server and client, cluster, hub. A file may import its own layer and the layers below.
 *   lib/adapters are the hosts: they may import anything up to server/client, and nothing in
 *   lib/ imports them except lib/adapters itself (lib/adapters/detect.ts, which picks the host,
 *   is the one file any layer may load). No lib/ file imports an entry. The entries (mod.ts,
 *   client.ts, server.ts, cloudflare.ts, deploy.ts, and the entries' barrel lib/shared.ts) may
 *   import anything, and so may the CLI (lib/cli/);
 * - **size**: a lib/ file over 500 lines (lib/server/client_bundle_generated.ts, generated, is
 *   exempt);
 * - **rpc-literal**: a string or template literal whose value starts with `rpc.`, or that
 *   quotes a method name inside it (`'{"method":"rpc.ping"}'`, a page's script), in code
 *   (comments and JSDoc examples are not code) of lib/ outside lib/protocol, or of an entry;
 * - **close-literal**: a close-code number literal in that same code: a numeric literal in
 *   1000–1015 or 3000–4999 whose value lands in a close-code slot, that is (looking through
 *   parentheses, `as`/`satisfies`, `?:` branches, `??`/`||`, array literals and `new Set(...)`
 *   / `new Map(...)`): an argument of a call whose callee's name contains "close"
 *   (`ws.close(4008, …)`, `closeAll(1001, …)`, `socketClosed(1006, …)`); the value of a
 *   variable, property, property assignment or assignment whose name contains "close" or
 *   "code" (`const SLOW_CONSUMER_CLOSE = 4008`, `{ code: 1006 }`); or one side of a
 *   comparison whose other side is named so (`info.code === 1006`, `code >= 3000`);
 * - **doc-types**: a JSDoc example in lib/ or an entry that imports only types (so it runs
 *   only its own lines and cannot catch a bug in the module) without `types only` in its
 *   `@example` title (tools/doc_examples.ts).
 *
 * Each violation prints as `kind file:line message`; a summary with the count per kind
 * follows.
 *
 * @example Check the tree from a script
 * ```ts ignore (spawns deno info over the whole tree: tests/tools/tree_test.ts runs it)
 * const { code } = await new Deno.Command("deno", { args: ["task", "check:tree"] }).output();
 * console.log(code === 0 ? "clean" : "violations");
 * ```
 *
 * @module
 */

import ts from "npm:typescript@5.9.3";
import { typeOnlyExamples } from "./doc_examples.ts";

/** The kinds of violation, in the order the summary lists them. */
export const KINDS = [
  "cycle",
  "upward",
  "size",
  "rpc-literal",
  "close-literal",
  "doc-types",
] as const;

/** One kind of violation. */
export type Kind = typeof KINDS[number];

/** One violation: what, where (repo-relative path and 1-based line), and why. */
export interface Violation {
  /** What rule it breaks. */
  readonly kind: Kind;
  /** Repo-relative path. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** What is wrong. */
  readonly message: string;
}

/** The entry modules: they may import anything. */
export const ENTRIES: readonly string[] = [
  "mod.ts",
  "client.ts",
  "server.ts",
  "cloudflare.ts",
  "deploy.ts",
  "lib/shared.ts",
];

/** Folders of lib/ that hold entries (the CLI): they may import anything, like the entries. */
export const ENTRY_DIRS: readonly string[] = ["lib/cli/"];

/** Whether a repo-relative path is an entry. */
function isEntry(path: string): boolean {
  return ENTRIES.includes(path) || ENTRY_DIRS.some((d) => path.startsWith(d));
}

/** Most lines a lib/ file may have. */
export const MAX_LINES = 500;

const GENERATED = new Set(["lib/server/client_bundle_generated.ts"]);

/** Layer rank of each lib/ folder (and root file), low to high. */
const LAYERS: Readonly<Record<string, number>> = {
  "protocol": 0,
  "version.ts": 0,
  "codec": 1,
  "framing": 2,
  "router": 3,
  "peer": 4,
  "pubsub": 5,
  "state": 5,
  "contract": 5,
  "server": 6,
  "client": 6,
  "adapters": 6.5,
  "cluster": 7,
  "hub": 8,
};

const LAYER_NAMES: Readonly<Record<number, string>> = {
  0: "protocol",
  1: "codec",
  2: "framing",
  3: "router",
  4: "peer",
  5: "features",
  6: "server/client",
  6.5: "hosts",
  7: "cluster",
  8: "hub",
};

/**
 * The layer rank of a repo-relative lib/ path, or `undefined` for a path outside lib/ or in
 * a folder the table does not know (reported as an upward violation by the caller).
 *
 * @param path A repo-relative path such as `lib/peer/peer.ts`.
 * @returns Its rank.
 */
export function layerOf(path: string): number | undefined {
  if (!path.startsWith("lib/")) return undefined;
  const top = path.slice(4).split("/")[0]!;
  return LAYERS[top];
}

/** One import edge of the graph, located in its importer. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly line: number;
}

interface InfoDependency {
  readonly specifier: string;
  readonly code?: { readonly specifier?: string; readonly span?: { start: { line: number } } };
  readonly type?: { readonly specifier?: string; readonly span?: { start: { line: number } } };
}

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly InfoDependency[];
}

/**
 * Every import edge between repo files reachable from the given roots, from `deno info --json`
 * (code and type-only imports, static and dynamic).
 */
async function graph(root: string, files: readonly string[], deno: string): Promise<Edge[]> {
  // The graph's root imports every file; it lives outside the tree, so a killed run leaves
  // nothing behind.
  const dir = await Deno.makeTempDir({ prefix: "check_tree_" });
  const rootFile = `${dir}/root.ts`;
  await Deno.writeTextFile(
    rootFile,
    files.map((f) => `import "${new URL(`file://${root}/${f}`).href}";`).join("\n") + "\n",
  );
  const config = await exists(`${root}/deno.json`) ? ["--config", `${root}/deno.json`] : [];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(deno, {
      args: ["info", "--json", ...config, rootFile],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  if (!out.success) {
    throw new Error(`check_tree: deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const prefix = new URL(`file://${root}/`).href;
  const rel = (s: string): string | undefined =>
    s.startsWith(prefix) ? decodeURIComponent(s.slice(prefix.length)) : undefined;
  const edges: Edge[] = [];
  for (const m of info.modules) {
    const from = rel(m.specifier);
    if (from === undefined) continue;
    for (const d of m.dependencies ?? []) {
      const seen = new Set<string>();
      for (const r of [d.code, d.type]) {
        const to = r?.specifier === undefined ? undefined : rel(r.specifier);
        if (to === undefined || seen.has(to)) continue;
        seen.add(to);
        edges.push({ from, to, line: (r?.span?.start.line ?? 0) + 1 });
      }
    }
  }
  return edges;
}

/** Strongly connected components (Tarjan) of size > 1, or with a self-import. */
function cycles(edges: readonly Edge[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (out.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of [...out.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Cycle and layer violations of the lib/ graph. */
export function graphViolations(edges: readonly Edge[]): Violation[] {
  const violations: Violation[] = [];
  const lib = edges.filter((e) => e.from.startsWith("lib/") && e.to.startsWith("lib/"));
  for (const scc of cycles(lib)) {
    const members = new Set(scc);
    const inner = lib.filter((e) => members.has(e.from) && members.has(e.to));
    const first = inner[0]!;
    violations.push({
      kind: "cycle",
      file: first.from,
      line: first.line,
      message: `import cycle among ${scc.join(", ")}: ${
        inner.map((e) => `${e.from}:${e.line} → ${e.to}`).join("; ")
      }`,
    });
  }
  for (const e of edges) {
    if (!e.from.startsWith("lib/") || isEntry(e.from)) continue;
    const why = upward(e.from, e.to);
    if (why !== undefined) {
      violations.push({ kind: "upward", file: e.from, line: e.line, message: why });
    }
  }
  return violations;
}

/** Why an import from a lib/ file is not allowed, or `undefined` when it is. */
function upward(from: string, to: string): string | undefined {
  if (ENTRIES.includes(to)) return `imports the entry ${to}`;
  if (!to.startsWith("lib/")) return undefined;
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === undefined) return `${from} is in no layer (add its folder to tools/check_tree.ts)`;
  if (b === undefined) return `imports ${to}, which is in no layer`;
  const fromHost = from.startsWith("lib/adapters/");
  const toHost = to.startsWith("lib/adapters/");
  if (toHost && !fromHost && to !== "lib/adapters/detect.ts") {
    return `imports the host ${to} (only lib/adapters and the entries may)`;
  }
  if (toHost) return undefined;
  if (b > a) {
    return `imports ${to} (${LAYER_NAMES[b]}) from a lower layer (${LAYER_NAMES[a]})`;
  }
  return undefined;
}

/** Names that mark a close-code slot. */
const SLOT_NAME = /close|code/i;

function nameOf(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
    return node.argumentExpression.text;
  }
  if (ts.isStringLiteral(node)) return node.text;
  return undefined;
}

function isCloseCodeNumber(value: number): boolean {
  return (value >= 1000 && value <= 1015) || (value >= 3000 && value <= 4999);
}

/** Whether a numeric literal sits in a close-code slot (see the module doc). */
function inCloseSlot(literal: ts.Node): boolean {
  let node: ts.Node = literal;
  let parent = node.parent;
  // Walk up through what passes the value along unchanged.
  while (parent !== undefined) {
    if (
      ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) ||
      ts.isSatisfiesExpression(parent) || ts.isArrayLiteralExpression(parent) ||
      ts.isTypeAssertionExpression(parent) ||
      (ts.isConditionalExpression(parent) && parent.condition !== node) ||
      (ts.isBinaryExpression(parent) &&
        (parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
          parent.operatorToken.kind === ts.SyntaxKind.BarBarToken))
    ) {
      node = parent;
      parent = node.parent;
      continue;
    }
    if (
      ts.isNewExpression(parent) && parent.arguments?.includes(node as ts.Expression) &&
      /^(Set|Map)$/.test(nameOf(parent.expression) ?? "")
    ) {
      node = parent;
      parent = node.parent;
      continue;
    }
    break;
  }
  if (parent === undefined) return false;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    return (parent.arguments?.includes(node as ts.Expression) ?? false) &&
      /close/i.test(nameOf(parent.expression) ?? "");
  }
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) ||
      ts.isPropertyAssignment(parent) || ts.isEnumMember(parent) ||
      ts.isParameter(parent) || ts.isBindingElement(parent)) &&
    parent.initializer === node
  ) {
    return SLOT_NAME.test(nameOf(parent.name) ?? "");
  }
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    const other = parent.left === node ? parent.right : parent.left;
    const comparison = op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken ||
      op === ts.SyntaxKind.LessThanToken || op === ts.SyntaxKind.LessThanEqualsToken ||
      op === ts.SyntaxKind.GreaterThanToken || op === ts.SyntaxKind.GreaterThanEqualsToken;
    const assignment = op === ts.SyntaxKind.EqualsToken && parent.right === node;
    if (comparison || assignment) return SLOT_NAME.test(nameOf(other) ?? "");
  }
  if (ts.isCaseClause(parent) && parent.expression === node) {
    const sw = parent.parent.parent;
    return ts.isSwitchStatement(sw) && SLOT_NAME.test(nameOf(sw.expression) ?? "");
  }
  return false;
}

/** A method name quoted inside a longer string (a JSON frame, a page's script). */
const EMBEDDED_RPC = /["'`](rpc\.[A-Za-z][\w.]*)/g;

/**
 * The literal violations of one file's source: `rpc.` strings and close-code numbers.
 *
 * @param file Repo-relative path (for the report).
 * @param source The file's text.
 * @returns Its violations.
 * @example
 * ```ts
 * import { literalViolations } from "./check_tree.ts";
 * const found = literalViolations("lib/x.ts", 'ws.close(4008, "slow"); const m = "rpc.hello";');
 * if (found.length !== 2) throw new Error("expected both literals");
 * ```
 */
export function literalViolations(file: string, source: string): Violation[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: Violation[] = [];
  const lineOf = (node: ts.Node): number =>
    sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    const text = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)
      ? node.text
      : undefined;
    const names: [string, number][] = [];
    if (text !== undefined) {
      if (text.startsWith("rpc.") && !ts.isTemplateMiddle(node) && !ts.isTemplateTail(node)) {
        names.push([text, 0]);
      } else {
        for (const m of text.matchAll(EMBEDDED_RPC)) {
          names.push([m[1]!, text.slice(0, m.index).split("\n").length - 1]);
        }
      }
    }
    if (names.length > 0) {
      for (const [name, offset] of names) {
        const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
        violations.push({
          kind: "rpc-literal",
          file,
          line: lineOf(node) + offset,
          message: `"${shown}" (name it in lib/protocol)`,
        });
      }
    } else if (ts.isNumericLiteral(node)) {
      const value = Number(node.text);
      if (isCloseCodeNumber(value) && inCloseSlot(node)) {
        violations.push({
          kind: "close-literal",
          file,
          line: lineOf(node),
          message: `close code ${value} (name it in lib/protocol)`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return violations;
}

/** Every .ts file under a folder, repo-relative, sorted. */
async function walk(root: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${root}/${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await walk(root, path));
    else if (entry.isFile && path.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Check the tree rooted at `root`.
 *
 * @param root Absolute path of the repository.
 * @param deno The deno executable to run `deno info` with.
 * @returns Every violation, sorted by kind then file and line.
 */
export async function checkTree(root: string, deno: string): Promise<Violation[]> {
  const libFiles = await walk(root, "lib");
  const entries: string[] = [];
  for (const f of ENTRIES) {
    if (!f.startsWith("lib/") && await exists(`${root}/${f}`)) entries.push(f);
  }
  const violations = graphViolations(await graph(root, [...entries, ...libFiles], deno));
  for (const file of [...entries, ...libFiles]) {
    const source = await Deno.readTextFile(`${root}/${file}`);
    if (file.startsWith("lib/") && !GENERATED.has(file)) {
      const lines = source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
      if (lines > MAX_LINES) {
        violations.push({
          kind: "size",
          file,
          line: lines,
          message: `${lines} lines (most: ${MAX_LINES})`,
        });
      }
    }
    if (GENERATED.has(file)) continue;
    for (const line of typeOnlyExamples(source)) {
      violations.push({
        kind: "doc-types",
        file,
        line,
        message: "this example imports only types: run the module, or title it `(types only)`",
      });
    }
    if (file.startsWith("lib/protocol/")) continue;
    violations.push(...literalViolations(file, source));
  }
  return violations.sort((a, b) =>
    KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || a.file.localeCompare(b.file) ||
    a.line - b.line
  );
}

if (import.meta.main) {
  // The repository to check: the first argument, or the one this file is in.
  const root = Deno.args[0] ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const deno = Deno.execPath();
  const violations = await checkTree(root, deno);
  for (const v of violations) console.log(`${v.kind} ${v.file}:${v.line} ${v.message}`);
  const counts = KINDS.map((k) => `${k} ${violations.filter((v) => v.kind === k).length}`);
  console.log(
    violations.length === 0
      ? "check:tree: clean"
      : `check:tree: ${violations.length} violations (${counts.join(", ")})`,
  );
  if (violations.length > 0) Deno.exit(1);
}
