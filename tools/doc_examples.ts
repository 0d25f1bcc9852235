/**
 * The doc-example rule of the tree check: a JSDoc example that imports nothing but types runs
 * only its own lines, so it cannot catch a bug in the module it documents. Such an example must
 * say so in its title, `@example Types only` or `@example <what it shows> (types only)`, so a
 * reader knows what its passing proves (the types check), and a writer who meant to exercise
 * the module sees the rule fire instead of a test that cannot fail.
 *
 * Examples fenced as `ts ignore` are not run and are not counted.
 *
 * @example Find an unmarked example
 * ```ts
 * import { typeOnlyExamples } from "./doc_examples.ts";
 * const fence = "`".repeat(3);
 * const source = [
 *   "/" + "**",
 *   " * @example",
 *   ` * ${fence}ts`,
 *   ' * import type { Id } from "./types.ts";',
 *   " * const id: Id = 1;",
 *   ` * ${fence}`,
 *   " *" + "/",
 *   "export type Id = number;",
 * ].join("\n");
 * const found = typeOnlyExamples(source);
 * if (found.length !== 1 || found[0] !== 2) throw new Error("unreachable");
 * ```
 *
 * @module
 */

/** What an example's title must contain when it imports only types. */
export const TYPES_ONLY_MARK = /\btypes only\b/i;

const FENCE = /^\s*\*?\s*```(\S*)(.*)$/;
const IMPORT = /^\s*\*?\s*import\s+(type\s)?/;
const EXAMPLE = /^\s*\*?\s*@example\b(.*)$/;

/**
 * The 1-based lines of the `@example` tags whose example imports only types and whose title
 * does not say `types only`.
 *
 * @param source A TypeScript module's text.
 * @returns The lines of the offending `@example` tags (of the fence when the block has no tag).
 */
export function typeOnlyExamples(source: string): number[] {
  const lines = source.split("\n");
  const found: number[] = [];
  let inDoc = false;
  let title: { line: number; text: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inDoc) {
      if (line.includes("/**")) inDoc = true, title = undefined;
      if (!inDoc || line.includes("*/")) {
        inDoc = false;
        continue;
      }
    }
    if (line.includes("*/")) {
      inDoc = false;
      continue;
    }
    const tag = EXAMPLE.exec(line);
    if (tag !== null) {
      title = { line: i + 1, text: tag[1]!.trim() };
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence === null || !/^(ts|tsx|typescript)$/.test(fence[1]!)) continue;
    const ignored = /\bignore\b/.test(fence[2]!);
    let valueImports = 0;
    let typeImports = 0;
    let j = i + 1;
    for (; j < lines.length && !/^\s*\*?\s*```\s*$/.test(lines[j]!); j++) {
      const imported = IMPORT.exec(lines[j]!);
      if (imported === null) continue;
      if (imported[1] === undefined) valueImports++;
      else typeImports++;
    }
    if (!ignored && typeImports > 0 && valueImports === 0) {
      if (title === undefined || !TYPES_ONLY_MARK.test(title.text)) {
        found.push(title?.line ?? i + 1);
      }
    }
    title = undefined;
    i = j;
  }
  return found;
}
