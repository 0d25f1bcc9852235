/**
 * `rpc.discover`: an OpenRPC document of the procedures a caller may call.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import type { MethodInfo } from "./routing.ts";

/**
 * An OpenRPC method object (the subset the hub fills).
 *
 * @example Types only
 * ```ts
 * import type { OpenRpcMethod } from "./discover.ts";
 * const m: OpenRpcMethod = { name: "math.add", params: [], result: { name: "result", schema: {} } };
 * if (m.name !== "math.add") throw new Error("unreachable");
 * ```
 */
export interface OpenRpcMethod {
  /** The method name. */
  readonly name: string;
  /** A description. */
  readonly description?: string;
  /** Content descriptors of the params. */
  readonly params: readonly { readonly name: string; readonly schema: unknown }[];
  /** Content descriptor of the result. */
  readonly result: { readonly name: string; readonly schema: unknown };
}

/**
 * A topic in the `x-topics` extension of the hub's OpenRPC document (OpenRPC allows `x-`
 * specification extensions on its root object).
 *
 * @example Types only
 * ```ts
 * import type { OpenRpcTopic } from "./discover.ts";
 * const t: OpenRpcTopic = { name: "chat.lobby", pattern: false, subscribers: 2, publish: true };
 * if (!t.publish) throw new Error("unreachable");
 * ```
 */
export interface OpenRpcTopic {
  /** The topic, or a pattern somebody subscribed to. */
  readonly name: string;
  /** True for a pattern. */
  readonly pattern: boolean;
  /** Connections subscribed on this hub. */
  readonly subscribers: number;
  /** Whether the caller may publish on it. */
  readonly publish: boolean;
}

/**
 * An OpenRPC document.
 *
 * @example
 * ```ts
 * import { openRpcDocument } from "./discover.ts";
 * const doc = openRpcDocument([{ name: "math.add" }]);
 * if (doc.openrpc !== "1.3.2" || doc.methods[0]!.name !== "math.add") throw new Error("unreachable");
 * ```
 */
export interface OpenRpcDocument {
  /** The OpenRPC version. */
  readonly openrpc: "1.3.2";
  /** Title and version of the service. */
  readonly info: { readonly title: string; readonly version: string };
  /** The methods, sorted by name. */
  readonly methods: readonly OpenRpcMethod[];
  /** Topics the caller may subscribe to (present when any is given). */
  readonly "x-topics"?: readonly OpenRpcTopic[];
}

/**
 * Build an OpenRPC document from method names and what is known of them.
 *
 * @param methods Names with optional info (a schema seam: unknown schemas are `{}`).
 * @param topics Topics for the `x-topics` extension; omitted when undefined.
 * @returns The document.
 */
export function openRpcDocument(
  methods: readonly { name: string; info?: MethodInfo | undefined }[],
  topics?: readonly OpenRpcTopic[],
): OpenRpcDocument {
  return {
    openrpc: "1.3.2",
    info: { title: "Switchboard hub", version: VERSION },
    methods: [...methods].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0).map((
      { name, info },
    ) => ({
      name,
      ...(info?.description === undefined ? {} : { description: info.description }),
      params: (info?.params ?? []).map((p) => ({ name: p.name, schema: p.schema ?? {} })),
      result: { name: info?.result?.name ?? "result", schema: info?.result?.schema ?? {} },
    })),
    ...(topics === undefined ? {} : { "x-topics": topics }),
  };
}
