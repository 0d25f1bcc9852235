/**
 * Whether a module is the program's entry point, on every runtime: `import.meta.main` where
 * the runtime has it (Deno, Bun, Node 24.2+), else (Node 22) the script path Node was started
 * with, compared with the module's URL.
 *
 * @module
 */

/**
 * Whether the module whose `import.meta` this is was started as the main module.
 *
 * @param meta The module's `import.meta`.
 * @returns True for the entry point; false when imported, or where nothing tells.
 * @example
 * ```ts
 * import { isMainModule } from "./main_module.ts";
 * if (isMainModule({ url: "file:///x.ts", main: false } as ImportMeta)) throw new Error("unreachable");
 * ```
 */
export function isMainModule(meta: ImportMeta): boolean {
  const main = (meta as { main?: boolean }).main;
  if (typeof main === "boolean") return main;
  const script = (globalThis as { process?: { argv?: string[] } }).process?.argv?.[1];
  if (typeof script !== "string" || !script.startsWith("/")) return false;
  return meta.url === `file://${encodeURI(script)}`;
}
